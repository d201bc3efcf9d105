import Datasets
import Job
import TagoodSupport

/// The kinds of task a coordinator hands out.
public enum TaskKind: String, Sendable, Codable, CaseIterable {
    /// Extract a shard's images into its HDF5 file (`tagood launch`, `resume`).
    case extract
    /// Reduce a committed shard into its partial (`tagood reduce --cluster`).
    case reduce
}

/// What an assignment asks for: one message shape per task kind.
public enum TaskAssignment: Sendable, Equatable, Codable {
    case extract(ExtractTask)
    case reduce(ReduceTask)

    /// The kind of task.
    public var kind: TaskKind {
        switch self {
        case .extract: .extract
        case .reduce: .reduce
        }
    }

    private enum CodingKeys: String, CodingKey { case kind, extract, reduce }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(TaskKind.self, forKey: .kind) {
        case .extract: self = .extract(try c.decode(ExtractTask.self, forKey: .extract))
        case .reduce: self = .reduce(try c.decode(ReduceTask.self, forKey: .reduce))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .extract(let task): try c.encode(task, forKey: .extract)
        case .reduce(let task): try c.encode(task, forKey: .reduce)
        }
    }
}

/// Extract these images into the attempt's staging file.
public struct ExtractTask: Sendable, Equatable, Codable {
    public var role: DatasetRole
    /// The dataset's hash in the plan, stamped into the shard's `plan_hash`.
    public var datasetHash: String
    /// The dataset root, and the shard's images (relative to it) and labels, so workers need not load
    /// the plan.
    public var root: String
    public var paths: [String]
    public var labels: [Int32]

    public init(role: DatasetRole, datasetHash: String, root: String, paths: [String], labels: [Int32]) {
        self.role = role
        self.datasetHash = datasetHash
        self.root = root
        self.paths = paths
        self.labels = labels
    }
}

/// Reduce the committed shard into its partial (content-addressed by the shard file's checksum).
public struct ReduceTask: Sendable, Equatable, Codable {
    public var role: DatasetRole
    public var datasetHash: String
    public var range: ShardRange
    /// The committed shard file's checksum (from the journal), which names its partial.
    public var checksum: String

    public init(role: DatasetRole, datasetHash: String, range: ShardRange, checksum: String) {
        self.role = role
        self.datasetHash = datasetHash
        self.range = range
        self.checksum = checksum
    }
}
