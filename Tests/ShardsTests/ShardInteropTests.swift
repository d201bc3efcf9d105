import Foundation
import TagoodSupport
import Testing

@testable import Shards

/// The shard must open in the standard tools with nothing but the schema.
@Suite struct ShardInteropTests {
    static let h5dump = "/usr/bin/h5dump"

    @Test func h5dumpOpensAShard() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        try ShardFixtures.write(
            (0..<12).map { ShardFixtures.record($0) }, to: path,
            options: .init(compression: .gzip(level: 1)))
        let header = try ShardFixtures.run(Self.h5dump, ["-H", path])
        #expect(header.status == 0, "\(header.output)")
        for name in ShardSchema.datasetNames {
            #expect(header.output.contains("DATASET \"\(name)\""), "\(name) not listed")
        }
        #expect(header.output.contains("ATTRIBUTE \"complete\""))
        // A full dump converts the float16 data too.
        let full = try ShardFixtures.run(Self.h5dump, ["-d", "/tokens", "-d", "/paths", "-d", "/attention", path])
        #expect(full.status == 0, "\(full.output)")
        #expect(full.output.contains("ILSVRC2012_val_00000001.JPEG"))
        let first = ShardFixtures.record(1).tokens[0]
        // h5dump prints floats with %g.
        let expected = String(format: "%g", Double(Float(Float16(first))))
        #expect(full.output.contains(expected), "\(expected) not in \(full.output.prefix(2000))")
    }

    @Test func h5dumpOpensAnEmptyShard() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/empty.h5"
        try ShardFixtures.write([], to: path)
        let dump = try ShardFixtures.run(Self.h5dump, [path])
        #expect(dump.status == 0, "\(dump.output)")
        #expect(dump.output.contains("DATASET \"tokens\""))
    }

    static var pythonWithH5py: Bool {
        (try? ShardFixtures.run("/usr/bin/env", ["python3", "-c", "import h5py, numpy"]).status) == 0
    }

    @Test(.enabled(if: pythonWithH5py, "python3 with h5py is not importable here; skipping examples/read_shard.py"))
    func pythonExampleReadsAndVerifies() throws {
        let dir = try TemporaryDirectory()
        for dtype in TokenDType.allCases {
            let path = dir.path + "/shard-\(dtype).h5"
            let records = (0..<25).map { ShardFixtures.record($0) }
            let summary = try ShardFixtures.write(records, to: path, options: .init(tokenDType: dtype))
            let script = ShardFixtures.repositoryRoot + "/examples/read_shard.py"
            let result = try ShardFixtures.run(
                "/usr/bin/env",
                [
                    "python3", script, path, "--images", "5",
                    "--file-checksum", summary.fileChecksum
                ])
            #expect(result.status == 0, "\(result.output)")
            #expect(
                result.output.contains(
                    "images=25 ok=\(summary.okImages) failed=\(summary.failedImages) tokens=\(summary.tokens)"),
                "\(result.output)")
            #expect(result.output.contains("token_dtype=\(dtype.rawValue)"), "\(result.output)")
            #expect(result.output.contains("#3 n01443/ILSVRC2012_val_00000003.JPEG"), "\(result.output)")
            #expect(result.output.contains("FAILED status=2"), "\(result.output)")
            let hasXXHash = (try? ShardFixtures.run("/usr/bin/env", ["python3", "-c", "import xxhash"]).status) == 0
            if hasXXHash {
                #expect(result.output.contains("seal ok"), "\(result.output)")
                #expect(result.output.contains("content checksum ok: \(summary.contentChecksum)"), "\(result.output)")
                #expect(result.output.contains("file checksum ok: \(summary.fileChecksum)"), "\(result.output)")
                // A flipped byte is caught by the seal before h5py parses the file.
                var bytes = try ShardFixtures.bytes(path)
                bytes[bytes.count / 2] ^= 0x01
                try ShardFixtures.writeBytes(bytes, path)
                let damaged = try ShardFixtures.run("/usr/bin/env", ["python3", script, path])
                #expect(damaged.status != 0 && damaged.output.contains("seal MISMATCH"), "\(damaged.output)")
            }
        }
    }
}
