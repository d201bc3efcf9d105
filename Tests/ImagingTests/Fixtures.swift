import Foundation
import Imaging
import Testing

/// The fixture manifest written by tools/make_imaging_fixtures.py.
struct Manifest: Decodable, Sendable {
    struct Transform: Decodable, Sendable {
        let resize: Int
        let crop: Int
        let mean: [Double]
        let std: [Double]
        let table: String
    }
    struct Resize: Decodable, Sendable {
        let width: Int
        let height: Int
        let ref: String
    }
    struct Image: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let format: String
        let mode: String
        let width: Int
        let height: Int
        let crop: String
        let rgb: String?
        let resizes: [Resize]
        var testDescription: String { file }
    }
    struct Bad: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let code: String
        let pillow: String
        var testDescription: String { file }
    }
    let pillow: String
    let transform: Transform
    let images: [Image]
    let bad: [Bad]
}

enum Fixtures {
    /// The absolute path of the Fixtures resource folder.
    static let root: String = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            return "Tests/ImagingTests/Fixtures"
        }
        return url.path
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    static let manifest: Manifest = {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path("manifest.json")))
            return try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            return Manifest(
                pillow: "missing: \(error)",
                transform: .init(resize: 392, crop: 384, mean: [], std: [], table: ""),
                images: [], bad: [])
        }
    }()

    /// A reference PNG (8-bit RGB) decoded with the decoder under test; the .rgb references check the
    /// decoder itself pixel for pixel.
    static func reference(_ relative: String) throws -> RGBImage {
        try ImageDecoder().decode(file: path(relative)).image
    }
}

/// How close two equal-sized byte arrays are.
struct Parity: CustomStringConvertible {
    let count: Int
    let equal: Int
    let maxDiff: Int

    init(_ a: [UInt8], _ b: [UInt8]) {
        precondition(a.count == b.count)
        var equal = 0, maxDiff = 0
        for i in 0..<a.count {
            let d = abs(Int(a[i]) - Int(b[i]))
            if d == 0 { equal += 1 }
            maxDiff = max(maxDiff, d)
        }
        self.count = a.count
        self.equal = equal
        self.maxDiff = maxDiff
    }

    var fraction: Double { count == 0 ? 1 : Double(equal) / Double(count) }
    var isAcceptable: Bool { fraction >= 0.999 && maxDiff <= 1 }
    var description: String {
        "exact \(equal)/\(count) = \(String(format: "%.6f", fraction)), max diff \(maxDiff)"
    }
}
