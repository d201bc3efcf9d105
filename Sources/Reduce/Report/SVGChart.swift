import Foundation

/// Small inline-SVG charts for the HTML report: ROC curves and overlaid histograms. No scripts, no
/// external resources.
enum SVGChart {
    /// Line colours, one per score column (colour-blind-friendly palette).
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    static let width = 420.0, height = 320.0
    static let left = 48.0, right = 12.0, top = 14.0, bottom = 40.0

    /// ROC curves (FPR on x, TPR on y) of several scores, with a legend of their AUROC.
    static func roc(_ curves: [(label: String, fpr: [Double], tpr: [Double])]) -> String {
        let pw = width - left - right, ph = height - top - bottom
        var s = open(width: width, height: height + Double(curves.count) * 16 + 6)
        s += axes(
            xLabel: "false positive rate (OOD accepted)", yLabel: "true positive rate (ID)", x0: 0, x1: 1, y0: 0, y1: 1)
        s +=
            "<line x1='\(f(left))' y1='\(f(top + ph))' x2='\(f(left + pw))' y2='\(f(top))' stroke='#bbb' stroke-dasharray='4 3'/>"
        for (i, c) in curves.enumerated() {
            let points = zip(c.fpr, c.tpr).map { "\(f(left + $0 * pw)),\(f(top + (1 - $1) * ph))" }.joined(
                separator: " ")
            s += "<polyline fill='none' stroke='\(palette[i % palette.count])' stroke-width='1.6' points='\(points)'/>"
            let y = height + Double(i) * 16 + 4
            s +=
                "<line x1='\(f(left))' y1='\(f(y))' x2='\(f(left + 22))' y2='\(f(y))' stroke='\(palette[i % palette.count])' stroke-width='3'/>"
            s += "<text x='\(f(left + 28))' y='\(f(y + 4))' font-size='11'>\(escape(c.label))</text>"
        }
        return s + "</svg>"
    }

    /// Two overlaid histograms (fraction of each set per bin) of `id` and `ood` scores.
    static func histogram(id: [Double], ood: [Double], oodLabel: String, bins: Int = 40) -> String {
        let all = id + ood
        var lo = all.min() ?? 0, hi = all.max() ?? 1
        if hi <= lo { lo -= 0.5; hi += 0.5 }
        func counts(_ v: [Double]) -> [Double] {
            var c = [Double](repeating: 0, count: bins)
            for x in v { c[min(bins - 1, max(0, Int((x - lo) / (hi - lo) * Double(bins))))] += 1 }
            return c.map { $0 / Double(max(v.count, 1)) }
        }
        let ci = counts(id), co = counts(ood)
        let peak = max(ci.max() ?? 0, co.max() ?? 0, 1e-9)
        let pw = width - left - right, ph = height - top - bottom
        var s = open(width: width, height: height + 22)
        s += axes(
            xLabel: "score (higher = more in-distribution)", yLabel: "fraction of images", x0: lo, x1: hi, y0: 0,
            y1: peak)
        let bw = pw / Double(bins)
        for (values, colour) in [(ci, "#0072B2"), (co, "#D55E00")] {
            for (b, v) in values.enumerated() where v > 0 {
                let h = v / peak * ph
                s +=
                    "<rect x='\(f(left + Double(b) * bw))' y='\(f(top + ph - h))' width='\(f(bw))' height='\(f(h))' "
                    + "fill='\(colour)' fill-opacity='0.45'/>"
            }
        }
        let y = height + 10
        s += "<rect x='\(f(left))' y='\(f(y - 8))' width='12' height='10' fill='#0072B2' fill-opacity='0.6'/>"
        s += "<text x='\(f(left + 16))' y='\(f(y + 1))' font-size='11'>ID (\(id.count))</text>"
        s += "<rect x='\(f(left + 120))' y='\(f(y - 8))' width='12' height='10' fill='#D55E00' fill-opacity='0.6'/>"
        s += "<text x='\(f(left + 136))' y='\(f(y + 1))' font-size='11'>\(escape(oodLabel)) (\(ood.count))</text>"
        return s + "</svg>"
    }

    /// At most ~`maxPoints` vertices of a curve, keeping its ends and every vertex that moves ≥ 1/maxPoints.
    static func thin(fpr: [Double], tpr: [Double], maxPoints: Int = 400) -> ([Double], [Double]) {
        guard fpr.count > maxPoints else { return (fpr, tpr) }
        let step = 1.0 / Double(maxPoints)
        var xs = [fpr[0]], ys = [tpr[0]]
        for i in 1..<fpr.count {
            let last = i == fpr.count - 1
            if last || abs(fpr[i] - xs.last!) >= step || abs(tpr[i] - ys.last!) >= step {
                xs.append(fpr[i])
                ys.append(tpr[i])
            }
        }
        return (xs, ys)
    }

    private static func open(width: Double, height: Double) -> String {
        "<svg xmlns='http://www.w3.org/2000/svg' width='\(f(width))' height='\(f(height))' viewBox='0 0 \(f(width)) \(f(height))' "
            + "font-family='sans-serif'><rect width='100%' height='100%' fill='white'/>"
    }

    private static func axes(xLabel: String, yLabel: String, x0: Double, x1: Double, y0: Double, y1: Double) -> String {
        let pw = width - left - right, ph = height - top - bottom
        var s = "<rect x='\(f(left))' y='\(f(top))' width='\(f(pw))' height='\(f(ph))' fill='none' stroke='#444'/>"
        for t in 0...4 {
            let u = Double(t) / 4
            let x = left + u * pw, y = top + (1 - u) * ph
            s += "<line x1='\(f(x))' y1='\(f(top + ph))' x2='\(f(x))' y2='\(f(top + ph + 4))' stroke='#444'/>"
            s +=
                "<text x='\(f(x))' y='\(f(top + ph + 15))' font-size='10' text-anchor='middle'>\(tick(x0 + u * (x1 - x0)))</text>"
            s += "<line x1='\(f(left - 4))' y1='\(f(y))' x2='\(f(left))' y2='\(f(y))' stroke='#444'/>"
            s +=
                "<text x='\(f(left - 6))' y='\(f(y + 3))' font-size='10' text-anchor='end'>\(tick(y0 + u * (y1 - y0)))</text>"
        }
        s +=
            "<text x='\(f(left + pw / 2))' y='\(f(top + ph + 30))' font-size='11' text-anchor='middle'>\(escape(xLabel))</text>"
        s +=
            "<text x='12' y='\(f(top + ph / 2))' font-size='11' text-anchor='middle' transform='rotate(-90 12 \(f(top + ph / 2)))'>"
            + "\(escape(yLabel))</text>"
        return s
    }

    private static func tick(_ v: Double) -> String {
        let a = abs(v)
        if a != 0 && (a >= 1000 || a < 0.01) { return String(format: "%.1e", v) }
        return String(format: a >= 10 ? "%.0f" : "%.2f", v)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "'", with: "&#39;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
