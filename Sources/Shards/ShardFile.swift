#if canImport(Glibc)
import Glibc
#endif
import TagoodSupport

/// Whole-file facts about a shard that need no HDF5.
public enum ShardFile {
    /// The file checksum the coordinator logs in the journal: XXH64 (16 lowercase hex digits, seed 0) of
    /// the bytes after the seal (its `body_xxh64`, since the canonical seal and those bytes determine the
    /// whole file), or of every byte of a file without a seal (tagood 0.1.0's). Python:
    /// `b = open(p, "rb").read(); xxhash.xxh64(b[512:] if b.startswith(b"tagood shard seal 1\n") else b).hexdigest()`.
    /// It does not check the seal (``ShardSeal/check(path:expectedFileChecksum:allowUnsealed:imageLimit:)`` does).
    public static func checksum(path: String) throws(ShardError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ShardError(.open, path: path, detail: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: ShardSeal.magic.count)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        var hasher = XXH64()
        _ = try ShardSeal.stream(fd, from: n == head.count && head == ShardSeal.magic ? ShardSeal.size : 0,
                                 path: path, shown: path) { hasher.update($0) }
        return hasher.hexDigest()
    }

    /// The file's size in bytes.
    public static func size(path: String) throws(ShardError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ShardError(.open, path: path, detail: "cannot stat the file: \(String(cString: strerror(errno)))")
        }
        return Int(info.st_size)
    }
}
