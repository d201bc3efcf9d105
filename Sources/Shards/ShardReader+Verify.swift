@preconcurrency import CHDF5
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

extension ShardReader {
    /// Checks everything a consumer relies on, streaming the file once (bounded memory). The file's bytes
    /// were already checked when the reader opened (its seal, and the file checksum when one was given);
    /// this checks what they hold:
    ///
    /// 1. the root attributes (`shard.schema`) and `complete = 1` (`shard.incomplete`);
    /// 2. every dataset's presence, type, rank and width (`shard.schema`) and row counts (`shard.counts`);
    /// 3. `token_offsets`/`tag_offsets` start at 0, never decrease and end at T/K; failed images have no
    ///    tokens or tags; `token_index` values are in `0..<image_tokens` (`shard.counts`);
    /// 4. the content checksum recomputed from the data (`shard.checksum`, naming the damaged dataset).
    ///
    /// With `content: false` step 4 is skipped (the attribute must still be present): a caller that
    /// opened the reader with the file checksum a trusted writer computed — the coordinator accepting a
    /// worker's file — already has the same protection against changed bytes, for half the reading.
    public func verify(content: Bool = true) throws(ShardError) -> ShardVerification {
        HDF5.prepareThread()
        let header = try header()
        guard header.isComplete else {
            throw ShardError(
                .incomplete, path: path, part: "attribute `complete`",
                detail: "is missing or not 1: the shard was never committed")
        }
        guard let storedChecksum = header.contentChecksum else {
            throw ShardError(.schema, path: path, part: "attribute `content_checksum`", detail: "is missing")
        }
        let structure = try openStructure(header: header)
        var summary = try checkCounts(structure)
        if content {
            let computed = try computeContentChecksum(structure)
            guard computed == storedChecksum.lowercased() else {
                throw ShardError(
                    .checksum, path: path, part: "attribute `content_checksum`",
                    detail: "stores \(storedChecksum) but the data hashes to \(computed): "
                        + "the data or the attribute changed after the shard was committed")
            }
        }
        summary.contentChecksum = storedChecksum.lowercased()
        summary.fileBytes = integrity.fileBytes
        summary.fileChecksum = integrity.fileChecksum
        summary.isSealed = integrity.isSealed
        return summary
    }

    /// Pass over the per-image offsets and statuses: monotone offsets, totals, failed images empty.
    private func checkCounts(_ s: Structure) throws(ShardError) -> ShardVerification {
        let tokenOffsetsSpec = s.datasets[2].spec, tagOffsetsSpec = s.datasets[7].spec, statusSpec = s.datasets[10].spec
        var statusCounts: [ImageStatus: Int] = [:]
        var tokenSpread = SpreadAccumulator(), tagSpread = SpreadAccumulator()
        var previousToken: Int64 = 0, previousTag: Int64 = 0
        let block = 65536
        var start = 0
        // Offsets have N + 1 entries: read entry i..i+n (overlapping by one) per block of n images.
        repeat {
            let n = min(block, s.images - start)
            let tokenOffsets = try readArray(
                s.handle("token_offsets"), tokenOffsetsSpec, start: start, count: n + 1,
                as: Int64.self, subject: "dataset `token_offsets`")
            let tagOffsets = try readArray(
                s.handle("tag_offsets"), tagOffsetsSpec, start: start, count: n + 1,
                as: Int64.self, subject: "dataset `tag_offsets`")
            let statuses = try readArray(
                s.handle("status"), statusSpec, start: start, count: n,
                as: UInt8.self, subject: "dataset `status`")
            if start == 0 {
                guard tokenOffsets[0] == 0 else { throw firstOffsetError("token_offsets", tokenOffsets[0]) }
                guard tagOffsets[0] == 0 else { throw firstOffsetError("tag_offsets", tagOffsets[0]) }
            }
            for i in 0..<n {
                let image = start + i
                let tokens = tokenOffsets[i + 1] - tokenOffsets[i], tags = tagOffsets[i + 1] - tagOffsets[i]
                if tokens < 0 { throw decreasingError("token_offsets", image) }
                if tags < 0 { throw decreasingError("tag_offsets", image) }
                let status = ImageStatus(rawValue: statuses[i])
                statusCounts[status, default: 0] += 1
                if status.isOK {
                    tokenSpread.add(Int(tokens))
                    tagSpread.add(Int(tags))
                } else if tokens != 0 || tags != 0 {
                    throw ShardError(
                        .counts, path: path, part: "image #\(image)",
                        detail: "has status \(status) but \(tokens) tokens and \(tags) tags; failed images have none")
                }
            }
            previousToken = tokenOffsets[n]
            previousTag = tagOffsets[n]
            start += n
        } while start < s.images
        guard previousToken == Int64(s.tokens) else {
            throw ShardError(
                .counts, path: path, part: "dataset `token_offsets`",
                detail: "ends at \(previousToken) but `tokens` has \(s.tokens) rows")
        }
        guard previousTag == Int64(s.tags) else {
            throw ShardError(
                .counts, path: path, part: "dataset `tag_offsets`",
                detail: "ends at \(previousTag) but `tag_ids` has \(s.tags) entries")
        }
        let ok = statusCounts[.ok] ?? 0
        return ShardVerification(
            path: path, header: s.header, images: s.images, okImages: ok, failedImages: s.images - ok,
            statusCounts: statusCounts, tokens: s.tokens, tags: s.tags, tokensPerImage: tokenSpread.spread,
            tagsPerImage: tagSpread.spread, contentChecksum: "", fileChecksum: "", isSealed: false, fileBytes: 0)
    }

