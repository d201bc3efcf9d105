import Foundation
import TagoodSupport
import Testing

@testable import Shards

@Suite struct ShardWriterTests {
    func leftovers(_ dir: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test func abandonLeavesNoTemporaryFile() throws {
        let dir = try TemporaryDirectory()
        let writer = try ShardWriter(path: dir.path + "/shard.h5", metadata: ShardFixtures.metadata())
        for i in 0..<20 { try writer.append(ShardFixtures.record(i)) }
        #expect(FileManager.default.fileExists(atPath: writer.temporaryPath))
        #expect(AtomicFile.isTemporary(writer.temporaryPath))
        writer.abandon()
        #expect(try leftovers(dir).isEmpty)
        #expect(throws: ShardError.self) { try writer.append(ShardFixtures.record(0)) }
        #expect(throws: ShardError.self) { try writer.commit() }
    }

    @Test func releasingAnUncommittedWriterDeletesItsFile() throws {
        let dir = try TemporaryDirectory()
        do {
            let writer = try ShardWriter(path: dir.path + "/shard.h5", metadata: ShardFixtures.metadata())
            try writer.append(ShardFixtures.record(1))
            #expect(try leftovers(dir).count == 1)
        }
        #expect(try leftovers(dir).isEmpty)
    }

    @Test func commitReplacesAnOlderShardAndRefusesASecondCommit() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        try ShardFixtures.write([ShardFixtures.record(1)], to: path)
        let writer = try ShardWriter(path: path, metadata: ShardFixtures.metadata())
        for i in 0..<5 { try writer.append(ShardFixtures.record(i)) }
        let summary = try writer.commit()
        #expect(try ShardReader(path: path).verify().images == 5)
        #expect(try leftovers(dir) == ["shard.h5"])
        #expect(summary.path == path)
        #expect { try writer.commit() } throws: { ($0 as? ShardError)?.code == "shard.write" }
    }

    @Test func missingDirectoryIsAClearWriteError() {
        #expect {
            _ = try ShardWriter(path: "/nonexistent-tagood/shards/shard-00001.h5", metadata: ShardFixtures.metadata())
        } throws: { error in
            let e = error as? ShardError
            return e?.code == "shard.write" && e!.description.contains("/nonexistent-tagood/shards/shard-00001.h5")
                && e!.description.contains("directory")
        }
    }

    @Test func invalidRecordsAreRejectedAndChangeNothing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let m = ShardFixtures.metadata()
        let writer = try ShardWriter(path: path, metadata: m)
        try writer.append(ShardFixtures.record(1))
        var wrongWidth = ShardFixtures.record(1); wrongWidth.tokens.removeLast()
        var wrongCount = ShardFixtures.record(2); wrongCount.tokenIndex.append(0)
        var shortAttention = ShardFixtures.record(1); shortAttention.attention.removeLast()
        var globalWidth = ShardFixtures.record(1); globalWidth.globalEmbed.append(1)
        var tagMismatch = ShardFixtures.record(2); tagMismatch.tagProbs.removeLast()
        var badPosition = ShardFixtures.record(1); badPosition.tokenIndex = [Int16(m.imageTokens)]
        var failedWithTokens = ShardFixtures.record(1); failedWithTokens.status = .decodeFailed;
        failedWithTokens.error = "x"
        let failedWithoutError = ShardRecord.failed(path: "a.jpg", label: 0, status: .decodeFailed, error: "")
        var okWithError = ShardFixtures.record(1); okWithError.error = "oops"
        var negativeLabel = ShardFixtures.record(1); negativeLabel.label = -1
        var emptyPath = ShardFixtures.record(1); emptyPath.path = ""
        let cases: [(ShardRecord, String)] = [
            (wrongWidth, "embed_dim 8"), (wrongCount, "token positions"), (shortAttention, "attention has 16 values"),
            (globalWidth, "global_embed has 9 values"), (tagMismatch, "tag probabilities"),
            (badPosition, "token_index[0] = 17"), (failedWithTokens, "must have no tokens"),
            (failedWithoutError, "error message is empty"), (okWithError, "error message is set"),
            (negativeLabel, "class index"), (emptyPath, "path is empty")
        ]
        for (record, fragment) in cases {
            #expect {
                try writer.append(record)
            } throws: { error in
                let e = error as? ShardError
                return e?.code == "shard.record" && e!.description.contains(fragment)
                    && e!.description.contains("image #1")
            }
        }
        #expect(writer.imageCount == 1)
        try writer.append(ShardFixtures.record(2))
        let summary = try writer.commit()
        #expect(summary.images == 2)
        #expect(try ShardReader(path: path).verify().images == 2)
    }

    @Test func oodShardsRejectClassLabels() throws {
        let dir = try TemporaryDirectory()
        let writer = try ShardWriter(path: dir.path + "/ood.h5", metadata: ShardFixtures.metadata(role: .ood))
        #expect(throws: ShardError.self) { try writer.append(ShardFixtures.record(1, label: 5)) }
        try writer.append(ShardFixtures.record(1, label: -1))
    }

    @Test func float16ConversionMatchesSwiftFloat16() {
        var values: [Float] = [
            0, -0, 1, -1, 0.1, 65504, 65519.99, 65520, 1e6, -1e6, .infinity, -.infinity,
            6.1e-5, 6.0e-8, 5.96e-8, 2.98e-8, 2.99e-8, 1e-10, .leastNonzeroMagnitude, 3.14159
        ]
        values += (0..<20000).map { ShardFixtures.value($0, 0) * Float(1 << ($0 % 24)) / 4096 }
        values += (0..<5000).map { Float(bitPattern: UInt32(truncatingIfNeeded: $0 &* 858_993)) } // tiny / subnormal
        values += (0..<5000).map { Float(bitPattern: 0x3300_0000 &+ UInt32($0) &* 3323) } // the subnormal half range
        let expected = values.map { Float16($0).bitPattern }
        for portable in [false, true] {
            var bits = [UInt16](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { source in
                bits.withUnsafeMutableBufferPointer {
                    Float16Conversion.toHalf(source, $0.baseAddress!, portable: portable)
                }
            }
            let mismatches = zip(values, zip(bits, expected)).filter { $1.0 != $1.1 }
            #expect(mismatches.isEmpty, "portable=\(portable): \(mismatches.prefix(5))")
            var back = [Float](repeating: 0, count: bits.count)
            bits.withUnsafeBufferPointer { source in
                back.withUnsafeMutableBufferPointer {
                    Float16Conversion.toFloat(source, $0.baseAddress!, portable: portable)
                }
            }
            let wrong = zip(back, expected).filter { $0.bitPattern != Float(Float16(bitPattern: $1)).bitPattern }
            #expect(wrong.isEmpty, "portable=\(portable): \(wrong.prefix(5))")
        }
        // NaN stays NaN.
        var nan: UInt16 = 0
        [Float.nan].withUnsafeBufferPointer { Float16Conversion.toHalf($0, &nan) }
        #expect(Float16(bitPattern: nan).isNaN)
    }
}
