import Testing

@testable import TagoodSupport

/// Names that are not UTF-8 survive as `String`s and come back as the same bytes.
@Suite struct FileNameTests {
    @Test func utf8NamesAreUnchanged() {
        for name in ["n01440764/n01440764_10026.JPEG", "café.jpg", "日本語/画像.png", "a b\\c.jpg", ""] {
            #expect(FileName.decode(Array(name.utf8)) == name)
            #expect(FileName.bytes(name) == Array(name.utf8))
            #expect(!FileName.hasEscape(name))
            #expect(FileName.display(name) == name)
        }
    }

    @Test func aLatin1NameIsEscapedAndRestored() {
        let raw: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".jpg".utf8) // café.jpg in Latin-1
        let name = FileName.decode(raw)
        #expect(FileName.hasEscape(name))
        #expect(name.unicodeScalars.count == 8, "one escape for the one bad byte")
        #expect(FileName.bytes(name) == raw)
        #expect(FileName.display(name) == "caf\\xe9.jpg")
        #expect(name.hasSuffix(".jpg"), "the extension is still visible to the scanner")
    }

    @Test func invalidSequencesEscapeEachByte() {
        // A truncated 3-byte sequence, an overlong '/', a UTF-16 surrogate (CESU-8) and a lone 0xFF.
        let cases: [[UInt8]] = [[0xE6, 0x97], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xF5, 0x80, 0x80, 0x80]]
        for raw in cases {
            let name = FileName.decode(raw)
            #expect(name.unicodeScalars.count == raw.count, "\(raw)")
            #expect(FileName.bytes(name) == raw)
        }
    }

    @Test func aNameThatHoldsTheEscapeCodePointsIsStillInjective() {
        // U+10FF80 spelt in valid UTF-8 must not decode to the same text as the byte 0x80.
        let real: [UInt8] = [0xF4, 0x8F, 0xBE, 0x80]
        #expect(FileName.decode(real) != FileName.decode([0x80]))
        #expect(FileName.bytes(FileName.decode(real)) == real)
        #expect(FileName.display(FileName.decode(real)) == "\\xf4\\x8f\\xbe\\x80")
    }

    @Test func randomBytesRoundTrip() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<5000 {
            let count = Int(random.next() % 12)
            // Bias towards high bytes and the escape range's lead bytes.
            let raw = (0..<count).map { _ -> UInt8 in
                let r = random.next()
                switch r % 4 {
                case 0: return UInt8(truncatingIfNeeded: r >> 8) & 0x7F
                case 1: return [0xF4, 0x8F, 0xBE, 0xBF, 0xC3, 0xE2][Int(r >> 8) % 6]
                default: return UInt8(truncatingIfNeeded: r >> 8)
                }
            }
            let name = FileName.decode(raw)
            #expect(FileName.bytes(name) == raw, "\(raw)")
            #expect(FileName.decode(FileName.bytes(name)) == name)
            FileName.withCString(name) { pointer in
                #expect(
                    Array(UnsafeBufferPointer(start: pointer, count: raw.count + 1).map { UInt8(bitPattern: $0) })
                        == raw + [0])
            }
        }
    }
}
