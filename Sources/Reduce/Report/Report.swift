import TagoodSupport

/// `report/report.json`: the evaluation of a reduced job. All metrics are fractions in [0, 1].
///
/// ```json
/// {"schema_version": 1, "job": "...", "plan_hash": "...",
///  "id": {"datasets": ["imagenet-val"], "images": 50000, "scored": 50000, "failed": 0, "no_tokens": 0, "top1_accuracy": 0.78},
///  "centers": {"source_job": "...", "source_datasets": ["imagenet-train"], "classes": 1000, "knn_bank": 1281167, "knn_k": 50},
///  "columns": [{"name": "tagood", "title": "TagOOD", "definition": "..."}, ...],
///  "ood": [{"dataset": "inat", "images": 10000, "scored": 10000, "failed": 0, "no_tokens": 1234,
///           "metrics": {"tagood": {"auroc": 0.95, "aupr_in": 0.97, "aupr_out": 0.9, "fpr95_tagood": 0.3, "fpr95_openood": 0.31}, ...}}],
///  "groups": [{"group": "near", "datasets": ["ssb-hard", "ninco"], "metrics": {"tagood": {...}, ...}}, ...],
///  "average": {"tagood": {...}, ...},
///  "notes": ["..."]}
/// ```
///
/// `groups` holds, for each report group the job's OOD sets carry (`group: near`), the mean of every
/// metric over its sets, as OpenOOD's near-/far-OOD rows; it is empty when no set has a group.
public struct Report: Codable, Sendable, Equatable {
    public struct IDSummary: Codable, Sendable, Equatable {
        public var datasets: [String]
        public var images: Int, scored: Int, failed: Int, noTokens: Int
        public var top1Accuracy: Double?
        enum CodingKeys: String, CodingKey {
            case datasets, images, scored, failed, noTokens = "no_tokens", top1Accuracy = "top1_accuracy"
        }
    }

    public struct Centers: Codable, Sendable, Equatable {
        public var sourceJob: String
        public var sourceDatasets: [String]
        public var classes: Int, knnBank: Int, knnK: Int
        public var mahalanobisRidge: [String: Double]
        enum CodingKeys: String, CodingKey {
            case sourceJob = "source_job", sourceDatasets = "source_datasets", classes, knnBank = "knn_bank", knnK =
                "knn_k"
            case mahalanobisRidge = "mahalanobis_ridge"
        }
    }

    public struct OODSet: Codable, Sendable, Equatable {
        public var dataset: String
        /// Its report group, if any.
        public var group: String?
        public var images: Int, scored: Int, failed: Int, noTokens: Int
        /// Column name → metrics.
        public var metrics: [String: OODMetrics]
        enum CodingKeys: String, CodingKey {
            case dataset, group, images, scored, failed, noTokens = "no_tokens", metrics
        }
    }

    /// A report group: its OOD sets, in report order, and each column's mean of their metrics.
    public struct Group: Codable, Sendable, Equatable {
        public var group: String
        public var datasets: [String]
        /// Column name → the mean of each metric over the group's sets.
        public var metrics: [String: OODMetrics]
    }

    public var schemaVersion = 1
    public var createdBy = TagoodVersion.createdBy
    public var job: String
    public var planHash: String
    public var id: IDSummary
    public var centers: Centers
    public var columns: [ReduceSummary.Column]
    /// The score columns the reduce computed, in report order (`tagood-learned` only after `tagood train`).
    public var scoreColumns: [ScoreColumn] {
        ScoreColumn.allCases.filter { c in columns.contains { $0.name == c.rawValue } }
    }
    public var ood: [OODSet]
    /// The groups' means, in the order their first set comes (empty without groups).
    public var groups: [Group] = []
    /// Column name → the mean of each metric over the OOD sets.
    public var average: [String: OODMetrics]
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", createdBy = "created_by", job, planHash = "plan_hash", id, centers,
            columns, ood
        case groups, average, notes
    }
}

extension Report {
    /// The groups of `sets` (those with one), each with every column's mean.
    static func groups(of sets: [OODSet], columns: [ScoreColumn]) -> [Group] {
        var order: [String] = []
        for set in sets { if let g = set.group, !order.contains(g) { order.append(g) } }
        return order.map { name in
            let members = sets.filter { $0.group == name }
            var metrics: [String: OODMetrics] = [:]
            for column in columns {
                let all = members.compactMap { $0.metrics[column.rawValue] }
                if !all.isEmpty { metrics[column.rawValue] = OODMetrics.mean(all) }
            }
            return Group(group: name, datasets: members.map(\.dataset), metrics: metrics)
        }
    }

    /// Decodes report.json; `groups` is absent in reports written before groups.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        createdBy = try c.decode(String.self, forKey: .createdBy)
        job = try c.decode(String.self, forKey: .job)
        planHash = try c.decode(String.self, forKey: .planHash)
        id = try c.decode(IDSummary.self, forKey: .id)
        centers = try c.decode(Centers.self, forKey: .centers)
        columns = try c.decode([ReduceSummary.Column].self, forKey: .columns)
        ood = try c.decode([OODSet].self, forKey: .ood)
        groups = try c.decodeIfPresent([Group].self, forKey: .groups) ?? []
        average = try c.decode([String: OODMetrics].self, forKey: .average)
        notes = try c.decode([String].self, forKey: .notes)
    }
}

extension OODMetrics {
    /// The mean of each metric over several sets.
    static func mean(_ all: [OODMetrics]) -> OODMetrics {
        var m = all[0]
        let n = Double(all.count)
        m.auroc = all.map(\.auroc).reduce(0, +) / n
        m.auprIn = all.map(\.auprIn).reduce(0, +) / n
        m.auprOut = all.map(\.auprOut).reduce(0, +) / n
        m.fpr95TagOOD = all.map(\.fpr95TagOOD).reduce(0, +) / n
        m.fpr95OpenOOD = all.map(\.fpr95OpenOOD).reduce(0, +) / n
        return m
    }
}
