@preconcurrency import CHDF5
import CHDF5Shim

#if canImport(Glibc)
import Glibc
#endif

/// Reads and verifies one shard, streaming: no call loads a whole dataset (except the per-image
/// offsets of one block).
///
/// Open it (which checks its seal, see ``ShardSeal``), ``verify(content:)`` it, then stream its images
/// with ``images(blockImages:maxBlockTokens:)`` or ``forEach(_:)``. Use one reader from one thread at a
/// time; readers and writers on different threads are fine with the thread-safe HDF5 build this package
/// links (see ``ShardWriter``).
public final class ShardReader {
    /// The shard's path.
    public let path: String
    /// What the byte check before opening found: the seal, the file checksum and the size.
    public let integrity: ShardIntegrity
    let file: HDF5Handle
    /// The checked bytes HDF5 reads from, for files up to ``imageLimit``; freed only with the reader,
    /// after every HDF5 object of the file is closed.
    let image: ShardFileImage?

    /// Files up to this size are read once, checked in memory and opened from there (HDF5's core
    /// driver on the same buffer, no copy): HDF5 parses exactly the bytes that were checked, and the
    /// storage is read once. Larger ones are checked in a stream and then read from disk, so that a
    /// reducer's threads hold at most this much each.
    public static let imageLimit = 64 << 20

    /// Reads every byte once and checks them (``ShardSeal/check(path:expectedFileChecksum:allowUnsealed:imageLimit:)``),
    /// then opens the file read-only with HDF5, which never sees bytes that failed the check.
    ///
    /// - Parameters:
    ///   - expectedFileChecksum: the file checksum (``ShardFile/checksum(path:)``) the journal (or the worker) recorded; a mismatch
    ///     throws `shard.file-checksum`, and it vouches for a file without a seal.
    ///   - allowUnsealed: open a file without a seal (tagood 0.1.0's, or another tool's) even when no
    ///     checksum vouches for it. HDF5 then parses bytes nobody checked; only for files you trust.
    /// - Throws: `shard.open` when it is missing, empty or not HDF5; `shard.seal` when its bytes do not
    ///   match its seal; `shard.unsealed`; `shard.file-checksum`.
    ///   - imageLimit: the largest file read into memory and opened from there (``imageLimit``).
    public init(
        path: String, expectedFileChecksum: String? = nil, allowUnsealed: Bool = false,
        imageLimit: Int = ShardReader.imageLimit
    ) throws(ShardError) {
        self.path = path
        HDF5.prepareThread()
        (integrity, image) = try ShardSeal.check(
            path: path, expectedFileChecksum: expectedFileChecksum,
            allowUnsealed: allowUnsealed, imageLimit: imageLimit)
        if let image {
            let flags = UInt32(H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE)
            let id = H5LTopen_file_image(image.bytes.baseAddress, image.bytes.count, flags)
            guard id >= 0 else {
                throw ShardError.hdf5(.open, path: path, "HDF5 cannot open it (truncated, corrupt or not an HDF5 file)")
            }
            file = HDF5Handle(id, .file)
            return
        }
        let access = H5Pcreate(tagood_H5P_FILE_ACCESS())
        defer { if access >= 0 { H5Pclose(access) } }
        if access >= 0 { H5Pset_fclose_degree(access, H5F_CLOSE_STRONG) }
        let id = H5Fopen(path, tagood_H5F_ACC_RDONLY(), access >= 0 ? access : HDF5.defaultList)
        guard id >= 0 else {
            throw ShardError.hdf5(.open, path: path, "HDF5 cannot open it (truncated, corrupt or not an HDF5 file)")
        }
        file = HDF5Handle(id, .file)
    }

    /// Closes the file now (also done when the reader is released).
    public func close() {
        file.close()
    }

    deinit {
        file.close() // before `image`, the bytes HDF5 reads from, is freed
    }

