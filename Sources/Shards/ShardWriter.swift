@preconcurrency import CHDF5
import CHDF5Shim
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

#if _endian(big)
#error(
    "Shards are little-endian and the writer stages host bytes: port ByteBuffer staging before using a big-endian host")
#endif

/// Writes one shard: an HDF5 file with the schema of docs/DESIGN.md ("The shard schema"), committed atomically.
///
/// The writer creates `<path>.tmp-<pid>-<n>` beside the target and stages appended images in memory,
/// hashing each dataset's bytes as they are staged. A dataset whose staged rows reach
/// ``Options/bufferBytes`` writes the whole chunks among them with one `H5Dwrite`, straight from the
/// staging buffer into the file (no chunk cache), and keeps the partial chunk staged; the rest is
/// written at commit, each dataset in one call. ``commit()`` writes `content_checksum` and then `complete = 1`, closes and
/// `fsync`s the file, renames it over the target and `fsync`s the directory. ``abandon()``, or releasing
/// an uncommitted writer, deletes the temporary file.
///
/// Threading: use one writer from one thread at a time (it is not `Sendable`). Writers on different
/// threads are fine because Debian's HDF5 1.10 is the thread-safe build (one global lock around every
/// call, so their HDF5 work is serialised, not parallel); a test checks that assumption.
public final class ShardWriter {
    /// The final shard path (for a staged writer, the staging file itself).
    public let path: String
    /// The file being written until ``commit()``: a private temporary name beside ``path``, or, for a
    /// staged writer, the staging file itself.
    public let temporaryPath: String
    /// Whether ``commit()`` renames the finished file over ``path`` (false for a staged writer, whose
    /// file is renamed into place by someone else: the coordinator).
    public let renamesOnCommit: Bool
    /// The descriptive attributes.
    public let metadata: ShardMetadata
    /// Storage options.
    public let options: Options

    /// Images appended so far.
    public internal(set) var imageCount = 0
    /// Images appended with a status other than ok.
    public internal(set) var failedCount = 0
    /// Token rows appended so far.
    public internal(set) var tokenCount = 0
    /// Tags appended so far.
    public internal(set) var tagCount = 0

    enum State {
        case writing, committed, abandoned
        case failed(ShardError)
    }

    var state: State = .writing
    var file: HDF5Handle?
    /// The datasets in schema order.
    var columns: [Column] = []
    var paths: Column { columns[0] }
    var labels: Column { columns[1] }
    var tokenOffsets: Column { columns[2] }
    var tokens: Column { columns[3] }
    var tokenIndex: Column { columns[4] }
    var globalEmbed: Column { columns[5] }
    var tagIDs: Column { columns[6] }
    var tagOffsets: Column { columns[7] }
    var tagProbs: Column { columns[8] }
    var attention: Column { columns[9] }
    var status: Column { columns[10] }
    var errors: Column { columns[11] }
    /// Every tag's probability per image, when the metadata asks for it (``ShardMetadata/allTags``).
    var allTagProbs: Column? { columns.count > 12 ? columns[12] : nil }

    /// Creates the temporary file with every attribute except `content_checksum` and `complete`, and
    /// every dataset (empty). The target's directory must exist.
    public convenience init(path: String, metadata: ShardMetadata, options: Options = Options()) throws(ShardError) {
        try self.init(
            path: path, temporaryPath: AtomicFile.temporaryPath(for: path), metadata: metadata, options: options)
    }

    /// A writer for a cluster attempt: it writes `stagingPath` (which must not exist) and ``commit()``
    /// finishes and `fsync`s it there without renaming it. The coordinator verifies the file and renames
    /// it into the shard's place: one write and one rename per shard. An uncommitted staged writer deletes
    /// its file like any other.
    public convenience init(
        stagingPath: String, metadata: ShardMetadata, options: Options = Options()
    ) throws(ShardError) {
        try self.init(path: stagingPath, temporaryPath: stagingPath, metadata: metadata, options: options)
    }

    private init(path: String, temporaryPath: String, metadata: ShardMetadata, options: Options) throws(ShardError) {
        self.path = path
        self.temporaryPath = temporaryPath
        self.renamesOnCommit = temporaryPath != path
        self.metadata = metadata
        self.options = options
        HDF5.prepareThread()
        guard metadata.embedDim > 0, metadata.imageTokens > 0 else {
            throw ShardError(
                .write, path: path, part: "metadata",
                detail: "embed_dim (\(metadata.embedDim)) and image_tokens (\(metadata.imageTokens)) must be positive")
        }
        if let allTags = metadata.allTags, allTags < 1 {
            throw ShardError(
                .write, path: path, part: "metadata", detail: "all_tags is \(allTags); it must be positive (or absent)")
        }
        guard metadata.imageTokens <= Int(Int16.max) + 1 else {
            throw ShardError(
                .write, path: path, part: "metadata",
                detail: "image_tokens \(metadata.imageTokens) does not fit token_index's int16")
        }
        // The first ShardSeal.size bytes are a user block that HDF5 leaves alone; commit() seals into it.
        let creation = H5Pcreate(tagood_H5P_FILE_CREATE())
        defer { if creation >= 0 { H5Pclose(creation) } }
        guard creation >= 0, H5Pset_userblock(creation, hsize_t(ShardSeal.size)) >= 0 else {
            throw ShardError.hdf5(
                .write, path: path, part: "temporary file \(temporaryPath)", "cannot set up its user block")
        }
        let id = H5Fcreate(temporaryPath, tagood_H5F_ACC_EXCL(), creation, HDF5.defaultList)
        guard id >= 0 else {
            throw ShardError.hdf5(
                .write, path: path, part: "temporary file \(temporaryPath)",
                "cannot create the HDF5 file (does the directory exist and is it writable?)")
        }
        let file = HDF5Handle(id, .file)
        self.file = file
        do throws(ShardError) {
            try writeHeaderAttributes(file.id)
            try createDatasets(file.id)
        } catch {
            discardTemporaryFile()
            throw error
        }
        tokenOffsets.staged.append(integer: Int64(0))
        tokenOffsets.didStage(rows: 1)
        tagOffsets.staged.append(integer: Int64(0))
        tagOffsets.didStage(rows: 1)
    }

