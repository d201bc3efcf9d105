import Foundation
import Imaging
import Testing

@Suite struct TransformTests {
    @Test(arguments: Fixtures.manifest.images)
    func resizeCropMatchesPillow(_ fixture: Manifest.Image) throws {
        let transform = TagOODTransform()
        let image = try ImageDecoder().decode(file: Fixtures.path(fixture.file)).image
        let crop = transform.resizedAndCropped(image)
        let reference = try Fixtures.reference(fixture.crop)
        #expect(crop.width == 384 && crop.height == 384 && reference.width == 384)
        let parity = Parity(crop.pixels, reference.pixels)
        print("parity resize+crop \(fixture.file): \(parity)")
        #expect(parity.isAcceptable, "\(fixture.file): \(parity)")
        if fixture.format == "PNG" {
            #expect(parity.equal == parity.count, "\(fixture.file): \(parity)")
        }
        // The fused tensor is the table lookup of those bytes, bit for bit.
        let tensor = transform(image)
        #expect(tensor.count == 3 * 384 * 384)
        let table = transform.table
        var mismatches = 0
        for i in 0..<(384 * 384) {
            for c in 0..<3 where tensor[c * 384 * 384 + i].bitPattern != table[c, crop.pixels[3 * i + c]].bitPattern {
                mismatches += 1
            }
        }
        #expect(mismatches == 0, "\(fixture.file): \(mismatches) tensor values differ from the table lookup")
        #expect(transform.denormalize(tensor) == crop)
    }

    @Test func normalizationTableIsNumpyBitExact() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("norm_table.f32")))
        #expect(data.count == 3 * 256 * 4)
        let expected: [UInt32] = data.withUnsafeBytes { raw in
            (0..<768).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        }
        let table = TagOODTransform().table
        let got = table.values.map(\.bitPattern)
        let differing = zip(got, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) of 768 table entries differ from numpy")
    }

    @Test func writesIntoACallersBatchBuffer() throws {
        let transform = TagOODTransform()
        let a = try ImageDecoder().decode(file: Fixtures.path("images/jpeg_3x2.jpg")).image
        let b = try ImageDecoder().decode(file: Fixtures.path("images/png_la_100x80.png")).image
        var batch = [Float](repeating: .nan, count: 2 * transform.outputCount)
        transform.apply(a, into: &batch, at: 0)
        transform.apply(b, into: &batch, at: transform.outputCount)
        #expect(Array(batch[0..<transform.outputCount]) == transform(a))
        #expect(Array(batch[transform.outputCount...]) == transform(b))
    }

    @Test func configurableSizesAndStatistics() throws {
        let transform = TagOODTransform(resizeTo: 40, crop: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        #expect(transform.outputShape == [3, 32, 32])
        let image = try ImageDecoder().decode(file: Fixtures.path("images/jpeg_444_301x199.jpg")).image
        let tensor = transform(image)
        let expected = image.resized(width: 40, height: 40).centerCropped(width: 32, height: 32)
        #expect(transform.denormalize(tensor) == expected)
        #expect(tensor.allSatisfy { $0 >= -1 && $0 <= 1 })
        // A crop larger than the resize pads with black, as torchvision does.
        let padded = TagOODTransform(resizeTo: 8, crop: 10)
        let small = padded(image)
        #expect(small.count == 300 && small[0] == padded.table[0, 0])
    }
}
