@preconcurrency import CHDF5
import TagoodSupport

extension ShardWriter {
    /// One dataset being written: its HDF5 handle, the rows staged since the last flush (as the exact
    /// little-endian bytes that go into the file and into its checksum), and its running XXH64, which
    /// ``hashStaged()`` folds the new bytes into right after each image is staged, while they are still
    /// in the CPU's cache (a separate pass over a whole column would read it from memory again).
    final class Column {
        let spec: ShardSchema.Dataset
        let width: Int
        /// Rows per chunk in the file.
        let chunkRows: Int
        let dataset: HDF5Handle
        let type: HDF5Handle
        let staged = ByteBuffer(capacity: 1 << 16)
        private(set) var stagedRows = 0
        private(set) var writtenRows = 0
        private(set) var hasher = XXH64()
        /// How many bytes of ``staged`` the hasher has seen.
        private var hashedBytes = 0

        init(spec: ShardSchema.Dataset, width: Int, chunkRows: Int, dataset: HDF5Handle, type: HDF5Handle) {
            self.spec = spec
            self.width = width
            self.chunkRows = chunkRows
            self.dataset = dataset
            self.type = type
        }

        /// Records that `rows` more rows were staged into ``staged``.
        @inline(__always) func didStage(rows: Int) { stagedRows += rows }

        /// Stages one string (UTF-8 then a NUL, which is both the C string and its checksum form).
        func stage(string: String) {
            if FileName.hasEscape(string) {
                FileName.bytes(string).withUnsafeBytes { staged.append($0) }
            } else {
                var text = string
                text.withUTF8 { staged.append(UnsafeRawBufferPointer($0)) }
            }
            staged.append(integer: UInt8(0))
            stagedRows += 1
        }

        /// Folds the bytes staged since the last call into the checksum.
        func hashStaged() {
            let bytes = staged.bytes
            guard bytes.count > hashedBytes else { return }
            hasher.update(UnsafeRawBufferPointer(rebasing: bytes[hashedBytes...]))
            hashedBytes = bytes.count
        }

        /// Bytes a staged row takes (fixed-width datasets only).
        var rowBytes: Int { spec.element.size * width }

        /// Writes the staged rows that fill whole chunks (one `H5Dwrite`) and keeps the rest staged, so
        /// that no chunk is ever written in two pieces; a fixed-width dataset only (strings flush whole).
        func flushWholeChunks() -> Bool {
            hashStaged()
            let rows = stagedRows / chunkRows * chunkRows
            guard rows > 0, spec.element != .utf8String else { return true }
            guard
                HDF5.appendRows(
                    dataset: dataset.id, type: type.id, rank: spec.rank, width: width,
                    existingRows: writtenRows, rows: rows, buffer: staged.bytes.baseAddress!)
            else { return false }
            writtenRows += rows
            stagedRows -= rows
            staged.removeFirst(rows * rowBytes)
            hashedBytes = staged.count
            return true
        }

        /// Writes every staged row at the end of the dataset (one `H5Dwrite`) after folding them into the
        /// checksum.
        func flush() -> Bool {
            hashStaged()
            guard stagedRows > 0 else { return true }
            let bytes = staged.bytes
            let ok: Bool
            if spec.element == .utf8String {
                var pointers = [UnsafePointer<CChar>?]()
                pointers.reserveCapacity(stagedRows)
                let base = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
                var start = 0
                for i in 0..<bytes.count where bytes[i] == 0 {
                    pointers.append(base + start)
                    start = i + 1
                }
                ok = pointers.withUnsafeBytes { raw in
                    HDF5.appendRows(
                        dataset: dataset.id, type: type.id, rank: 1, width: 1, existingRows: writtenRows,
                        rows: stagedRows, buffer: raw.baseAddress!)
                }
            } else {
                ok = HDF5.appendRows(
                    dataset: dataset.id, type: type.id, rank: spec.rank, width: width,
                    existingRows: writtenRows, rows: stagedRows, buffer: bytes.baseAddress!)
            }
            guard ok else { return false }
            writtenRows += stagedRows
            stagedRows = 0
            staged.removeAll()
            hashedBytes = 0
            return true
        }
    }
}
