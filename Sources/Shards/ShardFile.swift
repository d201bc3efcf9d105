import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Whole-file facts about a shard that need no HDF5.
public enum ShardFile {
    /// The file checksum the coordinator logs in the journal (16 lowercase hex digits): the hash of the
    /// bytes after the seal by the seal's own hash (its `body_xxh3`, or a version-1 seal's `body_xxh64`:
    /// the canonical seal and those bytes determine the whole file), or XXH64 (seed 0) of every byte of a
    /// file without a seal (tagood 0.1.0's). Python: `b = open(p, "rb").read()`, then
    /// `xxhash.xxh3_64(b[512:])` after `tagood shard seal 2\n`, `xxhash.xxh64(b[512:])` after
    /// `tagood shard seal 1\n`, else `xxhash.xxh64(b)`, `.hexdigest()`.
    /// It does not check the seal (``ShardSeal/check(path:expectedFileChecksum:allowUnsealed:imageLimit:)`` does).
    public static func checksum(path: String) throws(ShardError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ShardError(.open, path: path, detail: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: ShardSeal.current.magic.count)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let version = n == head.count ? ShardSeal.version(of: head) : nil
        let hasher = ShardSeal.Hasher(version ?? .xxh64)
        _ = try ShardSeal.stream(fd, from: version != nil ? ShardSeal.size : 0, path: path, shown: path) {
            hasher.update($0)
        }
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
