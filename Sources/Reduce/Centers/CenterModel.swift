import Foundation

/// Everything scoring needs from the in-distribution training images: the TagOOD class centers, the
/// class means and shared covariances for Mahalanobis, and where the KNN bank is. Saved as
/// `reduce/centers.bin` (an ``ArrayFile``).
public struct CenterModel: Sendable {
    public let classCount: Int
    public let d: Int
    /// Class names (empty when the source layout has none).
    public let classNames: [String]
    /// Unit-norm class centers: the normalised mean of the normalised object features. [classCount × d].
    public let centers: [Float]
    /// Object- and pooled-feature class means (not normalised), [classCount × d].
    public let objectMeans: [Double], pooledMeans: [Double]
    /// Shared covariances, d×d.
    public let objectCovariance: [Double], pooledCovariance: [Double]
    /// Images per class with an object feature / readable.
    public let objectCounts: [Int64], pooledCounts: [Int64]
    /// The partial files that hold the bank rows, in order, and how many rows they hold together.
    public let bankPartials: [String]
    public let bankSize: Int
    /// Where the centers came from (job directory and dataset names), for the report.
    public let sourceJob: String
    public let sourceDatasets: [String]

    /// Builds the model from merged statistics. Throws `reduce.empty-class` naming every class without an
    /// object feature.
    public init(
        statistics s: ClassStatistics, classNames: [String], bankPartials: [String], bankSize: Int,
        sourceJob: String, sourceDatasets: [String]
    ) throws(ReduceError) {
        let empty = (0..<s.classCount).filter { s.objectCounts[$0] == 0 }
        guard empty.isEmpty else {
            let named = empty.prefix(8).map { c in c < classNames.count ? "\(c) (\(classNames[c]))" : "\(c)" }
            throw ReduceError(
                .emptyClass,
                "\(empty.count) of \(s.classCount) classes have no image with object tokens in "
                    + "\(sourceDatasets.joined(separator: ", ")) of \(sourceJob): class \(named.joined(separator: ", "))"
                    + (empty.count > 8 ? ", …" : "")
                    + ". Every class needs at least one image to have a center: check that the "
                    + "class folders are not empty and their shards not failed, or take the centers from another job with --centers-from"
            )
        }
        var centers: [Float] = []
        centers.reserveCapacity(s.classCount * s.d)
        for c in 0..<s.classCount {
            guard let center = Vectors.normalised(Array(s.objectSums[(c * s.d)..<((c + 1) * s.d)])) else {
                throw ReduceError(
                    .emptyClass,
                    "class \(c) of \(sourceJob) has object features that sum to zero; it has no direction to be a center"
                )
            }
            centers += center
        }
        self.init(
            classCount: s.classCount, d: s.d, classNames: classNames, centers: centers,
            objectMeans: s.means(object: true), pooledMeans: s.means(object: false),
            objectCovariance: s.sharedCovariance(object: true), pooledCovariance: s.sharedCovariance(object: false),
            objectCounts: s.objectCounts, pooledCounts: s.pooledCounts, bankPartials: bankPartials, bankSize: bankSize,
            sourceJob: sourceJob, sourceDatasets: sourceDatasets)
    }

    init(
        classCount: Int, d: Int, classNames: [String], centers: [Float], objectMeans: [Double], pooledMeans: [Double],
        objectCovariance: [Double], pooledCovariance: [Double], objectCounts: [Int64], pooledCounts: [Int64],
        bankPartials: [String], bankSize: Int, sourceJob: String, sourceDatasets: [String]
    ) {
        self.classCount = classCount
        self.d = d
        self.classNames = classNames
        self.centers = centers
        self.objectMeans = objectMeans
        self.pooledMeans = pooledMeans
        self.objectCovariance = objectCovariance
        self.pooledCovariance = pooledCovariance
        self.objectCounts = objectCounts
        self.pooledCounts = pooledCounts
        self.bankPartials = bankPartials
        self.bankSize = bankSize
        self.sourceJob = sourceJob
        self.sourceDatasets = sourceDatasets
    }

    /// Writes `centers.bin` atomically.
    public func write(to path: String) throws(ReduceError) {
        let json = { (v: [String]) in String(decoding: try! JSONEncoder().encode(v), as: UTF8.self) }
        var file = ArrayFile(meta: [
            "kind": "centers", "classes": String(classCount), "embed_dim": String(d), "class_names": json(classNames),
            "bank_partials": json(bankPartials), "bank_size": String(bankSize), "source_job": sourceJob,
            "source_datasets": json(sourceDatasets)
        ])
        file.add("centers", shape: [classCount, d], floats: centers)
        file.add("object_means", shape: [classCount, d], doubles: objectMeans)
        file.add("pooled_means", shape: [classCount, d], doubles: pooledMeans)
        file.add("object_covariance", shape: [d, d], doubles: objectCovariance)
        file.add("pooled_covariance", shape: [d, d], doubles: pooledCovariance)
        file.add("object_counts", shape: [classCount], int64s: objectCounts)
        file.add("pooled_counts", shape: [classCount], int64s: pooledCounts)
        try file.write(to: path)
    }

    /// Reads a `centers.bin` written by ``write(to:)``.
    public static func read(path: String) throws(ReduceError) -> CenterModel {
        let file = try ArrayFile.read(path: path)
        let m = file.meta
        let strings = { (s: String?) -> [String]? in
            s.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        }
        guard m["kind"] == "centers", let c = m["classes"].flatMap({ Int($0) }),
            let d = m["embed_dim"].flatMap({ Int($0) }),
            let names = strings(m["class_names"]), let bank = strings(m["bank_partials"]),
            let bankSize = m["bank_size"].flatMap({ Int($0) }), let job = m["source_job"],
            let sources = strings(m["source_datasets"]),
            let centers = file.floats("centers"), centers.count == c * d,
            let om = file.doubles("object_means"), om.count == c * d, let pm = file.doubles("pooled_means"),
            pm.count == c * d,
            let oc = file.doubles("object_covariance"), oc.count == d * d,
            let pc = file.doubles("pooled_covariance"), pc.count == d * d,
            let on = file.int64s("object_counts"), on.count == c, let pn = file.int64s("pooled_counts"), pn.count == c
        else {
            throw ReduceError(.damaged, "\(path) is not a complete centers file; re-run `tagood reduce` on its job")
        }
        return CenterModel(
            classCount: c, d: d, classNames: names, centers: centers, objectMeans: om, pooledMeans: pm,
            objectCovariance: oc, pooledCovariance: pc, objectCounts: on, pooledCounts: pn,
            bankPartials: bank, bankSize: bankSize, sourceJob: job, sourceDatasets: sources)
    }
}
