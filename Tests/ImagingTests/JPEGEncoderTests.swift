import Foundation
import Imaging
import Testing

@Suite struct JPEGEncoderTests {
    /// A smooth gradient with a few hard edges: something like a photo, not noise.
    static func sample(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                let inside =
                    (x - width / 2) * (x - width / 2) + (y - height / 2) * (y - height / 2) < width * height / 16
                image.pixels[i] = UInt8(x * 255 / max(width - 1, 1))
                image.pixels[i + 1] = UInt8(y * 255 / max(height - 1, 1))
                image.pixels[i + 2] = inside ? 200 : 40
            }
        }
        return image
    }

    static func meanAbsoluteError(_ a: RGBImage, _ b: RGBImage) -> Double {
        var total = 0
        for i in 0..<a.pixels.count { total += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
        return Double(total) / Double(a.pixels.count)
    }

    @Test(arguments: [(64, 48), (67, 33), (160, 160)])
    func roundTripsThroughTheDecoder(_ size: (Int, Int)) throws {
        let image = Self.sample(width: size.0, height: size.1)
        let bytes = try image.jpegData(quality: 95)
        let back = try ImageDecoder().decode(bytes, path: "round-trip.jpg")
        #expect(back.source.format == .jpeg && back.source.mode == "RGB")
        #expect(back.source.details.first == "baseline")
        #expect(back.image.width == image.width && back.image.height == image.height)
        let error = Self.meanAbsoluteError(image, back.image)
        #expect(error < 3, "mean absolute error \(error) at quality 95")
    }

    @Test func lowerQualityIsSmallerAndWorse() throws {
        let image = Self.sample(width: 96, height: 96)
        let high = try image.jpegData(quality: 95), low = try image.jpegData(quality: 20)
        #expect(low.count < high.count)
        let decoder = ImageDecoder()
        let highError = Self.meanAbsoluteError(image, try decoder.decode(high, path: "high").image)
        let lowError = Self.meanAbsoluteError(image, try decoder.decode(low, path: "low").image)
        #expect(lowError > highError)
    }

    @Test func sameImageGivesTheSameBytes() throws {
        let image = Self.sample(width: 50, height: 70)
        #expect(try image.jpegData(quality: 80) == image.jpegData(quality: 80))
    }

    @Test(arguments: [0, -1, 101, 1000])
    func rejectsABadQuality(_ quality: Int) {
        #expect {
            try RGBImage(width: 4, height: 4).jpegData(quality: quality)
        } throws: { error in
            (error as? ImageError)?.code == "image.unwritable" && "\(error)".contains("quality \(quality)")
        }
    }

    @Test(arguments: [1, 100])
    func acceptsTheEndsOfTheQualityRange(_ quality: Int) throws {
        let bytes = try Self.sample(width: 16, height: 16).jpegData(quality: quality)
        #expect(try ImageDecoder().decode(bytes, path: "q\(quality)").image.width == 16)
    }

    @Test func encodesASinglePixel() throws {
        let image = RGBImage(width: 1, height: 1, pixels: [200, 30, 90])
        let back = try ImageDecoder().decode(try image.jpegData(quality: 95), path: "1x1.jpg").image
        #expect(back.width == 1 && back.height == 1)
        for c in 0..<3 { #expect(abs(Int(back.pixels[c]) - Int(image.pixels[c])) <= 4) }
    }

    @Test func rejectsAnEmptyImage() {
        #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 5).jpegData() }
    }

    @Test func writesAFileAtomically() throws {
        let dir = try WriterTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = Self.sample(width: 40, height: 30)
        let path = dir + "/out.jpg"
        try image.writeJPEG(to: path, quality: 90)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.jpg"])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes == (try image.jpegData(quality: 90)))
        #expect(try ImageDecoder().decode(file: path).image.width == 40)
    }

    @Test func reportsAMissingDirectory() {
        #expect {
            try RGBImage(width: 2, height: 2).writeJPEG(to: "/nonexistent-tagood-dir/out.jpg")
        } throws: { error in
            (error as? ImageError)?.code == "image.unwritable" && "\(error)".contains("/nonexistent-tagood-dir/out.jpg")
        }
    }
}
