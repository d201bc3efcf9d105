@preconcurrency import CHDF5
import CHDF5Shim

/// Chunked, extendible 1-D `[rows]` and 2-D `[rows, width]` datasets: create, append rows, read rows.
extension HDF5 {
    /// A dataset access list whose chunk cache holds `cacheBytes` (the default 1 MiB cache would evict a
    /// partly written chunk of a larger size and force HDF5 to read it back), or no chunk cache at all
    /// for `cacheBytes == 0`: HDF5 then writes the rows of an unfiltered dataset straight from the
    /// caller's buffer into the file, without copying whole chunks through its cache first.
    static func accessList(cacheBytes: Int) -> HDF5Handle? {
        let list = H5Pcreate(tagood_H5P_DATASET_ACCESS())
        guard list >= 0 else { return nil }
        let handle = HDF5Handle(list, .propertyList)
        guard H5Pset_chunk_cache(list, 521, cacheBytes == 0 ? 0 : max(cacheBytes, 1 << 20), 1.0) >= 0 else {
            return nil
        }
        return handle
    }

    /// Creates an empty extendible dataset.
    static func createExtendible(
        file: hid_t, name: String, type: hid_t, rank: Int, width: Int, chunkRows: Int,
        compression: ShardCompression, cacheBytes: Int
    ) -> HDF5Handle? {
        var current: [hsize_t] = rank == 1 ? [0] : [0, hsize_t(width)]
        var maximum: [hsize_t] = rank == 1 ? [tagood_H5S_UNLIMITED()] : [tagood_H5S_UNLIMITED(), hsize_t(width)]
        var chunk: [hsize_t] = rank == 1 ? [hsize_t(chunkRows)] : [hsize_t(chunkRows), hsize_t(width)]
        let space = H5Screate_simple(Int32(rank), &current, &maximum)
        guard space >= 0 else { return nil }
        defer { H5Sclose(space) }
        let create = H5Pcreate(tagood_H5P_DATASET_CREATE())
        guard create >= 0 else { return nil }
        defer { H5Pclose(create) }
        guard H5Pset_chunk(create, Int32(rank), &chunk) >= 0 else { return nil }
        if case .gzip(let level) = compression {
            guard H5Pset_shuffle(create) >= 0, H5Pset_deflate(create, UInt32(min(max(level, 1), 9))) >= 0 else {
                return nil
            }
        }
        // Without a chunk cache, HDF5 writes unfiltered rows straight from the caller's buffer only when it
        // need not fill the rest of a new chunk first; every row the writer declares, it writes.
        if cacheBytes == 0, compression == .none {
            guard H5Pset_fill_time(create, H5D_FILL_TIME_NEVER) >= 0 else { return nil }
        }
        guard let access = accessList(cacheBytes: cacheBytes) else { return nil }
        let dataset = H5Dcreate2(file, name, type, space, defaultList, create, access.id)
        return dataset < 0 ? nil : HDF5Handle(dataset, .dataset)
    }

    /// Grows `dataset` from `existingRows` to `existingRows + rows` and writes `rows` rows from `buffer`.
    static func appendRows(
        dataset: hid_t, type: hid_t, rank: Int, width: Int, existingRows: Int, rows: Int,
        buffer: UnsafeRawPointer
    ) -> Bool {
        var newSize: [hsize_t] =
            rank == 1 ? [hsize_t(existingRows + rows)] : [hsize_t(existingRows + rows), hsize_t(width)]
        guard H5Dset_extent(dataset, &newSize) >= 0 else { return false }
        return transferRows(dataset: dataset, type: type, rank: rank, width: width, start: existingRows, rows: rows) {
            memory, file in H5Dwrite(dataset, type, memory, file, defaultList, buffer)
        }
    }

    /// Reads rows `start ..< start + rows` of `dataset` into `buffer`, converting to `type`.
    static func readRows(
        dataset: hid_t, type: hid_t, rank: Int, width: Int, start: Int, rows: Int,
        into buffer: UnsafeMutableRawPointer
    ) -> Bool {
        transferRows(dataset: dataset, type: type, rank: rank, width: width, start: start, rows: rows) {
            memory, file in H5Dread(dataset, type, memory, file, defaultList, buffer)
        }
    }

