import Datasets
import TagoodSupport

extension ShardPartial {
    /// The partial as an ``ArrayFile``.
    public func arrayFile() -> ArrayFile {
        var file = ArrayFile(meta: [
            "kind": "shard-partial", "dataset": dataset, "role": role.rawValue, "shard_index": String(shardIndex),
            "checksum": checksum, "embed_dim": String(embedDim), "tag_threshold": String(tagThreshold),
            "images": String(images), "failed": String(failed), "no_tokens": String(noTokens)
        ])
        if let modelName { file.meta["model_name"] = modelName }
        let d = embedDim
        if let s = sums {
            let k = s.classes.count, packed = d * (d + 1) / 2
            file.add("classes", shape: [k], int32s: s.classes)
            file.add("object_counts", shape: [k], int64s: s.objectCounts)
            file.add("pooled_counts", shape: [k], int64s: s.pooledCounts)
            file.add("object_sums", shape: [k, d], doubles: s.objectSums)
            file.add("pooled_sums", shape: [k, d], doubles: s.pooledSums)
            file.add("object_gram", shape: [packed], doubles: s.objectGram)
            file.add("pooled_gram", shape: [packed], doubles: s.pooledGram)
        }
        if let bank { file.add("bank", shape: [bank.count / d, d], floats: bank) }
        if let r = rows {
            file.add("image_index", shape: [r.count], int32s: r.imageIndex)
            file.add("labels", shape: [r.count], int32s: r.labels)
            file.add("has_object", shape: [r.count], bytes: r.hasObject)
            file.add("tag_max", shape: [r.count], floats: r.tagMax)
            file.add("object", shape: [r.count, d], floats: r.object)
            file.add("pooled", shape: [r.count, d], floats: r.pooled)
        }
        return file
    }

    /// Reads a partial back; `path` is for messages.
    public init(file: ArrayFile, path: String) throws(ReduceError) {
        let m = file.meta
        func bad(_ what: String) -> ReduceError {
            ReduceError(.damaged, "partial \(path): \(what); delete it and re-run `tagood reduce`")
        }
        guard m["kind"] == "shard-partial", let dataset = m["dataset"],
            let role = m["role"].flatMap(DatasetRole.init(rawValue:)),
            let index = m["shard_index"].flatMap({ Int($0) }), let checksum = m["checksum"],
            let d = m["embed_dim"].flatMap({ Int($0) }), d > 0,
            let threshold = m["tag_threshold"].flatMap({ Double($0) }),
            let images = m["images"].flatMap({ Int($0) }), let failed = m["failed"].flatMap({ Int($0) }),
            let noTokens = m["no_tokens"].flatMap({ Int($0) })
        else { throw bad("its metadata is incomplete") }
        self.init(
            dataset: dataset, role: role, shardIndex: index, checksum: checksum, embedDim: d, tagThreshold: threshold,
            images: images, failed: failed, noTokens: noTokens)
        modelName = m["model_name"]
        if let classes = file.int32s("classes") {
            guard let oc = file.int64s("object_counts"), let pc = file.int64s("pooled_counts"),
                let os = file.doubles("object_sums"), let ps = file.doubles("pooled_sums"),
                let og = file.doubles("object_gram"), let pg = file.doubles("pooled_gram"),
                oc.count == classes.count, pc.count == classes.count, os.count == classes.count * d,
                ps.count == classes.count * d, og.count == d * (d + 1) / 2, pg.count == og.count
            else { throw bad("its class sums are incomplete") }
            sums = ClassSums(
                classes: classes, objectCounts: oc, pooledCounts: pc, objectSums: os, pooledSums: ps,
                objectGram: og, pooledGram: pg)
        }
        if let bank = file.floats("bank") {
            guard bank.count % d == 0 else { throw bad("its bank is not a multiple of \(d) wide") }
            self.bank = bank
        }
        if let labels = file.int32s("labels") {
            let n = labels.count
            guard let ii = file.int32s("image_index"), let ho = file.bytes("has_object"),
                let tm = file.floats("tag_max"),
                let ob = file.floats("object"), let po = file.floats("pooled"),
                ii.count == n, ho.count == n, tm.count == n, ob.count == n * d, po.count == n * d
            else { throw bad("its rows are incomplete") }
            rows = Rows(imageIndex: ii, labels: labels, hasObject: ho, tagMax: tm, object: ob, pooled: po)
        }
    }

    /// A partial with counts only (sections added afterwards).
    init(
        dataset: String, role: DatasetRole, shardIndex: Int, checksum: String, embedDim: Int, tagThreshold: Double,
        images: Int, failed: Int, noTokens: Int
    ) {
        self.dataset = dataset
        self.role = role
        self.shardIndex = shardIndex
        self.checksum = checksum
        self.embedDim = embedDim
        self.tagThreshold = tagThreshold
        self.images = images
        self.failed = failed
        self.noTokens = noTokens
    }
}
