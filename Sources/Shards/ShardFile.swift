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
        var hasher = XXH64()
        let total = try ShardSeal.stream(fd, from: 0, path: path, shown: shown) { hasher.update($0) }
        return (hasher.hexDigest(), total)
    }
}
