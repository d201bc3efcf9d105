/// A shard's identity: its dataset's name and its index there. The only name a shard has in Swift code,
/// the protocol and the journal (`{"dataset": "val", "index": 3}`); its files' paths are functions of it
/// (``JobDirectory/shardFile(_:)``, ``JobDirectory/stagingFile(_:attempt:worker:)``).
public struct ShardID: Sendable, Hashable, Codable, CustomStringConvertible {
    public var dataset: String
    public var index: Int

    public init(dataset: String, index: Int) {
        self.dataset = dataset
        self.index = index
    }

    /// `val/3`.
    public var description: String { "\(dataset)/\(index)" }
}
