@preconcurrency import CHDF5

extension ShardReader {
    /// The open datasets of a shard whose presence, types, ranks, widths and row counts were checked.
    final class Structure {
        let header: ShardHeader
        /// Open datasets in schema order, with their specs and widths.
        let datasets: [(spec: ShardSchema.Dataset, handle: HDF5Handle, width: Int)]
        /// Images (N), token rows (T) and tags (K).
        let images: Int, tokens: Int, tags: Int
        /// Per dataset, where its chunks lie in the file image, once asked (nil inside: they cannot be
        /// read in place); see ``ShardReader/chunksInImage(_:_:)``.
        var chunkMaps: [String: ChunkMap?] = [:]

        struct ChunkMap {
            let chunkRows: Int
            let offsets: [Int]
        }

        init(
            header: ShardHeader, datasets: [(spec: ShardSchema.Dataset, handle: HDF5Handle, width: Int)],
            images: Int, tokens: Int, tags: Int
        ) {
            self.header = header
            self.datasets = datasets
            self.images = images
            self.tokens = tokens
            self.tags = tags
        }

        func handle(_ name: String) -> HDF5Handle {
            datasets.first { $0.spec.name == name }!.handle
        }
    }

    /// Opens every schema dataset and checks type, rank, width and the row counts between datasets.
    func openStructure(header: ShardHeader) throws(ShardError) -> Structure {
        HDF5.prepareThread()
        var opened: [(spec: ShardSchema.Dataset, handle: HDF5Handle, width: Int)] = []
        var rows: [String: Int] = [:]
        for spec in ShardSchema.datasets(tokenDType: header.tokenDType, allTags: header.metadata.allTags) {
            let subject = "dataset `\(spec.name)`"
            let exists = H5Lexists(file.id, spec.name, HDF5.defaultList)
            guard exists > 0 else {
                throw ShardError(.schema, path: path, part: subject, detail: "is missing")
            }
            let id = H5Dopen2(file.id, spec.name, HDF5.defaultList)
            guard id >= 0 else { throw ShardError.hdf5(.read, path: path, part: subject, "cannot open it") }
            let handle = HDF5Handle(id, .dataset)
            let type = H5Dget_type(id)
            guard type >= 0 else { throw ShardError.hdf5(.read, path: path, part: subject, "cannot read its type") }
            let matches = HDF5.type(type, matches: spec.element)
            let found = HDF5.describe(type)
            H5Tclose(type)
            guard matches else {
                let note =
                    spec.name == "tokens" || spec.name == "global_embed"
                    ? " (token_dtype says \(header.tokenDType.rawValue))" : ""
                throw ShardError(
                    .schema, path: path, part: subject,
                    detail: "has type \(found); expected \(spec.element.name)\(note)")
            }
            guard let dims = HDF5.dimensions(of: id) else {
                throw ShardError.hdf5(.read, path: path, part: subject, "cannot read its shape")
            }
            let width = spec.width.value(header.metadata)
            let expectedShape = spec.rank == 1 ? "[rows]" : "[rows, \(width)]"
            guard dims.count == spec.rank, spec.rank == 1 || dims[1] == width else {
                throw ShardError(
                    .schema, path: path, part: subject,
                    detail: "has shape \(dims); expected \(expectedShape)")
            }
            rows[spec.name] = dims[0]
            opened.append((spec, handle, width))
        }
        let images = rows["paths"]!, tokens = rows["tokens"]!, tags = rows["tag_ids"]!
        for (spec, _, _) in opened {
            let expected: Int
            let meaning: String
            switch spec.rows {
            case .images: expected = images; meaning = "N = \(images) rows (the length of `paths`)"
            case .imagesPlusOne: expected = images + 1; meaning = "N + 1 = \(images + 1) rows (N from `paths`)"
            case .tokens: expected = tokens; meaning = "T = \(tokens) rows (the rows of `tokens`)"
            case .tags: expected = tags; meaning = "K = \(tags) rows (the length of `tag_ids`)"
            }
            guard rows[spec.name] == expected else {
                throw ShardError(
                    .counts, path: path, part: "dataset `\(spec.name)`",
                    detail: "has \(rows[spec.name]!) rows; expected \(meaning)")
            }
        }
        return Structure(header: header, datasets: opened, images: images, tokens: tokens, tags: tags)
    }

    /// Reads rows `start ..< start + count` of a numeric dataset into an array of `T`.
    func readArray<T>(
        _ dataset: HDF5Handle, _ spec: ShardSchema.Dataset, width: Int = 1, start: Int, count: Int,
        as _: T.Type, subject: String
    ) throws(ShardError) -> [T] {
        let elements = count * width
        if elements == 0 { return [] }
        guard let type = HDF5.makeType(spec.element) else {
            throw ShardError.hdf5(.read, path: path, part: subject, "cannot make its memory type")
        }
        precondition(MemoryLayout<T>.size == spec.element.size)
        var ok = false
        let values = [T](unsafeUninitializedCapacity: elements) { buffer, initialized in
            ok = HDF5.readRows(
                dataset: dataset.id, type: type.id, rank: spec.rank, width: width, start: start,
                rows: count, into: UnsafeMutableRawPointer(buffer.baseAddress!))
            initialized = ok ? elements : 0
        }
        guard ok else {
            throw ShardError.hdf5(.read, path: path, part: subject, "cannot read rows \(start)..<\(start + count)")
        }
        return values
    }
}
