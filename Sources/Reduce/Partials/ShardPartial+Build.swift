import Datasets
import Job
import Shards
import Tensor

/// Making one shard's partial: read the shard, streaming, and sum its features.
extension ShardPartial {
    /// Gram blocks: rows folded into Σ x xᵀ per BLAS call (a fixed size, so results never depend on threads).
    static let gramBlock = 512

    /// Builds the partial of `task`. The shard's bytes are always checked first against its seal and the
    /// journal's file checksum (one fast pass over the file); with `verify`, its structure and content
    /// checksums are checked too, which reads the data one more time.
    public static func build(from task: CommittedShard, verify: Bool) throws(ReduceError) -> ShardPartial {
        do {
            return try buildThrowing(task, verify: verify)
        } catch let error as ReduceError {
            throw error
        } catch {
            throw ReduceError(.shard, "\(error)")
        }
    }

    /// Verifies the shard of `task` in full without building its partial (`reduce --verify` on a shard
    /// whose partial is cached): its bytes against the seal and the journal's file checksum, then its
    /// structure and content checksums, and that it holds the shard the plan expects.
    public static func verifyShard(_ task: CommittedShard) throws(ReduceError) {
        do {
            let reader = try ShardReader(path: task.path, expectedFileChecksum: task.checksum)
            defer { reader.close() }
            _ = try reader.verify()
            let meta = try reader.header().metadata
            guard meta.dataset == task.dataset, meta.shardIndex == task.range.index,
                meta.datasetHash == task.datasetHash
            else {
                throw ReduceError(
                    .shard,
                    "shard \(task.path) holds \(meta.dataset)/\(meta.shardIndex) (plan \(meta.datasetHash)); the plan "
                        + "expects \(task.dataset)/\(task.range.index) (plan \(task.datasetHash)): run `tagood resume` to re-verify the job"
                )
            }
        } catch let error as ReduceError {
            throw error
        } catch {
            throw ReduceError(
                .shard, "shard \(task.path) does not verify: \(error); run `tagood resume` to re-verify and redo it")
        }
    }

    private static func buildThrowing(_ task: CommittedShard, verify: Bool) throws -> ShardPartial {
        // The bytes are checked against the seal and the journal before HDF5 sees them (ShardAudit.verify says why).
        let reader = try ShardReader(path: task.path, expectedFileChecksum: task.checksum)
        defer { reader.close() }
        if verify { _ = try reader.verify() }
        let header = try reader.header()
        let meta = header.metadata
        guard header.isComplete, meta.dataset == task.dataset, meta.shardIndex == task.range.index,
            meta.datasetHash == task.datasetHash, meta.role.rawValue == task.role.rawValue
        else {
            throw ReduceError(
                .shard,
                "shard \(task.path) holds \(meta.dataset)/\(meta.shardIndex) (role \(meta.role.rawValue), "
                    + "plan \(meta.datasetHash), complete \(header.isComplete)); the plan expects \(task.dataset)/\(task.range.index) "
                    + "(role \(task.role.rawValue), plan \(task.datasetHash)): run `tagood resume` to re-verify the job"
            )
        }
        let d = meta.embedDim
        var partial = ShardPartial(
            dataset: task.dataset, role: task.role, shardIndex: task.range.index, checksum: task.checksum,
            embedDim: d, tagThreshold: meta.tagThreshold, images: 0, failed: 0, noTokens: 0)
        partial.modelName = meta.modelName
        let inDistribution = task.role != .ood
        // Every buffer at its final size up front: growing them image by image would copy them again and
        // fault in new pages each time.
        let images = task.range.count
        var sums = SumsBuilder(d: d, images: inDistribution ? images : 0)
        var bank: [Float] = []
        var rows = ShardPartial.Rows()
        if task.role == .idTrain {
            bank.reserveCapacity(images * d)
        } else {
            rows.reserve(images: images, d: d)
        }
        // Column blocks of at most 8192 token rows (8 MB as float16): the token rows stay in one buffer
        // in their stored dtype and are summed from there, with no per-image copies.
        let cursor = try reader.columnBlocks(maxBlockImages: 512, maxBlockTokens: 8192)
        while let block = try cursor.next() {
            for i in 0..<block.count {
                partial.images += 1
                guard block.status(i).isOK else { partial.failed += 1; continue }
                let f = ImageFeatures(block, image: i)
                let index = block.start + i, label = block.labels[i]
                if f.object == nil { partial.noTokens += 1 }
                if inDistribution {
                    guard label >= 0 else {
                        let path = (try? reader.pathsAndLabels().paths[index]) ?? "?"
                        throw ReduceError(
                            .shard,
                            "shard \(task.path): image #\(index) (\(path)) of in-distribution dataset "
                                + "\(task.dataset) has label \(label); every ID image needs its class index (check the dataset layout)"
                        )
                    }
                    sums.add(label: label, f)
                }
                if task.role == .idTrain {
                    if let o = f.object { bank += o }
                } else {
                    rows.imageIndex.append(Int32(index))
                    rows.labels.append(label)
                    rows.hasObject.append(f.object == nil ? 0 : 1)
                    rows.tagMax.append(f.tagMax ?? .nan)
                    rows.object += f.object ?? [Float](repeating: 0, count: d)
                    rows.pooled += f.pooled
                }
            }
        }
        guard partial.images == task.range.count else {
            throw ReduceError(
                .shard,
                "shard \(task.path) has \(partial.images) images; the plan says \(task.range.count): run `tagood resume`"
            )
        }
        if inDistribution { partial.sums = sums.finish() }
        if task.role == .idTrain { partial.bank = bank } else { partial.rows = rows }
        return partial
    }
}

