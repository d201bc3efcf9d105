import Foundation
import Imaging
import Testing

@Suite struct WriterTests {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/imaging-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test(arguments: [[3, 384, 384], [5], [2, 3], [0]])
    func npyHeaderIsAlignedAndParses(_ shape: [Int]) {
        let header = NPY.header(shape: shape)
        #expect(header.count % 64 == 0)
        #expect(Array(header[0..<8]) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = Int(header[8]) | Int(header[9]) << 8
        #expect(length + 10 == header.count)
        let dict = String(decoding: header[10...], as: UTF8.self)
        #expect(dict.hasSuffix("\n"))
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        #expect(dict.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"))
    }

    @Test func npyRoundTripsThroughAFile() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let values: [Float] = (0..<24).map { Float($0) * 0.37 - 3 } + [.infinity, -0.0, .leastNonzeroMagnitude]
        let path = dir + "/x.npy"
        try NPY.write(values, shape: [3, 3, 3], to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let start = 10 + (Int(bytes[8]) | Int(bytes[9]) << 8)
        #expect(start % 64 == 0 && bytes.count == start + 4 * values.count)
        let back: [Float] = (0..<values.count).map { i in
            var bits: UInt32 = 0
            for b in 0..<4 { bits |= UInt32(bytes[start + 4 * i + b]) << (8 * b) }
            return Float(bitPattern: bits)
        }
        #expect(back.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["x.npy"])
    }

    @Test(arguments: ["images/jpeg_3x2.jpg", "images/png_grey16_160x120.png", "images/jpeg_cmyk_300x200.jpg"])
    func pngWriterRoundTripsThroughTheDecoder(_ file: String) throws {
        let image = try ImageDecoder().decode(file: Fixtures.path(file)).image
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.png"
        try image.writePNG(to: path)
        let back = try ImageDecoder().decode(file: path)
        #expect(back.source.format == .png && back.source.mode == "RGB")
        #expect(back.image == image)
        #expect(try image.pngData(compressionLevel: 0).count > image.pngData(compressionLevel: 9).count)
    }

    @Test func pngWriterReportsAMissingDirectory() throws {
        let image = RGBImage(width: 2, height: 2)
        #expect {
            try image.writePNG(to: "/nonexistent-tagood-dir/out.png")
        } throws: { error in
            (error as? ImageError)?.code == "image.unwritable" && "\(error)".contains("/nonexistent-tagood-dir/out.png")
        }
    }
}
