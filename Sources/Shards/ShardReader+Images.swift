import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

extension ShardReader {
    /// A cursor over the images, in order. Checks the structure (types, shapes, counts) first but not
    /// the checksum: call ``verify(content:)`` for that.
    public func images(blockImages: Int = 256, maxBlockTokens: Int = 16384) throws(ShardError) -> ShardImageCursor {
        let structure = try openStructure(header: try header())
        return ShardImageCursor(
            reader: self, structure: structure, blockImages: blockImages, maxBlockTokens: maxBlockTokens)
    }

    /// Every image's path and label (the `paths` and `labels` datasets), in order, read in blocks; much
    /// cheaper than reading the images.
    public func pathsAndLabels() throws(ShardError) -> (paths: [String], labels: [Int32]) {
        HDF5.prepareThread()
        let s = try openStructure(header: try header())
        let labelSpec = s.datasets.first { $0.spec.name == "labels" }!.spec
        var paths: [String] = [], labels: [Int32] = []
        paths.reserveCapacity(s.images)
        labels.reserveCapacity(s.images)
        var start = 0
        while start < s.images {
            let n = min(16384, s.images - start)
            paths += try readStrings(s.handle("paths"), start: start, count: n, subject: "dataset `paths`")
            labels += try readArray(
                s.handle("labels"), labelSpec, start: start, count: n, as: Int32.self, subject: "dataset `labels`")
            start += n
        }
        return (paths, labels)
    }

    /// Calls `body` with each image in order, streaming (see ``images(blockImages:maxBlockTokens:)``).
    public func forEach(_ body: (ShardImage) throws -> Void) throws {
        let cursor = try images()
        while let image = try cursor.next() {
            try body(image)
        }
    }

    /// Reads the images `from ..< from + n` where n ≤ `maxImages` and their tokens fit in `maxTokens` rows
    /// (always at least one image).
    func readBlock(_ s: Structure, from start: Int, maxImages: Int, maxTokens: Int) throws(ShardError) -> [ShardImage] {
        HDF5.prepareThread()
        let spec = { (name: String) in s.datasets.first { $0.spec.name == name }! }
        let (tokenOffsets, tagOffsets) = try readBlockOffsets(
            s, from: start, maxImages: maxImages, maxTokens: maxTokens)
        let n = tokenOffsets.count - 1
        let t0 = Int(tokenOffsets[0]), t1 = Int(tokenOffsets[n]), k0 = Int(tagOffsets[0]), k1 = Int(tagOffsets[n])
        let embedDim = s.header.metadata.embedDim, imageTokens = s.header.metadata.imageTokens
        let labels = try readArray(
            s.handle("labels"), spec("labels").spec, start: start, count: n, as: Int32.self,
            subject: "dataset `labels`")
        let statuses = try readArray(
            s.handle("status"), spec("status").spec, start: start, count: n, as: UInt8.self,
            subject: "dataset `status`")
        let paths = try readStrings(s.handle("paths"), start: start, count: n, subject: "dataset `paths`")
        let errors = try readStrings(s.handle("errors"), start: start, count: n, subject: "dataset `errors`")
        let tokens = try readFloats(s, "tokens", width: embedDim, start: t0, count: t1 - t0)
        let globalEmbed = try readFloats(s, "global_embed", width: embedDim, start: start, count: n)
        let attention = try readFloats(s, "attention", width: imageTokens, start: start, count: n)
        let allTags = s.header.metadata.allTags ?? 0
        let allTagProbs = allTags > 0 ? try readFloats(s, "all_tag_probs", width: allTags, start: start, count: n) : []
        let tokenIndex = try readArray(
            s.handle("token_index"), spec("token_index").spec, start: t0, count: t1 - t0,
            as: Int16.self, subject: "dataset `token_index`")
        let tagIDs = try readArray(
            s.handle("tag_ids"), spec("tag_ids").spec, start: k0, count: k1 - k0, as: Int32.self,
            subject: "dataset `tag_ids`")
        let tagProbs = try readArray(
            s.handle("tag_probs"), spec("tag_probs").spec, start: k0, count: k1 - k0,
            as: Float.self, subject: "dataset `tag_probs`")
        var images: [ShardImage] = []
        images.reserveCapacity(n)
        for i in 0..<n {
            let a = Int(tokenOffsets[i]) - t0, b = Int(tokenOffsets[i + 1]) - t0
            let c = Int(tagOffsets[i]) - k0, d = Int(tagOffsets[i + 1]) - k0
            var record = ShardRecord(
                path: paths[i], label: labels[i], tokens: Array(tokens[a * embedDim..<b * embedDim]),
                tokenIndex: Array(tokenIndex[a..<b]),
                globalEmbed: Array(globalEmbed[i * embedDim..<(i + 1) * embedDim]),
                tagIDs: Array(tagIDs[c..<d]), tagProbs: Array(tagProbs[c..<d]),
                attention: Array(attention[i * imageTokens..<(i + 1) * imageTokens]),
                allTagProbs: allTags > 0 ? Array(allTagProbs[i * allTags..<(i + 1) * allTags]) : [])
            record.status = ImageStatus(rawValue: statuses[i])
            record.error = errors[i]
            images.append(ShardImage(index: start + i, record: record, embedDim: embedDim))
        }
        return images
    }