    deinit {
        if case .committed = state { return }
        discardTemporaryFile()
    }

    /// Deletes the temporary file; the target is left as it was. Further calls do nothing; appending or
    /// committing afterwards fails.
    public func abandon() {
        switch state {
        case .committed, .abandoned: return
        default: break
        }
        HDF5.prepareThread()
        discardTemporaryFile()
        state = .abandoned
    }

    /// Closes every handle and unlinks the temporary file.
    func discardTemporaryFile() {
        closeAll()
        unlink(temporaryPath)
    }

    /// Closes datasets, then the file.
    @discardableResult
    func closeAll() -> Bool {
        var ok = true
        for column in columns {
            if !column.dataset.close() { ok = false }
        }
        columns.removeAll()
        if let file {
            if !file.close() { ok = false }
            self.file = nil
        }
        return ok
    }

    private func writeHeaderAttributes(_ root: hid_t) throws(ShardError) {
        let m = metadata
        let strings: [(ShardSchema.Attribute, String)] = [
            (.jobID, m.jobID), (.datasetHash, m.datasetHash), (.dataset, m.dataset), (.role, m.role.rawValue),
            (.modelName, m.modelName), (.modelHash, m.modelHash), (.preprocessing, m.preprocessing),
            (.createdBy, m.createdBy), (.tokenDType, options.tokenDType.rawValue)
        ]
        let integers: [(ShardSchema.Attribute, Int)] = [
            (.schemaVersion, ShardSchema.version), (.shardIndex, m.shardIndex),
            (.embedDim, m.embedDim), (.imageTokens, m.imageTokens)
        ]
        let doubles: [(ShardSchema.Attribute, Double)] = [
            (.tagThreshold, m.tagThreshold), (.attentionThreshold, m.attentionThreshold)
        ]
        let integerAttributes = integers + (m.allTags.map { [(ShardSchema.Attribute.allTags, $0)] } ?? [])
        for (attribute, value) in integerAttributes
        where !HDF5.writeAttribute(on: root, attribute.rawValue, integer: Int64(value)) {
            throw ShardError.hdf5(.write, path: path, part: "attribute `\(attribute.rawValue)`", "cannot write it")
        }
        for (attribute, value) in strings where !HDF5.writeAttribute(on: root, attribute.rawValue, string: value) {
            throw ShardError.hdf5(.write, path: path, part: "attribute `\(attribute.rawValue)`", "cannot write it")
        }
        for (attribute, value) in doubles where !HDF5.writeAttribute(on: root, attribute.rawValue, double: value) {
            throw ShardError.hdf5(.write, path: path, part: "attribute `\(attribute.rawValue)`", "cannot write it")
        }
    }

    private func createDatasets(_ root: hid_t) throws(ShardError) {
        for spec in ShardSchema.datasets(tokenDType: options.tokenDType, allTags: metadata.allTags) {
            let width = spec.width.value(metadata)
            let rowBytes = ShardLayout.fileRowBytes(spec.element, width: width)
            var chunkRows = ShardLayout.chunkRows(rowBytes: rowBytes, chunkBytes: options.chunkBytes)
            if let images = options.expectedImages {
                // Per-token and per-tag rows: a generous 32 per image; per-image rows: the images (+1 offset).
                let perImage = ["tokens", "token_index", "tag_ids", "tag_probs"].contains(spec.name) ? 32 : 1
                chunkRows = max(1, min(chunkRows, (images + 1) * perImage))
            }
            let compression: ShardCompression = spec.element == .utf8String ? .none : options.compression
            // Unfiltered numbers go from the staging buffer straight into the file (no chunk cache).
            let direct = compression == .none && spec.element != .utf8String
            guard let type = HDF5.makeType(spec.element),
                let dataset = HDF5.createExtendible(
                    file: root, name: spec.name, type: type.id, rank: spec.rank,
                    width: width, chunkRows: chunkRows, compression: compression,
                    cacheBytes: direct ? 0 : 4 * chunkRows * rowBytes)
            else {
                throw ShardError.hdf5(.write, path: path, part: "dataset `\(spec.name)`", "cannot create it")
            }
            columns.append(Column(spec: spec, width: width, chunkRows: chunkRows, dataset: dataset, type: type))
        }
    }
}
