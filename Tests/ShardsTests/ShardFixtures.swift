import Foundation
import TagoodSupport

@testable import Shards

/// Small deterministic shards for the tests.
enum ShardFixtures {
    static let embedDim = 8
    static let imageTokens = 17

    static func metadata(
        role: ShardRole = .idVal, embedDim: Int = embedDim, imageTokens: Int = imageTokens
    ) -> ShardMetadata {
        ShardMetadata(
            jobID: "job-test", datasetHash: "plan-0123456789abcdef", shardIndex: 42, dataset: "imagenet-val",
            role: role, modelName: "ram-test-tiny", modelHash: "model-fedcba",
            preprocessing: "resize392-crop384-imagenet-norm",
            tagThreshold: 0.68, attentionThreshold: 0.5, embedDim: embedDim, imageTokens: imageTokens)
    }

    /// A deterministic pseudo-random value in [-2, 2) for image `i`, slot `j`.
    static func value(_ i: Int, _ j: Int, salt: Int = 0) -> Float {
        var x = UInt64(truncatingIfNeeded: i &* 1_000_003 &+ j &* 7919 &+ salt &* 104_729) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return Float(x >> 40) / Float(1 << 24) * 4 - 2
    }

    /// Image `i`: `i % 5` tokens (so some have none), `i % 4` tags; every 7th image failed.
    static func record(
        _ i: Int, embedDim: Int = embedDim, imageTokens: Int = imageTokens, label: Int32? = nil
    ) -> ShardRecord {
        let path = "n0144\(i % 10)/ILSVRC2012_val_\(String(format: "%08d", i)).JPEG"
        let lab = label ?? Int32(i % 1000)
        if i % 7 == 3 {
            return .failed(
                path: path, label: lab, status: .decodeFailed, error: "truncated JPEG (image #\(i)) — ünïcode")
        }
        let tokens = i % 5
        return ShardRecord(
            path: path, label: lab,
            tokens: (0..<tokens * embedDim).map { value(i, $0) },
            tokenIndex: (0..<tokens).map { Int16(($0 * 3 + i) % imageTokens) },
            globalEmbed: (0..<embedDim).map { value(i, $0, salt: 1) },
            tagIDs: (0..<(i % 4)).map { Int32(i * 10 + $0) },
            tagProbs: (0..<(i % 4)).map { 0.5 + Float($0) / 10 },
            attention: (0..<imageTokens).map { abs(value(i, $0, salt: 2)) })
    }

    /// Writes `records` to `<dir>/<name>` and commits.
    @discardableResult
    static func write(
        _ records: [ShardRecord], to path: String, metadata: ShardMetadata = metadata(),
        options: ShardWriter.Options = .init()
    ) throws -> ShardWriteSummary {
        let writer = try ShardWriter(path: path, metadata: metadata, options: options)
        for record in records { try writer.append(record) }
        return try writer.commit()
    }

    /// What a float reads back as after storing it with `dtype`.
    static func stored(_ value: Float, _ dtype: TokenDType) -> Float {
        dtype == .float32 ? value : Float(Float16(value))
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func writeBytes(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The offset of the first occurrence of `needle` in `haystack`.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count, let first = needle.first else { return nil }
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == first && Array(haystack[i..<i + needle.count]) == needle { return i }
            i += 1
        }
        return nil
    }

    /// The repository root (for examples/read_shard.py).
    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// Runs a program; returns its exit status and its stdout + stderr.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