    /// The checked `token_offsets` and `tag_offsets` (n + 1 each) of the block of images starting at
    /// `start`: n ≤ `maxImages`, shrunk until the block's tokens fit in `maxTokens` rows (keeping at
    /// least one image).
    func readBlockOffsets(
        _ s: Structure, from start: Int, maxImages: Int, maxTokens: Int
    ) throws(ShardError) -> (tokens: [Int64], tags: [Int64]) {
        let spec = { (name: String) in s.datasets.first { $0.spec.name == name }!.spec }
        var n = min(maxImages, s.images - start)
        var tokenOffsets = try readArray(
            s.handle("token_offsets"), spec("token_offsets"), start: start, count: n + 1,
            as: Int64.self, subject: "dataset `token_offsets`")
        try checkOffsets(tokenOffsets, limit: s.tokens, name: "token_offsets", start: start)
        var cut = n
        while cut > 1 && Int(tokenOffsets[cut] - tokenOffsets[0]) > maxTokens { cut -= 1 }
        if cut < n {
            n = cut
            tokenOffsets.removeLast(tokenOffsets.count - (n + 1))
        }
        let tagOffsets = try readArray(
            s.handle("tag_offsets"), spec("tag_offsets"), start: start, count: n + 1,
            as: Int64.self, subject: "dataset `tag_offsets`")
        try checkOffsets(tagOffsets, limit: s.tags, name: "tag_offsets", start: start)
        return (tokenOffsets, tagOffsets)
    }

    /// Checks that a block of offsets never decreases and stays within `0...limit` (so the arithmetic on
    /// them cannot overflow, even on a damaged file that was never verified).
    private func checkOffsets(_ offsets: [Int64], limit: Int, name: String, start: Int) throws(ShardError) {
        var previous: Int64 = 0
        for (i, offset) in offsets.enumerated() {
            guard offset >= previous, offset <= Int64(limit) else {
                throw ShardError(
                    .counts, path: path, part: "dataset `\(name)`",
                    detail: "entry \(start + i) is \(offset), outside \(previous)...\(limit) "
                        + "(offsets must not decrease or pass the row count)")
            }
            previous = offset
        }
    }

    /// Reads float16 or float32 rows as `Float`.
    private func readFloats(
        _ s: Structure, _ name: String, width: Int, start: Int, count: Int
    ) throws(ShardError) -> [Float] {
        let entry = s.datasets.first { $0.spec.name == name }!
        let subject = "dataset `\(name)`"
        if entry.spec.element == .float32 {
            return try readArray(
                entry.handle, entry.spec, width: width, start: start, count: count, as: Float.self, subject: subject)
        }
        let bits = try readArray(
            entry.handle, entry.spec, width: width, start: start, count: count, as: UInt16.self, subject: subject)
        return Float16Conversion.floats(fromHalf: bits)
    }

    /// Reads vlen strings as Swift strings, bytes that are not UTF-8 escaped by ``FileName`` (NULL entries
    /// read as "").
    func readStrings(_ dataset: HDF5Handle, start: Int, count: Int, subject: String) throws(ShardError) -> [String] {
        var strings: [String] = []
        strings.reserveCapacity(count)
        let ok = HDF5.withStrings(dataset: dataset.id, start: start, rows: count) { pointers in
            for pointer in pointers {
                strings.append(
                    pointer.map { FileName.decode(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? "")
            }
        }
        guard ok else {
            throw ShardError.hdf5(.read, path: path, part: subject, "cannot read rows \(start)..<\(start + count)")
        }
        return strings
    }
}
