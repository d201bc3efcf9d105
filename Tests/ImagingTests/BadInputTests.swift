import Foundation
import Imaging
import TagoodSupport
import Testing

@Suite struct BadInputTests {
    @Test(arguments: Fixtures.manifest.bad)
    func badInputFailsWithCodeAndPath(_ fixture: Manifest.Bad) {
        let path = Fixtures.path(fixture.file)
        #expect {
            _ = try ImageDecoder().decode(file: path)
        } throws: { error in
            guard let error = error as? ImageError else { return false }
            #expect(error.code == fixture.code, "\(fixture.file): \(error) (Pillow: \(fixture.pillow))")
            #expect(error.description.contains(path), "\(error)")
            return error.code == fixture.code && error.description.contains(path)
        }
    }

    @Test func truncatedJPEGSaysTruncated() throws {
        let path = Fixtures.path("bad/truncated.jpg")
        do {
            _ = try ImageDecoder().decode(file: path)
            Issue.record("decoded a truncated file")
        } catch {
            #expect(error.kind == .truncated)
            #expect(error.description.contains("truncated"))
        }
    }

    @Test func pixelLimitIsConfigurable() throws {
        let path = Fixtures.path("images/jpeg_baseline_640x427.jpg")
        #expect(throws: ImageError.self) { try ImageDecoder(maxPixels: 640 * 427 - 1).decode(file: path) }
        _ = try ImageDecoder(maxPixels: 640 * 427).decode(file: path)
        let png = Fixtures.path("images/png_rgb_257x193.png")
        do {
            _ = try ImageDecoder(maxPixels: 1000).decode(file: png)
            Issue.record("the limit was not applied")
        } catch {
            #expect(error.code == "image.too-large" && error.description.contains("257x193"))
        }
    }

    @Test func fileSizeLimitIsConfigurableAndBoundsTheRead() throws {
        // Issue 25, item 6: the bytes read per image are bounded (a regular file here; FIFOs and devices
        // are refused before any read, tested in child processes by CLITests' BlockingFileTests).
        let path = Fixtures.path("images/jpeg_baseline_640x427.jpg")
        let size = try #require(FileSystem.size(path))
        _ = try ImageDecoder(maxFileBytes: size).decode(file: path)
        do {
            _ = try ImageDecoder(maxFileBytes: size - 1).decode(file: path)
            Issue.record("the file-size limit was not applied")
        } catch {
            #expect(error.code == "image.too-large" && error.description.contains("\(size) bytes"), "\(error)")
        }
    }

    @Test func missingFileAndDirectoryAreUnreadable() {
        for path in ["/nonexistent-tagood/x.jpg", Fixtures.path("images")] {
            do {
                _ = try ImageDecoder().decode(file: path)
                Issue.record("decoded \(path)")
            } catch {
                #expect(error.code == "image.unreadable" && error.description.contains(path), "\(error)")
            }
        }
    }

    @Test func everyPrefixOfAJPEGAndAPNGFailsCleanly() throws {
        // Cut the files at many points: each must give an ImageError, never a crash.
        for file in ["images/jpeg_progressive_gray_211x157.jpg", "images/png_interlaced_rgb_123x77.png"] {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(file))))
            var cut = 0
            while cut < bytes.count - 16 {
                do {
                    _ = try ImageDecoder().decode(Array(bytes[..<cut]), path: "\(file)[..<\(cut)]")
                    Issue.record("\(file) cut at \(cut) decoded")
                } catch {
                    #expect(
                        ["image.truncated", "image.corrupt", "image.empty", "image.unsupported-format"].contains(
                            error.code),
                        "\(error)")
                }
                cut += max(1, bytes.count / 97)
            }
        }
    }

    @Test func garbageInScanDataIsDecodedOrRejectedWithoutCrashing() throws {
        var bytes = [UInt8](
            try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("images/jpeg_baseline_640x427.jpg"))))
        var state: UInt32 = 12345
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 2000, by: 1) {
            state = state &* 1_103_515_245 &+ 12345
            bytes[i] = UInt8(truncatingIfNeeded: state >> 16) & 0xFE // never 0xFF: no fake markers
        }
        do {
            let decoded = try ImageDecoder().decode(bytes, path: "scan-garbage.jpg")
            #expect(decoded.image.width == 640) // libjpeg warns and goes on, as Pillow does
        } catch {
            #expect(error.code == "image.corrupt")
        }
    }
}
