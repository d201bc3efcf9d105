@preconcurrency import CHDF5
import CHDF5Shim
import TagoodSupport

extension ShardWriter {
    /// Appends one image. The record is validated first (row widths, counts, attention length, label
    /// against the role); an invalid record throws `shard.record` and changes nothing. Staged rows are
    /// flushed to the file, in whole chunks, whenever a dataset has ``Options/bufferBytes`` staged.
    public func append(_ record: ShardRecord) throws(ShardError) {
        try checkWritable()
        try record.validate(metadata: metadata, index: imageCount, shardPath: path)
        let embedDim = metadata.embedDim
        let ok = record.status.isOK

        paths.stage(string: record.path)
        labels.staged.append(integer: record.label)
        labels.didStage(rows: 1)

        if ok {
            stageFloats(record.tokens, into: tokens, dtype: options.tokenDType)
            tokens.didStage(rows: record.tokenCount)
            record.tokenIndex.withUnsafeBytes { tokenIndex.staged.append($0) }
            tokenIndex.didStage(rows: record.tokenCount)
            tokenCount += record.tokenCount
            stageFloats(record.globalEmbed, into: globalEmbed, dtype: options.tokenDType)
            record.tagIDs.withUnsafeBytes { tagIDs.staged.append($0) }
            tagIDs.didStage(rows: record.tagIDs.count)
            record.tagProbs.withUnsafeBytes { tagProbs.staged.append($0) }
            tagProbs.didStage(rows: record.tagProbs.count)
            tagCount += record.tagIDs.count
            stageFloats(record.attention, into: attention, dtype: .float16)
            if let allTagProbs { stageFloats(record.allTagProbs, into: allTagProbs, dtype: .float32) }
        } else {
            globalEmbed.staged.appendZeros(embedDim * options.tokenDType.byteSize)
            attention.staged.appendZeros(metadata.imageTokens * 2)
            allTagProbs?.staged.appendZeros((metadata.allTags ?? 0) * 4)
            failedCount += 1
        }
        allTagProbs?.didStage(rows: 1)
        globalEmbed.didStage(rows: 1)
        attention.didStage(rows: 1)
        tokenOffsets.staged.append(integer: Int64(tokenCount))
        tokenOffsets.didStage(rows: 1)
        tagOffsets.staged.append(integer: Int64(tagCount))
        tagOffsets.didStage(rows: 1)
        status.staged.append(integer: record.status.rawValue)
        status.didStage(rows: 1)
        errors.stage(string: ok ? "" : Self.sanitized(record.error))
        imageCount += 1
        for column in columns { column.hashStaged() }

        if paths.stagedRows >= ShardLayout.maxChunkRows {
            try flush()
        } else {
            for column in columns where column.spec.element != .utf8String && column.staged.count >= options.bufferBytes
            {
                try flushWholeChunks(column)
            }
        }
    }

    /// Writes a dataset's staged whole chunks (see ``Column/flushWholeChunks()``).
    private func flushWholeChunks(_ column: Column) throws(ShardError) {
        HDF5.prepareThread()
        guard column.flushWholeChunks() else { throw failedAppend(column) }
        startWriteback()
    }

    /// Asks the kernel to start writing what is in the file so far to the disk, without waiting (best
    /// effort; ``commit()`` still fsyncs): the disk works on the chunks while the next ones are staged,
    /// and the fsync at commit waits only for the rest.
    func startWriteback() {
        if let id = file?.id { _ = tagood_start_writeback(id) }
    }

    /// Writes every staged row to the file now (``append(_:)`` and ``commit()`` call it as needed).
    public func flush() throws(ShardError) {
        try checkWritable()
        HDF5.prepareThread()
        for column in columns where !column.flush() { throw failedAppend(column) }
        startWriteback()
    }

    /// The error of a write to `column` that HDF5 refused; the writer is failed from then on.
    private func failedAppend(_ column: Column) -> ShardError {
        let error = ShardError.hdf5(
            .write, path: path, part: "dataset `\(column.spec.name)`",
            "cannot append \(column.stagedRows) rows to the temporary file \(temporaryPath)")
        state = .failed(error)
        return error
    }

    func checkWritable() throws(ShardError) {
        switch state {
        case .writing: return
        case .committed:
            throw ShardError(.write, path: path, detail: "the shard was already committed; create a new writer")
        case .abandoned:
            throw ShardError(.write, path: path, detail: "the writer was abandoned; create a new writer")
        case .failed(let error):
            throw ShardError(
                .write, path: path, part: error.part,
                detail: "the writer failed earlier and cannot continue: \(error.detail)",
                hdf5Message: error.hdf5Message)
        }
    }

    /// Stages floats as the column's element type (float16 goes through the F16C conversion).
    private func stageFloats(_ values: [Float], into column: Column, dtype: TokenDType) {
        guard !values.isEmpty else { return }
        values.withUnsafeBufferPointer { source in
            switch dtype {
            case .float32:
                column.staged.append(UnsafeRawBufferPointer(source))
            case .float16:
                let destination = column.staged.extend(by: source.count * 2).assumingMemoryBound(to: UInt16.self)
                Float16Conversion.toHalf(source, destination)
            }
        }
    }

    /// Error messages are stored as C strings: a NUL inside one becomes U+FFFD.
    static func sanitized(_ message: String) -> String {
        message.utf8.contains(0) ? message.replacingNULs() : message
    }
}

private extension String {
    func replacingNULs() -> String {
        String(unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : Character($0) })
    }
}

extension ShardWriter {
    /// Flushes staged rows and asks HDF5 to write its metadata too, leaving a consistent (but not
    /// complete) file behind: what a killed writer leaves in the best case. For tests.
    func flushToDisk() throws(ShardError) {
        try flush()
        guard let id = file?.id, H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else {
            throw ShardError.hdf5(.write, path: path, "cannot flush the temporary file \(temporaryPath)")
        }
    }
}
