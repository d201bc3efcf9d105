import Testing

@testable import TagoodSupport

/// Reference digests from the Python `xxhash` package (xxhash.xxh64(data, seed).hexdigest()).
@Suite struct XXH64Tests {
    static let vectors: [(bytes: [UInt8], hex: String)] = [
        ([], "ef46db3751d8e999"),
        (Array("a".utf8), "d24ec4f1a98c6e5b"),
        (Array("abc".utf8), "44bc2cf5ad770999"),
        (Array(String(repeating: "0123456789", count: 10).utf8), "f80e7b96315afffa"),
        ((0..<3).flatMap { _ in (0..<256).map { UInt8($0) } }, "8e03c838c596036f")
    ]

    @Test func matchesReferenceDigests() {
        for v in Self.vectors {
            var h = XXH64()
            h.update(v.bytes)
            #expect(h.hexDigest() == v.hex, "length \(v.bytes.count)")
        }
    }

    @Test func seedChangesDigest() {
        var h = XXH64(seed: 42)
        h.update("abc")
        #expect(h.hexDigest() == "13c1d910702770e6")
    }

    @Test func digestDoesNotDependOnHowInputIsCut() {
        let data = (0..<3).flatMap { _ in (0..<256).map { UInt8($0) } }
        for piece in [1, 3, 7, 31, 32, 33, 100] {
            var h = XXH64()
            var i = 0
            while i < data.count {
                h.update(Array(data[i..<min(i + piece, data.count)]))
                i += piece
            }
            #expect(h.hexDigest() == "8e03c838c596036f", "pieces of \(piece)")
        }
    }
}