/// Accumulates per-class sums and the Gram matrices of one shard.
struct SumsBuilder {
    let d: Int
    private var slot: [Int32: Int] = [:]
    private var objectCounts: [Int64] = [], pooledCounts: [Int64] = []
    private var objectSums: [[Double]] = [], pooledSums: [[Double]] = []
    private var objectGram: [Double], pooledGram: [Double]
    private var objectBlock: [Double] = [], pooledBlock: [Double] = []

    /// Sums of width `d` for a shard of `images` images (which sizes the Gram blocks).
    init(d: Int, images: Int) {
        self.d = d
        objectGram = [Double](repeating: 0, count: d * d)
        pooledGram = objectGram
        objectBlock.reserveCapacity(min(images, ShardPartial.gramBlock) * d)
        pooledBlock.reserveCapacity(min(images, ShardPartial.gramBlock) * d)
    }

    mutating func add(label: Int32, _ f: ImageFeatures) {
        let s: Int
        if let existing = slot[label] {
            s = existing
        } else {
            s = objectCounts.count
            slot[label] = s
            objectCounts.append(0); pooledCounts.append(0)
            objectSums.append([Double](repeating: 0, count: d)); pooledSums.append([Double](repeating: 0, count: d))
        }
        if let o = f.object {
            objectCounts[s] += 1
            Self.add(o, to: &objectSums[s])
            Self.append(o, to: &objectBlock)
            if objectBlock.count == ShardPartial.gramBlock * d { Self.fold(&objectBlock, into: &objectGram, d: d) }
        }
        pooledCounts[s] += 1
        Self.add(f.pooled, to: &pooledSums[s])
        Self.append(f.pooled, to: &pooledBlock)
        if pooledBlock.count == ShardPartial.gramBlock * d { Self.fold(&pooledBlock, into: &pooledGram, d: d) }
    }

    /// `sum[j] += Double(x[j])` for every j, on raw buffers so that the loop vectorises.
    private static func add(_ x: [Float], to sum: inout [Double]) {
        precondition(x.count == sum.count, "feature width \(x.count) against sums of width \(sum.count)")
        x.withUnsafeBufferPointer { x in
            sum.withUnsafeMutableBufferPointer { sum in
                for j in 0..<x.count { sum[j] += Double(x[j]) }
            }
        }
    }

    /// Appends `x` as Double, in one vectorised pass.
    private static func append(_ x: [Float], to block: inout [Double]) {
        let start = block.count
        block.append(contentsOf: repeatElement(0, count: x.count))
        x.withUnsafeBufferPointer { x in
            block.withUnsafeMutableBufferPointer { b in
                for j in 0..<x.count { b[start + j] = Double(x[j]) }
            }
        }
    }

    private static func fold(_ block: inout [Double], into gram: inout [Double], d: Int) {
        let m = block.count / d
        block.withUnsafeBufferPointer { x in
            gram.withUnsafeMutableBufferPointer { g in
                BLAS.dsyrkUpperAtA(d: d, m: m, x: x.baseAddress!, c: g.baseAddress!)
            }
        }
        block.removeAll(keepingCapacity: true)
    }

    mutating func finish() -> ShardPartial.ClassSums {
        Self.fold(&objectBlock, into: &objectGram, d: d)
        Self.fold(&pooledBlock, into: &pooledGram, d: d)
        let order = slot.keys.sorted()
        var out = ShardPartial.ClassSums()
        for label in order {
            let s = slot[label]!
            out.classes.append(label)
            out.objectCounts.append(objectCounts[s])
            out.pooledCounts.append(pooledCounts[s])
            out.objectSums += objectSums[s]
            out.pooledSums += pooledSums[s]
        }
        out.objectGram = Vectors.packUpper(objectGram, d: d)
        out.pooledGram = Vectors.packUpper(pooledGram, d: d)
        return out
    }
}
