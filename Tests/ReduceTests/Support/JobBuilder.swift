import Datasets
import Foundation
import Reduce
import Shards
import TagoodSupport
import TagoodTestSupport

/// Hand-made records and job directories for the reducer tests.
enum JobBuilder {
    static let imageTokens = 8

    /// A readable image: `tokens` rows of width d, its pooled embedding and tag probabilities.
    static func image(
        _ path: String, label: Int32, tokens: [[Float]], global: [Float], tagProbs: [Float]
    ) -> ShardRecord {
        ShardRecord(
            path: path, label: label, tokens: tokens.flatMap { $0 },
            tokenIndex: (0..<tokens.count).map { Int16($0 % imageTokens) }, globalEmbed: global,
            tagIDs: (0..<tagProbs.count).map { Int32($0 + 1) }, tagProbs: tagProbs,
            attention: [Float](repeating: 0, count: imageTokens))
    }

    /// An image that failed in extraction.
    static func failed(_ path: String, label: Int32) -> ShardRecord {
        ShardRecord.failed(path: path, label: label, status: .decodeFailed, error: "not a JPEG")
    }

    /// Unit vector e_i of width d.
    static func e(_ i: Int, _ d: Int = 4) -> [Float] { (0..<d).map { $0 == i ? 1 : 0 } }

    /// Writes a job in a fresh temporary directory.
    static func job(
        _ datasets: [SyntheticJob.Dataset], imagesPerShard: Int, embedDim: Int,
        tokenDType: TokenDType = .float32
    ) throws -> (TemporaryDirectory, String) {
        let tmp = try TemporaryDirectory(prefix: "tagood-reduce-test")
        let path = tmp.path + "/job"
        try SyntheticJob.write(
            at: path, datasets: datasets, imagesPerShard: imagesPerShard, embedDim: embedDim,
            imageTokens: imageTokens, tokenDType: tokenDType)
        return (tmp, path)
    }

    /// A random job: id-train (`classes` classes), id-val and two OOD sets, about a third of OOD images
    /// without tokens and one failed image per dataset.
    static func randomJob(
        seed: UInt64, classes: Int = 4, train: Int = 120, val: Int = 40, ood: Int = 30, d: Int = 16,
        imagesPerShard: Int = 16
    ) throws -> (TemporaryDirectory, String) {
        var rng = Generator(seed: seed)
        let means = (0..<classes).map { _ in (0..<d).map { _ in rng.normal() * 2 } }
        func record(_ name: String, _ i: Int, label: Int32, mean: [Float], tokens: Bool) -> ShardRecord {
            if i == 3 { return failed("\(name)/\(i).jpg", label: label) }
            let n = tokens ? 1 + Int(rng.next() % 4) : 0
            let rows = (0..<n).map { _ in mean.map { $0 + rng.normal() } }
            let probs = (0..<(tokens ? 1 + Int(rng.next() % 3) : 0)).map { _ in 0.5 + rng.unit() / 2 }
            return image(
                "\(name)/\(i).jpg", label: label, tokens: rows, global: mean.map { $0 * 0.5 + rng.normal() },
                tagProbs: probs)
        }
        let names = (0..<classes).map { "class\($0)" }
        let trainRecords = (0..<train).map { i in
            record("train", i, label: Int32(i % classes), mean: means[i % classes], tokens: true)
        }
        let valRecords = (0..<val).map { i in
            record("val", i, label: Int32(i % classes), mean: means[i % classes], tokens: true)
        }
        let oodA = (0..<ood).map { i in
            record("oodA", i, label: -1, mean: (0..<d).map { _ in rng.normal() }, tokens: i % 3 != 0)
        }
        let oodB = (0..<ood).map { i in
            record("oodB", i, label: -1, mean: means[0].map { $0 * 0.7 + rng.normal() }, tokens: i % 4 != 0)
        }
        return try job(
            [
                .init(name: "train", role: .idTrain, classes: names, records: trainRecords),
                .init(name: "val", role: .idVal, classes: names, records: valRecords),
                .init(name: "ood-a", role: .ood, records: oodA),
                .init(name: "ood-b", role: .ood, records: oodB)
            ], imagesPerShard: imagesPerShard, embedDim: d, tokenDType: .float16)
    }

    /// The bytes of a file.
    static func bytes(_ path: String) throws -> [UInt8] { try FileBytes.read(path) }

    /// Every reduce and report output of a job, by relative path.
    static func outputs(_ job: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for folder in ["reduce", "report"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: job + "/" + folder) where name.contains(".")
            {
                out[folder + "/" + name] = try bytes(job + "/" + folder + "/" + name)
            }
        }
        return out
    }

    /// Reads a scores file.
    static func scores(_ job: String, _ dataset: String) throws -> ScoresFile {
        try JSONDecoder().decode(
            ScoresFile.self, from: Data(contentsOf: URL(fileURLWithPath: "\(job)/reduce/scores-\(dataset).json")))
    }
}

/// A small seeded generator (SplitMix64).
struct Generator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal() -> Float { (unit() + unit() + unit() + unit() - 2) * 1.7 }
}
