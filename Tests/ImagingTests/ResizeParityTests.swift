import Imaging
import Testing

@Suite struct ResizeParityTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let file: String
        let rgb: String?
        let width: Int
        let height: Int
        let ref: String
        var testDescription: String { "\(file) -> \(width)x\(height)" }
    }

    static let cases: [Case] = Fixtures.manifest.images.flatMap { image in
        image.resizes.map { Case(file: image.file, rgb: image.rgb, width: $0.width, height: $0.height, ref: $0.ref) }
    }

    @Test(arguments: cases)
    func resizeMatchesPillow(_ c: Case) throws {
        let source = try ImageDecoder().decode(file: Fixtures.path(c.file)).image
        let resized = source.resized(width: c.width, height: c.height)
        let reference = try Fixtures.reference(c.ref)
        #expect(resized.width == reference.width && resized.height == reference.height)
        let parity = Parity(resized.pixels, reference.pixels)
        print("parity resize \(c.testDescription): \(parity)")
        #expect(parity.isAcceptable, "\(c.testDescription): \(parity)")
        // Where the decoded source is known to be Pillow's exactly, the resize must be exact too.
        if let rgb = c.rgb, try Fixtures.reference(rgb) == source {
            #expect(parity.equal == parity.count, "\(c.testDescription): \(parity)")
        }
    }

    @Test(arguments: [(7, 5), (1, 1), (392, 392), (1000, 3), (3, 1000), (123, 457)])
    func windowedResizeEqualsResizeThenCrop(_ size: (Int, Int)) throws {
        let source = try ImageDecoder().decode(file: Fixtures.path("images/jpeg_444_301x199.jpg")).image
        let (w, h) = size
        let full = source.resized(width: w, height: h)
        let x = w / 3, y = h / 4, ww = max(1, w - x - w / 5), hh = max(1, h - y - h / 6)
        let window = source.resized(width: w, height: h, window: (x, y, ww, hh))
        #expect(window == full.cropped(x: x, y: y, width: ww, height: hh))
    }

    @Test func sameSizeResizeIsIdentity() throws {
        let source = try ImageDecoder().decode(file: Fixtures.path("images/png_rgb_257x193.png")).image
        #expect(source.resized(width: 257, height: 193) == source)
    }

    @Test func centerCropFollowsTorchvision() {
        var image = RGBImage(width: 5, height: 4)
        for i in 0..<image.pixels.count { image.pixels[i] = UInt8(i) }
        // top = round((4 - 2) / 2) = 1, left = round((5 - 2) / 2) = round(1.5) = 2 (half to even)
        let crop = image.centerCropped(width: 2, height: 2)
        #expect(crop == image.cropped(x: 2, y: 1, width: 2, height: 2))
        // A crop larger than the image pads with black.
        let padded = RGBImage(width: 1, height: 1, pixels: [9, 9, 9]).centerCropped(width: 3, height: 3)
        #expect(padded[1, 1] == (9, 9, 9) && padded[0, 0] == (0, 0, 0))
    }
}
