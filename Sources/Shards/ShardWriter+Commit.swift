@preconcurrency import CHDF5
import TagoodSupport

extension ShardWriter {
    /// Finishes the shard: flushes, writes each dataset's `checksum`, then `content_checksum`, then
    /// `complete = 1` (last), closes the file, seals it (``ShardSeal``) and `fsync`s it, computes its file
    /// checksum, renames it over ``path`` and `fsync`s the directory (a staged writer stops before the
    /// rename). On failure the temporary file is deleted and the writer is unusable.
    @discardableResult
    public func commit() throws(ShardError) -> ShardWriteSummary {
        try checkWritable()
        do throws(ShardError) {
            let summary = try commitSteps()
            state = .committed
            return summary
        } catch {
            state = .failed(error)
            discardTemporaryFile()
            throw error
        }
    }

    private func commitSteps() throws(ShardError) -> ShardWriteSummary {
        try flush()
        guard let root = file?.id else {
            throw ShardError(.write, path: path, detail: "the file is not open")
        }
        var content = ContentChecksum()
        for column in columns {
            let digest = column.hasher.digest()
            content.add(dataset: column.spec.name, digest: digest)
            guard
                HDF5.writeAttribute(
                    on: column.dataset.id, ShardSchema.datasetChecksumAttribute,
                    string: ContentChecksum.hex(digest))
            else {
                throw ShardError.hdf5(
                    .write, path: path, part: "dataset `\(column.spec.name)`",
                    "cannot write its checksum attribute")
            }
        }
        let contentChecksum = content.hexDigest()
        guard HDF5.writeAttribute(on: root, ShardSchema.Attribute.contentChecksum.rawValue, string: contentChecksum)
        else {
            throw ShardError.hdf5(.write, path: path, part: "attribute `content_checksum`", "cannot write it")
        }
        guard H5Fflush(root, H5F_SCOPE_GLOBAL) >= 0 else {
            throw ShardError.hdf5(.write, path: path, "cannot flush the temporary file \(temporaryPath)")
        }
        guard HDF5.writeAttribute(on: root, ShardSchema.Attribute.complete.rawValue, integer: 1) else {
            throw ShardError.hdf5(.write, path: path, part: "attribute `complete`", "cannot write it")
        }
        guard closeAll() else {
            throw ShardError.hdf5(.write, path: path, "cannot close (flush) the temporary file \(temporaryPath)")
        }
        // One pass after HDF5 closed the file: the seal's hash is the file checksum.
        let (fileChecksum, fileBytes) = try ShardSeal.seal(path: temporaryPath, reportAs: path)
        if renamesOnCommit {
            do {
                try AtomicFile.commit(temporary: temporaryPath, to: path)
            } catch {
                throw ShardError(.write, path: path, detail: "\(error)")
            }
        }
        return ShardWriteSummary(
            path: path, images: imageCount, okImages: imageCount - failedCount,
            failedImages: failedCount, tokens: tokenCount, tags: tagCount,
            contentChecksum: contentChecksum, fileChecksum: fileChecksum, fileBytes: fileBytes)
    }
}
