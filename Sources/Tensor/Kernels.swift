import CKernels

/// The element-wise and row-wise kernels of the transformer, on raw pointers.
///
/// Each works in place or from one buffer into another without allocating. Rows are contiguous runs of
/// `width` floats; `rows · width` elements are touched.
public enum Kernels {
    public typealias V = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// Horizontal sum of `n` floats (8 lanes, then the tail).
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = V(), acc2 = V()
        var i = 0
        while i + 16 <= n { acc += load(x + i); acc2 += load(x + i + 8); i += 16 }
        if i + 8 <= n { acc += load(x + i); i += 8 }
        var s = (acc + acc2).sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// LayerNorm over rows: y = (x − mean) / sqrt(var + eps) · gamma + beta (biased variance, two passes).
    /// `x` and `y` may be the same buffer.
    public static func layerNorm(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float
    ) {
        let inv = 1 / Float(width)
        for r in 0..<rows {
            let xr = x + r * width
            let yr = y + r * width
            let mean = sum(xr, width) * inv
            var acc = V()
            var i = 0
            let m = V(repeating: mean)
            while i + 8 <= width { let d = load(xr + i) - m; acc += d * d; i += 8 }
            var ss = acc.sum()
            while i < width { let d = xr[i] - mean; ss += d * d; i += 1 }
            let rstd = 1 / (ss * inv + eps).squareRoot()
            let rs = V(repeating: rstd)
            i = 0
            while i + 8 <= width {
                store((load(xr + i) - m) * rs * load(gamma + i) + load(beta + i), yr + i)
                i += 8
            }
            while i < width { yr[i] = (xr[i] - mean) * rstd * gamma[i] + beta[i]; i += 1 }
        }
    }

    /// GELU (erf form) in place over `n` floats (CKernels: compiled for the CPU's vector width).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        tg_gelu(x, n)
    }

    /// Adds `bias[width]` to every row and then applies GELU, in place (fc1's epilogue), in one pass.
    public static func addBiasGELU(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>)
    {
        tg_add_bias_gelu(x, rows, width, bias)
    }

    /// ReLU in place.
    public static func relu(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n where x[i] < 0 { x[i] = 0 }
    }

    /// Logistic sigmoid in place: 1 / (1 + e^−x).
    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store(1 / (1 + FastMath.exp(V() - load(x + i))), x + i); i += 8 }
        while i < n { x[i] = 1 / (1 + FastMath.exp(-x[i])); i += 1 }
    }

    /// Adds `bias[width]` to each of `rows` rows, in place.
    public static func addBias(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * width
            var i = 0
            while i + 8 <= width { store(load(xr + i) + load(bias + i), xr + i); i += 8 }
            while i < width { xr[i] += bias[i]; i += 1 }
        }
    }

    /// y += x over `n` floats (residual connections).
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store(load(y + i) + load(x + i), y + i); i += 8 }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// Numerically stable softmax over each row, in place. With `bias` (a rows×width block) and/or
    /// `mask` (same layout), the row is first increased by them: softmax(x + bias + mask).
    public static func softmaxRows(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        bias: UnsafePointer<Float>? = nil, mask: UnsafePointer<Float>? = nil
    ) {
        tg_softmax_rows(x, rows, width, bias, mask)
    }

    /// Copies rows: dst[i] = src[index[i]] for each of `index.count` rows of `width` floats.
    public static func gatherRows(
        _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
        index: UnsafeBufferPointer<Int32>, width: Int
    ) {
        for i in 0..<index.count {
            (dst + i * width).update(from: src + Int(index[i]) * width, count: width)
        }
    }

    /// Adds rows back: dst[index[i]] += src[i] (the inverse of ``gatherRows`` fused with a residual add).
    public static func scatterAddRows(
        _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
        index: UnsafeBufferPointer<Int32>, width: Int
    ) {
        for i in 0..<index.count {
            add(src + i * width, into: dst + Int(index[i]) * width, width)
        }
    }
}