    private func firstOffsetError(_ name: String, _ value: Int64) -> ShardError {
        ShardError(.counts, path: path, part: "dataset `\(name)`", detail: "starts at \(value); expected 0")
    }

    private func decreasingError(_ name: String, _ image: Int) -> ShardError {
        ShardError(.counts, path: path, part: "dataset `\(name)`", detail: "decreases at image #\(image)")
    }

    /// Hashes every dataset in schema order (4 MiB blocks), compares each with its `checksum` attribute
    /// when present, and returns the combined content checksum.
    func computeContentChecksum(_ s: Structure) throws(ShardError) -> String {
        var content = ContentChecksum()
        let imageTokens = s.header.metadata.imageTokens
        for (spec, handle, width) in s.datasets {
            let subject = "dataset `\(spec.name)`"
            var hasher = XXH64()
            let rows = HDF5.dimensions(of: handle.id)?.first ?? 0
            if spec.element == .utf8String {
                let block = 16384
                var start = 0
                while start < rows {
                    let n = min(block, rows - start)
                    let ok = HDF5.withStrings(dataset: handle.id, start: start, rows: n) { pointers in
                        for pointer in pointers {
                            if let pointer {
                                hasher.update(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer) + 1))
                            } else {
                                hasher.update([0])
                            }
                        }
                    }
                    guard ok else {
                        throw ShardError.hdf5(
                            .read, path: path, part: subject, "cannot read rows \(start)..<\(start + n)")
                    }
                    start += n
                }
            } else {
                guard let type = HDF5.makeType(spec.element) else {
                    throw ShardError.hdf5(.read, path: path, part: subject, "cannot make its memory type")
                }
                let rowBytes = spec.element.size * width
                let blockRows = max(1, (4 << 20) / rowBytes)
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: blockRows * rowBytes, alignment: 16)
                defer { buffer.deallocate() }
                var start = 0
                while start < rows {
                    let n = min(blockRows, rows - start)
                    guard
                        HDF5.readRows(
                            dataset: handle.id, type: type.id, rank: spec.rank, width: width, start: start,
                            rows: n, into: buffer)
                    else {
                        throw ShardError.hdf5(
                            .read, path: path, part: subject, "cannot read rows \(start)..<\(start + n)")
                    }
                    if spec.name == "token_index" {
                        let values = UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: Int16.self), count: n)
                        if let bad = values.firstIndex(where: { $0 < 0 || Int($0) >= imageTokens }) {
                            throw ShardError(
                                .counts, path: path, part: subject,
                                detail:
                                    "row \(start + bad) is \(values[bad]), outside 0..<\(imageTokens) (image_tokens)")
                        }
                    }
                    hasher.update(UnsafeRawBufferPointer(start: buffer, count: n * rowBytes))
                    start += n
                }
            }
            let digest = hasher.digest()
            if case .value(let stored) = HDF5.readStringAttribute(handle.id, ShardSchema.datasetChecksumAttribute),
                stored.lowercased() != ContentChecksum.hex(digest)
            {
                throw ShardError(
                    .checksum, path: path, part: subject,
                    detail: "its data hashes to \(ContentChecksum.hex(digest)) but its `checksum` attribute "
                        + "says \(stored): the data was changed or damaged after it was written")
            }
            content.add(dataset: spec.name, digest: digest)
        }
        return content.hexDigest()
    }
}

/// Running min/mean/max of per-image counts.
struct SpreadAccumulator {
    private var count = 0, total = 0, low = Int.max, high = 0

    mutating func add(_ value: Int) {
        count += 1
        total += value
        low = Swift.min(low, value)
        high = Swift.max(high, value)
    }

    var spread: ShardVerification.Spread {
        count == 0 ? .init(min: 0, mean: 0, max: 0) : .init(min: low, mean: Double(total) / Double(count), max: high)
    }
}
