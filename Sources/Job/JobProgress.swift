import Datasets
import TagoodSupport

/// How far a job has come at one moment: each dataset's shards by status and its images, and the rate
/// and ETA of the latest session. What `tagood status` shows; ``JobSnapshot/progress`` makes one.
public struct JobProgress: Sendable, Equatable {
    /// One dataset of the plan.
    public struct Dataset: Sendable, Equatable {
        public var name: String
        public var role: DatasetRole
        /// Its shards in the plan, and how many are committed, running, pending and given up.
        public var shards: Int
        public var done = 0
        public var running = 0
        public var pending = 0
        public var failed = 0
        /// Its images in the plan.
        public var images: Int
        /// The images of its committed shards, and how many of those could not be read.
        public var doneImages = 0
        public var unreadable = 0

        /// A dataset with nothing counted yet.
        public init(name: String, role: DatasetRole, shards: Int, images: Int) {
            self.name = name
            self.role = role
            self.shards = shards
            self.images = images
        }
    }

    /// The plan's datasets, in plan order.
    public var datasets: [Dataset]
    /// Images committed per second in the latest session: the images of the commits since its `started`
    /// record, over the time from that record to the last of them; nil until a commit is later than it.
    public var rate: Double?

    /// The images of every committed shard.
    public var doneImages: Int { datasets.reduce(0) { $0 + $1.doneImages } }
    /// Every image of the plan.
    public var images: Int { datasets.reduce(0) { $0 + $1.images } }

    /// Seconds until every image is done at ``rate``; nil without a positive rate, or when nothing is left.
    public var etaSeconds: Double? {
        guard let rate, rate > 0, doneImages < images else { return nil }
        return Double(images - doneImages) / rate
    }

    /// Counts `state`'s shards over `plan`, and takes the rate from the journal's `records` (whose
    /// replay `state` is).
    public init(plan: ShardPlan, state: JobState, records: [JournalRecord]) {
        datasets = plan.datasets.map { planned in
            var dataset = Dataset(
                name: planned.spec.name, role: planned.spec.role, shards: planned.shards.count,
                images: planned.images.count)
            for range in planned.shards {
                let id = ShardID(dataset: planned.spec.name, index: range.index)
                guard let shard = state.shards[id] else { continue }
                switch shard.status {
                case .committed:
                    dataset.done += 1
                    dataset.doneImages += shard.images
                    dataset.unreadable += shard.failedImages
                case .running: dataset.running += 1
                case .pending: dataset.pending += 1
                case .failed: dataset.failed += 1
                }
            }
            return dataset
        }
        rate = Self.latestSessionRate(records)
    }

    /// Images per second committed since the last `started` record, or nil (see ``rate``).
    static func latestSessionRate(_ records: [JournalRecord]) -> Double? {
        guard let start = records.last(where: { $0.event == .started }) else { return nil }
        let commits = records.filter { $0.event == .committed && $0.time >= start.time }
        guard let last = commits.last, last.time > start.time else { return nil }
        let images = commits.reduce(0) { $0 + ($1.images ?? 0) }
        return Double(images) / (last.time - start.time)
    }
}

extension JobSnapshot {
    /// The job's progress at the moment it was read.
    public var progress: JobProgress { JobProgress(plan: plan, state: state, records: records) }
}
