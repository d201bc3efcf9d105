import Imaging
import Testing

@Suite struct DecodeTests {
    @Test(arguments: Fixtures.manifest.images)
    func sourceInfoMatchesPillow(_ fixture: Manifest.Image) throws {
        let decoded = try ImageDecoder().decode(file: Fixtures.path(fixture.file))
        #expect(decoded.source.format.rawValue == fixture.format)
        #expect(decoded.source.mode == fixture.mode)
        #expect(decoded.source.width == fixture.width && decoded.source.height == fixture.height)
        #expect(decoded.image.width == fixture.width && decoded.image.height == fixture.height)
    }

    @Test(arguments: Fixtures.manifest.images.filter { $0.rgb != nil })
    func decodedPixelsMatchPillowConvertRGB(_ fixture: Manifest.Image) throws {
        let decoded = try ImageDecoder().decode(file: Fixtures.path(fixture.file)).image
        let reference = try Fixtures.reference(fixture.rgb!)
        #expect(decoded.width == reference.width && decoded.height == reference.height)
        let parity = Parity(decoded.pixels, reference.pixels)
        print("parity decode \(fixture.file): \(parity)")
        // PNG decoding is exact; JPEG may only differ where libjpeg-turbo versions do.
        if fixture.format == "PNG" {
            #expect(parity.equal == parity.count, "\(fixture.file): \(parity)")
        } else {
            #expect(parity.isAcceptable, "\(fixture.file): \(parity)")
        }
    }

    @Test func pngNamedJPEGDecodesAsPNG() throws {
        let decoded = try ImageDecoder().decode(file: Fixtures.path("images/png_saved_as.JPEG"))
        #expect(decoded.source.format == .png)
    }

    @Test func cmykConversionIsPillows() throws {
        // A 4-component JPEG is read as inverted CMYK and converted with Pillow's cmyk2rgb.
        let decoded = try ImageDecoder().decode(file: Fixtures.path("images/jpeg_cmyk_300x200.jpg"))
        #expect(decoded.source.mode == "CMYK")
        #expect(decoded.source.details.contains("Adobe"))
    }

    @Test func decodesFromMemoryWithLabel() throws {
        let png = try RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6]).pngData()
        let decoded = try ImageDecoder().decode(png, path: "memory.png")
        #expect(decoded.image.pixels == [1, 2, 3, 4, 5, 6])
    }

    @Test func sniffsFormatsByMagic() {
        #expect(ImageFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .png)
        #expect(ImageFormat.sniff(Array("GIF89a....".utf8)) == .gif)
        #expect(ImageFormat.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == .webp)
        #expect(ImageFormat.sniff([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]) == .tiff)
        #expect(ImageFormat.sniff(Array("<html>not found</html>".utf8)) == .text)
        #expect(ImageFormat.sniff([0x00, 0x01, 0x02, 0x03]) == .unknown)
        #expect(ImageFormat.sniff([UInt8]()) == .unknown)
    }
}
