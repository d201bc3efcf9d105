import Foundation
import TagoodSupport
import Testing

@testable import Shards

/// The seal in a shard's first 512 bytes (``ShardSeal``): what it holds, and how files without one
/// (tagood 0.1.0's) are treated.
@Suite struct ShardSealTests {
    /// A shard tagood 0.1.0 wrote (no seal), from the legacy job fixture, and the checksum its journal recorded.
    static let legacyShard =
        ShardFixtures.repositoryRoot
        + "/Tests/ClusterTests/Fixtures/legacy-job-0.1.0/out/job/shards/near/shard-00000.h5"
    static let legacyJournalChecksum = "787e85f104509ab9"

    @Test func theSealIsReadableTextCoveringEveryByteAfterIt() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let summary = try ShardFixtures.write((0..<12).map { ShardFixtures.record($0) }, to: path)
        let bytes = try ShardFixtures.bytes(path)
        let body = Array(bytes[ShardSeal.size...])
        let text = String(decoding: bytes.prefix(ShardSeal.size).prefix { $0 != 0 }, as: UTF8.self)
        #expect(
            text == "tagood shard seal 2\nbody_bytes \(body.count)\nbody_xxh3 \(ContentChecksum.hex(XXH3.hash(body)))\n"
        )
        #expect(bytes[text.utf8.count..<ShardSeal.size].allSatisfy { $0 == 0 }, "zero padding to 512 bytes")
        #expect(Array(body.prefix(8)) == ShardSeal.hdf5Signature, "HDF5's superblock follows the user block")
        #expect(
            summary.fileChecksum == ContentChecksum.hex(XXH3.hash(body)),
            "the journal's checksum is the seal's body_xxh3")
        #expect(try ShardFile.checksum(path: path) == summary.fileChecksum)
        #expect(
            try ShardFile.checksum(path: Self.legacyShard) == Self.legacyJournalChecksum, "unsealed: the whole file")

        let reader = try ShardReader(path: path)
        #expect(
            reader.integrity
                == ShardIntegrity(isSealed: true, fileChecksum: summary.fileChecksum, fileBytes: bytes.count))
        let verification = try reader.verify()
        #expect(verification.isSealed && verification.fileChecksum == summary.fileChecksum && verification.images == 12)
    }

    @Test func aShardOfTagood010IsRefusedUnlessItsJournalChecksumOrTheCallerVouchesForIt() throws {
        let path = Self.legacyShard
        #expect(throws: ShardError.self) { _ = try ShardReader(path: path) }
        do {
            _ = try ShardReader(path: path)
        } catch {
            #expect(error.code == "shard.unsealed")
            for fragment in [path, "without tagood's seal", "0.1.0", "--file-checksum", "--allow-unsealed"] {
                #expect(error.description.contains(fragment), "\(error)")
            }
        }
        let vouched = try ShardReader(path: path, expectedFileChecksum: Self.legacyJournalChecksum)
        let verification = try vouched.verify()
        #expect(
            !verification.isSealed && verification.images == 2
                && verification.fileChecksum == Self.legacyJournalChecksum)
        #expect(throws: ShardError.self) { _ = try ShardReader(path: path, expectedFileChecksum: "0123456789abcdef") }
        #expect(try ShardReader(path: path, allowUnsealed: true).verify().images == 2)
    }

    @Test(arguments: [0, ShardReader.imageLimit])
    func aFileLargerThanTheImageLimitIsStreamedAndCheckedTheSameWay(_ limit: Int) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        let records = (0..<40).map { ShardFixtures.record($0) }
        let summary = try ShardFixtures.write(records, to: path)
        let reader = try ShardReader(path: path, expectedFileChecksum: summary.fileChecksum, imageLimit: limit)
        #expect(try reader.verify().images == 40)
        var count = 0
        try reader.forEach { _ in count += 1 }
        #expect(count == 40)
        reader.close()
        var bytes = try ShardFixtures.bytes(path)
        bytes[bytes.count - 7] ^= 0x20
        try ShardFixtures.writeBytes(bytes, path)
        #expect(throws: ShardError.self) { _ = try ShardReader(path: path, imageLimit: limit) }
    }

    /// A shard sealed by tagood 0.2 (seal version 1, XXH64) is read as before: its seal is checked with
    /// XXH64, which is also its file checksum, and a changed byte is caught.
    @Test func aVersion1SealIsStillCheckedWithXXH64() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        try ShardFixtures.write((0..<12).map { ShardFixtures.record($0) }, to: path)
        var bytes = try ShardFixtures.bytes(path)
        let body = Array(bytes[ShardSeal.size...])
        let v1 = "tagood shard seal 1\nbody_bytes \(body.count)\nbody_xxh64 \(ContentChecksum.hex(XXH64.hash(body)))\n"
        bytes.replaceSubrange(
            0..<ShardSeal.size, with: Array(v1.utf8) + [UInt8](repeating: 0, count: ShardSeal.size - v1.utf8.count))
        try ShardFixtures.writeBytes(bytes, path)

        let checksum = ContentChecksum.hex(XXH64.hash(body))
        #expect(try ShardFile.checksum(path: path) == checksum)
        let reader = try ShardReader(path: path, expectedFileChecksum: checksum)
        #expect(reader.integrity == ShardIntegrity(isSealed: true, fileChecksum: checksum, fileBytes: bytes.count))
        #expect(try reader.verify().images == 12)
        reader.close()

        bytes[bytes.count - 5] ^= 0x01
        try ShardFixtures.writeBytes(bytes, path)
        #expect { _ = try ShardReader(path: path) } throws: { ($0 as? ShardError)?.code == "shard.seal" }
    }

    @Test func theSealParserAcceptsOnlyTheExactBlockItWrites() {
        let block = ShardSeal.block(bodyBytes: 123_456, bodyDigest: 0x0123_4567_89ab_cdef)
        #expect(block.count == ShardSeal.size)
        #expect(ShardSeal.parse(block)! == (.xxh3, 123_456, 0x0123_4567_89ab_cdef))
        let v1 = ShardSeal.block(.xxh64, bodyBytes: 123_456, bodyDigest: 0x0123_4567_89ab_cdef)
        #expect(ShardSeal.parse(v1)! == (.xxh64, 123_456, 0x0123_4567_89ab_cdef))
        func edited(_ text: String) -> [UInt8] {
            Array(text.utf8) + [UInt8](repeating: 0, count: ShardSeal.size - text.utf8.count)
        }
        let damaged: [[UInt8]] = [
            edited("tagood shard seal 1\nbody_bytes 0123456\nbody_xxh64 0123456789abcdef\n"), // not canonical
            edited("tagood shard seal 1\nbody_bytes -1\nbody_xxh64 0123456789abcdef\n"),
            edited("tagood shard seal 1\nbody_bytes 123456\nbody_xxh64 0123456789ABCDEF\n"), // upper case
            edited("tagood shard seal 1\nbody_bytes 123456\nbody_xxh64 123456789abcdef\n"), // 15 digits
            edited("tagood shard seal 1\nbody_bytes 123456\nbody_xxh64 0123456789abcdef\nmore\n"),
            edited("tagood shard seal 1\nbody_bytes 99999999999999999999\nbody_xxh64 0123456789abcdef\n"),
            edited("tagood shard seal 2\nbody_bytes 123456\nbody_xxh64 0123456789abcdef\n"), // version 1's hash line
            edited("tagood shard seal 1\nbody_bytes 123456\nbody_xxh3 0123456789abcdef\n"), // version 2's hash line
            edited("tagood shard seal 2\nbody_bytes 123456\nbody_xxh3 0123456789abcdef0\n"), // 17 digits
            edited("tagood shard seal 3\nbody_bytes 123456\nbody_xxh3 0123456789abcdef\n"), // unknown version
            Array(block.prefix(511)),
            block.enumerated().map { $0.offset == 300 ? 1 : $0.element } // padding not zero
        ]
        for bytes in damaged {
            #expect(ShardSeal.parse(bytes) == nil, "\(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))")
        }
    }
}
