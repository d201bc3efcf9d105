/// The images to score, all datasets together (row order: plan order), with the inputs of every score.
public struct QuerySet: Sendable {
    public let d: Int
    /// The scoring feature: the object feature, or the pooled one for an image without tokens. [count × d].
    public var feature: [Float] = []
    /// The pooled feature. [count × d].
    public var pooled: [Float] = []
    public var hasObject: [Bool] = []
    /// Best stored tag probability, nil without tags.
    public var tagMax: [Float?] = []
    /// The shard's `tag_threshold`, per row.
    public var tagThreshold: [Double] = []
    public var labels: [Int32] = []

    public init(d: Int) { self.d = d }

    public var count: Int { labels.count }

    /// Appends one partial's rows.
    public mutating func append(_ rows: ShardPartial.Rows, tagThreshold threshold: Double) {
        for i in 0..<rows.count {
            let has = rows.hasObject[i] == 1
            let range = (i * d)..<((i + 1) * d)
            feature += has ? rows.object[range] : rows.pooled[range]
            pooled += rows.pooled[range]
            hasObject.append(has)
            tagMax.append(rows.tagMax[i].isNaN ? nil : rows.tagMax[i])
            tagThreshold.append(threshold)
            labels.append(rows.labels[i])
        }
    }
}