    private static func transferRows(
        dataset: hid_t, type: hid_t, rank: Int, width: Int, start: Int, rows: Int,
        _ transfer: (hid_t, hid_t) -> herr_t
    ) -> Bool {
        if rows == 0 { return true }
        let file = H5Dget_space(dataset)
        guard file >= 0 else { return false }
        defer { H5Sclose(file) }
        var offset: [hsize_t] = rank == 1 ? [hsize_t(start)] : [hsize_t(start), 0]
        var count: [hsize_t] = rank == 1 ? [hsize_t(rows)] : [hsize_t(rows), hsize_t(width)]
        guard H5Sselect_hyperslab(file, H5S_SELECT_SET, &offset, nil, &count, nil) >= 0 else { return false }
        let memory = H5Screate_simple(Int32(rank), &count, nil)
        guard memory >= 0 else { return false }
        defer { H5Sclose(memory) }
        return transfer(memory, file) >= 0
    }

    /// Where the chunks of a chunked, unfiltered dataset lie in its file: the rows per chunk and, for
    /// chunk c (rows c·chunkRows ..< (c+1)·chunkRows), the address HDF5 gives for its first row, for
    /// every chunk that holds one of the first `rows` rows. (HDF5 1.10 counts addresses from the
    /// superblock, after the user block; later versions from the start of the file.) Nil
    /// when the dataset has filters or another layout, or such a chunk is missing or not `rowBytes`·chunkRows
    /// bytes long.
    static func chunkOffsets(of dataset: hid_t, rows: Int, rowBytes: Int) -> (chunkRows: Int, offsets: [Int])? {
        let create = H5Dget_create_plist(dataset)
        guard create >= 0 else { return nil }
        defer { H5Pclose(create) }
        var chunk = [hsize_t](repeating: 0, count: 2)
        guard H5Pget_layout(create) == H5D_CHUNKED, H5Pget_nfilters(create) == 0,
            H5Pget_chunk(create, 2, &chunk) >= 1, chunk[0] > 0
        else { return nil }
        let chunkRows = Int(chunk[0])
        var offsets: [Int] = []
        offsets.reserveCapacity((rows + chunkRows - 1) / chunkRows)
        for c in stride(from: 0, to: rows, by: chunkRows) {
            var coordinate: [hsize_t] = [hsize_t(c), 0]
            var mask: UInt32 = 0
            var address: haddr_t = 0
            var size: hsize_t = 0
            guard H5Dget_chunk_info_by_coord(dataset, &coordinate, &mask, &address, &size) >= 0,
                mask == 0, address != haddr_t.max, Int(size) == chunkRows * rowBytes
            else { return nil }
            offsets.append(Int(address))
        }
        return (chunkRows, offsets)
    }

    /// The size of a file's user block (the bytes before HDF5's superblock), or nil on failure.
    static func userBlockBytes(of file: hid_t) -> Int? {
        let create = H5Fget_create_plist(file)
        guard create >= 0 else { return nil }
        defer { H5Pclose(create) }
        var size: hsize_t = 0
        return H5Pget_userblock(create, &size) >= 0 ? Int(size) : nil
    }

    /// The current dimensions of a dataset, or nil on failure.
    static func dimensions(of dataset: hid_t) -> [Int]? {
        let space = H5Dget_space(dataset)
        guard space >= 0 else { return nil }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { return nil }
        if rank == 0 { return [] }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { return nil }
        return dims.map { Int($0) }
    }

    /// Reads `rows` vlen strings starting at `start` and hands their C pointers (nil for never-written
    /// entries) to `body`, then frees them. Returns false when the read failed.
    static func withStrings(
        dataset: hid_t, start: Int, rows: Int,
        _ body: (UnsafeBufferPointer<UnsafeMutablePointer<CChar>?>) -> Void
    ) -> Bool {
        if rows == 0 {
            body(UnsafeBufferPointer(start: nil, count: 0))
            return true
        }
        guard let type = makeType(.utf8String) else { return false }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: rows)
        let ok = pointers.withUnsafeMutableBytes { raw in
            readRows(
                dataset: dataset, type: type.id, rank: 1, width: 1, start: start, rows: rows, into: raw.baseAddress!)
        }
        guard ok else { return false }
        pointers.withUnsafeBufferPointer { body($0) }
        var count = [hsize_t(rows)]
        let memory = H5Screate_simple(1, &count, nil)
        if memory >= 0 {
            pointers.withUnsafeMutableBytes { raw in
                _ = H5Dvlen_reclaim(type.id, memory, defaultList, raw.baseAddress!)
            }
            H5Sclose(memory)
        }
        return true
    }
}
