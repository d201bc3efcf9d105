@preconcurrency import CHDF5
import TagoodSupport

extension ShardWriter {
    /// One dataset being written: its HDF5 handle, the rows staged since the last flush (as the exact
    /// little-endian bytes that go into the file and into its checksum), and its running XXH64.
    final class Column {
        let spec: ShardSchema.Dataset
        let width: Int
        let dataset: HDF5Handle
        let type: HDF5Handle
        let staged = ByteBuffer(capacity: 1 << 16)
        private(set) var stagedRows = 0
        private(set) var writtenRows = 0
        private(set) var hasher = XXH64()

        init(spec: ShardSchema.Dataset, width: Int, dataset: HDF5Handle, type: HDF5Handle) {
            self.spec = spec
            self.width = width
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

        /// Writes the staged rows at the end of the dataset and folds them into the checksum.
        func flush() -> Bool {
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
                    HDF5.appendRows(dataset: dataset.id, type: type.id, rank: 1, width: 1, existingRows: writtenRows,
                                    rows: stagedRows, buffer: raw.baseAddress!)
                }
            } else {
                ok = HDF5.appendRows(dataset: dataset.id, type: type.id, rank: spec.rank, width: width,
                                     existingRows: writtenRows, rows: stagedRows, buffer: bytes.baseAddress!)
            }
            guard ok else { return false }
            hasher.update(bytes)
            writtenRows += stagedRows
            stagedRows = 0
            staged.removeAll()
            return true
        }
    }
}