    /// Reads the root attributes. Throws `shard.schema` when one is missing or has the wrong type, or
    /// when `schema_version` is not ``ShardSchema/version``. An uncommitted shard is reported through
    /// ``ShardHeader/isComplete``, not thrown.
    public func header() throws(ShardError) -> ShardHeader {
        HDF5.prepareThread()
        let root = file.id
        let version = try integer(root, .schemaVersion)
        guard version == ShardSchema.version else {
            throw ShardError(
                .schema, path: path, part: "attribute `schema_version`",
                detail: "is \(version); this tagood reads version \(ShardSchema.version)")
        }
        let completeFlag: Int64
        switch HDF5.readIntegerAttribute(root, ShardSchema.Attribute.complete.rawValue) {
        case .value(let value): completeFlag = value
        case .missing: completeFlag = 0
        case .wrongType(let type):
            throw ShardError(
                .schema, path: path, part: "attribute `complete`", detail: "has type \(type); expected an integer")
        case .failed:
            throw ShardError.hdf5(.read, path: path, part: "attribute `complete`", "cannot read it")
        }
        let roleName = try string(root, .role)
        guard let role = ShardRole(rawValue: roleName) else {
            throw ShardError(
                .schema, path: path, part: "attribute `role`",
                detail: "is \(roleName.debugDescription); expected id-train, id-val or ood")
        }
        let dtypeName = try string(root, .tokenDType)
        guard let tokenDType = TokenDType(rawValue: dtypeName) else {
            throw ShardError(
                .schema, path: path, part: "attribute `token_dtype`",
                detail: "is \(dtypeName.debugDescription); expected float16 or float32")
        }
        var metadata = ShardMetadata(
            jobID: try string(root, .jobID), datasetHash: try string(root, .datasetHash),
            shardIndex: Int(try integer(root, .shardIndex)), dataset: try string(root, .dataset), role: role,
            modelName: try string(root, .modelName), modelHash: try string(root, .modelHash),
            preprocessing: try string(root, .preprocessing), tagThreshold: try double(root, .tagThreshold),
            attentionThreshold: try double(root, .attentionThreshold), embedDim: Int(try integer(root, .embedDim)),
            imageTokens: Int(try integer(root, .imageTokens)), createdBy: try string(root, .createdBy))
        switch HDF5.readIntegerAttribute(root, ShardSchema.Attribute.allTags.rawValue) {
        case .value(let value):
            guard value > 0, value <= 1 << 20 else {
                throw ShardError(
                    .schema, path: path, part: "attribute `all_tags`", detail: "is \(value); expected 1 to \(1 << 20)")
            }
            metadata.allTags = Int(value)
        case .missing: break
        case .wrongType(let type):
            throw ShardError(
                .schema, path: path, part: "attribute `all_tags`", detail: "has type \(type); expected an integer")
        case .failed:
            throw ShardError.hdf5(.read, path: path, part: "attribute `all_tags`", "cannot read it")
        }
        guard metadata.embedDim > 0, metadata.imageTokens > 0, metadata.imageTokens <= Int(Int16.max) + 1 else {
            throw ShardError(
                .schema, path: path, part: "attributes `embed_dim`/`image_tokens`",
                detail: "\(metadata.embedDim)/\(metadata.imageTokens) are out of range")
        }
        var contentChecksum: String?
        switch HDF5.readStringAttribute(root, ShardSchema.Attribute.contentChecksum.rawValue) {
        case .value(let value): contentChecksum = value
        case .missing: contentChecksum = nil
        case .wrongType(let type):
            throw ShardError(
                .schema, path: path, part: "attribute `content_checksum`", detail: "has type \(type); expected a string"
            )
        case .failed:
            throw ShardError.hdf5(.read, path: path, part: "attribute `content_checksum`", "cannot read it")
        }
        return ShardHeader(
            schemaVersion: Int(version), metadata: metadata, tokenDType: tokenDType,
            contentChecksum: contentChecksum, isComplete: completeFlag == 1)
    }

    private func unwrap<V>(_ read: HDF5.AttributeRead<V>, _ name: String, expected: String) throws(ShardError) -> V {
        switch read {
        case .value(let value): return value
        case .missing:
            throw ShardError(.schema, path: path, part: "attribute `\(name)`", detail: "is missing")
        case .wrongType(let type):
            throw ShardError(
                .schema, path: path, part: "attribute `\(name)`", detail: "has type \(type); expected \(expected)")
        case .failed:
            throw ShardError.hdf5(.read, path: path, part: "attribute `\(name)`", "cannot read it")
        }
    }

    private func string(_ root: hid_t, _ attribute: ShardSchema.Attribute) throws(ShardError) -> String {
        try unwrap(HDF5.readStringAttribute(root, attribute.rawValue), attribute.rawValue, expected: "a string")
    }

    private func integer(_ root: hid_t, _ attribute: ShardSchema.Attribute) throws(ShardError) -> Int64 {
        try unwrap(HDF5.readIntegerAttribute(root, attribute.rawValue), attribute.rawValue, expected: "an integer")
    }

    private func double(_ root: hid_t, _ attribute: ShardSchema.Attribute) throws(ShardError) -> Double {
        try unwrap(HDF5.readDoubleAttribute(root, attribute.rawValue), attribute.rawValue, expected: "a float")
    }
}
