import Testing

@testable import TagoodSupport

/// ``XXH3`` gives libxxhash's `XXH3_64bits` at every instruction-set level the CPU has, whatever the
/// lengths (each of XXH3's size classes: 0, 1–3, 4–8, 9–16, 17–128, 129–240, longer, several stripes and
/// blocks) and however the input is cut into updates.
@Suite(.serialized) struct XXH3Tests {
    @Test func everyLevelGivesTheLibrarysDigest() {
        var rng = SplitMix64(seed: 3)
        let lengths = [0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 4096 + 7, 1 << 20 | 13]
        let inputs = lengths.map { n in (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        let previous = XXH3.level
        defer { XXH3.forceLevel(previous) }
        for level in 0...XXH3.forceLevel(2) {
            #expect(XXH3.forceLevel(level) == level)
            for input in inputs {
                let want = XXH3.hash(input)
                let whole = XXH3()
                input.withUnsafeBytes { whole.update($0) }
                #expect(whole.digest() == want, "level \(level), \(input.count) bytes in one update")
                let pieces = XXH3()
                var start = 0
                while start < input.count {
                    let n = min(input.count - start, 1 + Int(rng.next() % 300))
                    input.withUnsafeBytes { pieces.update(UnsafeRawBufferPointer(rebasing: $0[start..<start + n])) }
                    start += n
                }
                #expect(pieces.digest() == want, "level \(level), \(input.count) bytes in pieces")
            }
        }
    }
}
