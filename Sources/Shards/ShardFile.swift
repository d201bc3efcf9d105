#if canImport(Glibc)
import Glibc
#endif
import TagoodSupport

/// Whole-file facts about a shard that need no HDF5.
public enum ShardFile {
    /// XXH64 (16 lowercase hex digits, seed 0) of the file's bytes, read in 1 MiB blocks. This is the
    /// checksum the coordinator logs in the journal; Python: `xxhash.xxh64(open(p, "rb").read()).hexdigest()`.
    public static func checksum(path: String) throws(ShardError) -> String {
        try checksumAndSize(path: path, reportAs: path).checksum
    }

    /// Throws ``ShardError/Kind/fileChecksum`` unless the file's XXH64 is `expected`: for checking a
    /// file's bytes before HDF5 opens it.
    public static func requireChecksum(_ expected: String, path: String) throws(ShardError) {
        let actual = try checksum(path: path)
        guard actual == expected.lowercased() else {
            throw ShardError(.fileChecksum, path: path, part: "file bytes",
                             detail: "the file's XXH64 is \(actual), expected \(expected): the file was changed or damaged after it was written")
        }
    }

    /// The file's size in bytes.
    public static func size(path: String) throws(ShardError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ShardError(.open, path: path, detail: "cannot stat the file: \(String(cString: strerror(errno)))")
        }
        return Int(info.st_size)
    }

    static func checksumAndSize(path: String, reportAs shown: String) throws(ShardError) -> (checksum: String, bytes: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ShardError(.open, path: shown, detail: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let blockSize = 1 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { block.deallocate() }
        var hasher = XXH64()
        var total = 0
        while true {
            let n = read(fd, block, blockSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw ShardError(.read, path: shown, detail: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(start: block, count: n))
            total += n
        }
        return (hasher.hexDigest(), total)
    }
}
