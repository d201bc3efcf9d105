/// How the writer compresses the numeric datasets. Off by default: random-looking float features barely
/// compress (see docs/native-libraries.md); prefer ``TokenDType/float16`` to halve the size.
public enum ShardCompression: Sendable, Equatable {
    /// No filter (the default, and the fastest to write and read).
    case none
    /// The byte-shuffle filter followed by gzip (deflate) at `level` 1…9. Every HDF5 reader (h5py, h5dump)
    /// has both filters built in. String datasets are never filtered.
    case gzip(level: Int)
}
