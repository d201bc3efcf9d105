import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// The seal: the first 512 bytes of every shard, an HDF5 *user block* that tagood fills after HDF5 has
/// closed the file, holding the length and the hash (XXH3-64 since version 2) of every byte after it.
///
/// Readers check the seal before HDF5 parses anything. HDF5 1.10.8 itself can crash on a damaged file
/// (`H5HG_read` under `H5Aread` of a corrupted variable-length attribute, found by `make fuzz`), so a
/// shard whose bytes are not the ones its writer sealed must never reach it. A seal is a checksum, not a
/// signature: it catches damage (a flipped byte, a truncated or appended file), not a forger.
///
/// The block is ASCII, padded with zero bytes to 512, and nothing else (HDF5 leaves the user block to
/// the application and places its superblock right after it; h5py and h5dump open the file as usual):
///
///     tagood shard seal 2\n
///     body_bytes <decimal byte count after the block>\n
///     body_xxh3 <16 lowercase hex digits, XXH3 64-bit (seed 0) of those bytes>\n
///
/// Version 1 (tagood before 0.3) is the same with `seal 1` and `body_xxh64` (XXH64, seed 0); readers
/// accept both, writers write 2, whose hash runs about twice as fast.
/// Python: `b = open(p, "rb").read(); seal, body = b[:512], b[512:]`, then compare `len(body)` and
/// `xxhash.xxh3_64(body).hexdigest()` (version 1: `xxh64`) with the two lines.
public enum ShardSeal {
    /// The user block's size: HDF5 allows 0 or a power of two from 512.
    public static let size = 512

    /// A seal version: its number and its hash.
    enum Version: Int, CaseIterable {
        /// XXH64 (tagood before 0.3).
        case xxh64 = 1
        /// XXH3 64-bit: what tagood writes.
        case xxh3 = 2

        /// The seal's first line.
        var magic: [UInt8] { Array("tagood shard seal \(rawValue)\n".utf8) }
        /// The name of the hash line.
        var hashField: String { self == .xxh64 ? "body_xxh64" : "body_xxh3" }
    }

    /// The version tagood writes.
    static let current = Version.xxh3

    /// What every seal starts with, which tells a sealed file from an unsealed one.
    static let prefix = Array("tagood shard seal ".utf8)

    /// The version whose first line `head` starts with, if any.
    static func version(of head: [UInt8]) -> Version? {
        Version.allCases.first { head.starts(with: $0.magic) }
    }

    /// The 8-byte signature that starts an HDF5 file without a user block.
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The block of seal `version` that seals `bodyBytes` bytes hashing to `bodyDigest`.
    static func block(_ version: Version = current, bodyBytes: Int, bodyDigest: UInt64) -> [UInt8] {
        let text =
            "tagood shard seal \(version.rawValue)\nbody_bytes \(bodyBytes)\n\(version.hashField) \(ContentChecksum.hex(bodyDigest))\n"
        return Array(text.utf8) + [UInt8](repeating: 0, count: size - text.utf8.count)
    }

    /// The version, length and digest a block seals, or nil unless it is exactly what
    /// ``block(_:bodyBytes:bodyDigest:)`` writes for them (any other byte anywhere in the block is damage).
    static func parse(_ block: [UInt8]) -> (version: Version, bodyBytes: Int, bodyDigest: UInt64)? {
        guard block.count == size, let version = version(of: block) else { return nil }
        let text = block.prefix { $0 != 0 }
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let field = version.hashField + " "
        guard lines.count == 4, lines[3].isEmpty,
            lines[1].hasPrefix("body_bytes "), let bytes = Int(lines[1].dropFirst(11)), bytes >= 0,
            lines[2].hasPrefix(field), lines[2].count == field.count + 16,
            let digest = UInt64(lines[2].dropFirst(field.count), radix: 16)
        else { return nil }
        return self.block(version, bodyBytes: bytes, bodyDigest: digest) == block ? (version, bytes, digest) : nil
    }

    /// A running hash of a seal version's kind.
    final class Hasher {
        private enum State {
            case xxh64(XXH64)
            case xxh3(XXH3)
        }

        private var state: State

        init(_ version: Version) {
            switch version {
            case .xxh64: state = .xxh64(XXH64())
            case .xxh3: state = .xxh3(XXH3())
            }
        }

        func update(_ bytes: UnsafeRawBufferPointer) {
            switch state {
            case .xxh64(var hasher):
                hasher.update(bytes)
                state = .xxh64(hasher)
            case .xxh3(let hasher):
                hasher.update(bytes)
            }
        }

        func digest() -> UInt64 {
            switch state {
            case .xxh64(let hasher): hasher.digest()
            case .xxh3(let hasher): hasher.digest()
            }
        }
        func hexDigest() -> String { ContentChecksum.hex(digest()) }
    }

    /// Seals a closed HDF5 file that was created with a ``size``-byte user block: hashes every byte after
    /// the block, writes the block (seal version ``current``), and `fsync`s the file.
    /// Returns the file checksum (``ShardFile/checksum(path:)``: the seal's body hash) and the file's size.
    @discardableResult
    /// A symbolic link in the file's place is refused (`O_NOFOLLOW`): the seal is never written through
    /// a link swapped in after HDF5 closed the file.
    public static func seal(path: String, reportAs shown: String) throws(ShardError) -> (checksum: String, bytes: Int) {
        let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            throw ShardError(
                .write, path: shown, detail: "cannot open \(path) to seal it: \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        let body = Hasher(current)
        var bodyBytes = hashMapped(fd, from: size, into: body)
        if bodyBytes == nil { bodyBytes = try stream(fd, from: size, path: path, shown: shown) { body.update($0) } }
        let block = block(current, bodyBytes: bodyBytes!, bodyDigest: body.digest())
        let written = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, size, 0) }
        guard written == size else {
            throw ShardError(
                .write, path: shown, detail: "cannot write the seal into \(path): \(String(cString: strerror(errno)))")
        }
        guard fsync(fd) == 0 else {
            throw ShardError(.write, path: shown, detail: "cannot fsync \(path): \(String(cString: strerror(errno)))")
        }
        return (body.hexDigest(), size + bodyBytes!)
    }

    /// Reads the whole file once, before HDF5 opens it, and checks it:
    ///
    /// - a sealed file's bytes after the block must have the length and hash the seal gives (`shard.seal`);
    /// - with `expectedFileChecksum`, the file checksum (``ShardFile/checksum(path:)``) must equal it
    ///   (`shard.file-checksum`);
    /// - a file without a seal (tagood 0.1.0 wrote none; other tools write none) is refused with
    ///   `shard.unsealed` unless `expectedFileChecksum` vouches for its bytes or `allowUnsealed` is set.
    ///
    /// A file of at most `imageLimit` bytes is read into memory (one read) and returned as its image, so
    /// that HDF5 can open exactly the bytes that were checked without reading the disk again
    /// (``ShardReader``); a larger one is streamed, and HDF5 reads it from disk afterwards.
    public static func check(
        path: String, expectedFileChecksum: String?, allowUnsealed: Bool,
        imageLimit: Int = 0
    ) throws(ShardError) -> (integrity: ShardIntegrity, image: ShardFileImage?) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ShardError(
                .open, path: path,
                detail: "the file does not exist or cannot be read (\(String(cString: strerror(errno))))")
        }
        defer { Glibc.close(fd) }
        // The head says which hash to run (the seal's, over the bytes after it, or XXH64 over the whole
        // file); the file is then read once, each piece hashed as it arrives, while it is in the cache.
        var head = [UInt8](repeating: 0, count: size)
        head.removeLast(size - (try readFully(fd, into: &head, path: path)))
        let headBytes = head.count
        let isSealed = head.starts(with: prefix)
        let sealed = parse(head)
        guard !isSealed || sealed != nil else {
            throw ShardError(
                .seal, path: path, part: "seal (first \(size) bytes)",
                detail: headBytes < size
                    ? "the file is only \(headBytes) bytes long: it was truncated"
                    : "the seal is damaged: it is not the block tagood writes")
        }
        guard headBytes > 0 else { throw ShardError(.open, path: path, detail: "the file is empty (0 bytes)") }
        let hashed = isSealed ? size : 0
        let hasher = Hasher(sealed?.version ?? .xxh64)
        let image = try ShardFileImage.load(fd, limit: imageLimit, path: path) { offset, piece in
            guard offset + piece.count > hashed else { return }
            hasher.update(UnsafeRawBufferPointer(rebasing: piece[max(0, hashed - offset)...]))
        }
        let total: Int
        if let image {
            guard image.bytes.count >= headBytes, image.bytes.prefix(headBytes).elementsEqual(head) else {
                throw ShardError(
                    .read, path: path,
                    detail: "the file changed while it was read; read it again when nothing writes it")
            }
            total = image.bytes.count
        } else {
            total = try stream(fd, from: hashed, path: path, shown: path) { hasher.update($0) } + hashed
        }
        guard let sealed else {
            let integrity = ShardIntegrity(isSealed: false, fileChecksum: hasher.hexDigest(), fileBytes: total)
            try requireFileChecksum(expectedFileChecksum, integrity, path: path)
            guard expectedFileChecksum != nil || allowUnsealed else { throw unsealedError(fd, head: head, path: path) }
            return (integrity, image)
        }
        let body = hasher
        let bodyBytes = total - size
        guard bodyBytes == sealed.bodyBytes else {
            throw ShardError(
                .seal, path: path, part: "file length",
                detail: "the seal covers \(sealed.bodyBytes) bytes after it but the file has \(bodyBytes): "
                    + (bodyBytes < sealed.bodyBytes ? "it was truncated" : "bytes were appended to it"))
        }
        guard body.digest() == sealed.bodyDigest else {
            throw ShardError(
                .seal, path: path, part: "file bytes",
                detail: "the bytes after the seal hash to \(body.hexDigest()) but the seal says "
                    + "\(ContentChecksum.hex(sealed.bodyDigest)): the file was changed or damaged after it was written")
        }
        // The seal is canonical (parse accepts only the block it writes), so the body's hash and length
        // determine every byte of the file: the body's hash is the file checksum.
        let integrity = ShardIntegrity(isSealed: true, fileChecksum: body.hexDigest(), fileBytes: size + bodyBytes)
        try requireFileChecksum(expectedFileChecksum, integrity, path: path)
        return (integrity, image)
    }

    /// Why a file without a seal is refused: a writer that never committed (its user block is still
    /// zeros), a damaged seal, a plain HDF5 file, or not a shard at all.
    private static func unsealedError(_ fd: Int32, head: [UInt8], path: String) -> ShardError {
        let part = "seal (first \(size) bytes)"
        if head.count == size, head.allSatisfy({ $0 == 0 }) {
            return ShardError(
                .incomplete, path: path, part: part,
                detail: "is still empty: the shard was never sealed, so its writer never committed it")
        }
        if head.starts(with: hdf5Signature) {
            return ShardError(
                .unsealed, path: path, part: part,
                detail:
                    "is absent: this is an HDF5 file without tagood's seal (tagood 0.1.0 and other tools write none), so its bytes cannot be checked"
            )
        }
        var next = [UInt8](repeating: 0, count: hdf5Signature.count)
        let n = next.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(size)) }
        if n == hdf5Signature.count, next == hdf5Signature {
            return ShardError(
                .seal, path: path, part: part,
                detail: "is damaged: an HDF5 file follows it, but the block is not the seal tagood writes")
        }
        return ShardError(
            .open, path: path, detail: "it is not a shard: it starts with neither tagood's seal nor an HDF5 signature")
    }

    private static func requireFileChecksum(
        _ expected: String?, _ integrity: ShardIntegrity, path: String
    ) throws(ShardError) {
        guard let expected, integrity.fileChecksum != expected.lowercased() else { return }
        throw ShardError(
            .fileChecksum, path: path, part: "file bytes",
            detail: "the file checksum is \(integrity.fileChecksum) but the journal recorded \(expected): "
                + "the file changed after it was committed")
    }

    /// Reads until `buffer` is full or the file ends; returns the bytes read.
    private static func readFully(_ fd: Int32, into buffer: inout [UInt8], path: String) throws(ShardError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ShardError(.read, path: path, detail: "cannot read it: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Hashes the file from `offset` to its end through a read-only mapping of its pages (the writer's
    /// file is in the page cache: no copy); returns the bytes hashed, or nil when it cannot be mapped
    /// (the caller then streams it).
    private static func hashMapped(_ fd: Int32, from offset: Int, into hasher: Hasher) -> Int? {
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) > offset else { return nil }
        let length = Int(info.st_size)
        guard let mapping = mmap(nil, length, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0), mapping != MAP_FAILED else {
            return nil
        }
        defer { munmap(mapping, length) }
        hasher.update(UnsafeRawBufferPointer(start: mapping + offset, count: length - offset))
        return length - offset
    }

    /// Streams the file from `offset` to its end in 1 MiB blocks; returns the bytes streamed.
    static func stream(
        _ fd: Int32, from offset: Int, path: String, shown: String,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(ShardError) -> Int {
        let blockSize = 1 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { block.deallocate() }
        var position = offset, total = 0
        while true {
            let n = pread(fd, block, blockSize, off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                throw ShardError(.read, path: shown, detail: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return total }
            body(UnsafeRawBufferPointer(start: block, count: n))
            position += n
            total += n
        }
    }
}

/// What ``ShardSeal/check(path:expectedFileChecksum:allowUnsealed:imageLimit:)`` found, hashing every byte once.
public struct ShardIntegrity: Sendable, Equatable {
    /// Whether the file carries a seal (that matched: a mismatch throws).
    public var isSealed: Bool
    /// The file checksum the job journal records (``ShardFile/checksum(path:)``).
    public var fileChecksum: String
    /// The file's size in bytes.
    public var fileBytes: Int
}

/// A whole shard file read into memory, page-aligned: the exact bytes ``ShardSeal`` checked, which
/// HDF5 then opens in place (its core driver, no copy) instead of reading the file again.
public final class ShardFileImage: @unchecked Sendable {
    /// The file's bytes.
    public let bytes: UnsafeMutableRawBufferPointer
    /// The memory they lie in, from ``ShardImageBufferPool`` and back to it with the image.
    private let buffer: ShardImageBufferPool.Buffer

    private init(count: Int) {
        buffer = ShardImageBufferPool.take(max(count, 1))
        bytes = UnsafeMutableRawBufferPointer(start: buffer.base, count: max(count, 1))
    }

    deinit { ShardImageBufferPool.give(buffer) }

    /// The whole file when it has at most `limit` bytes (and at least one), else nil. It is read in
    /// 1 MiB pieces, each handed to `piece` with its offset right after it is read (while it is still in
    /// the CPU's cache), in order.
    static func load(
        _ fd: Int32, limit: Int, path: String,
        _ piece: (Int, UnsafeRawBufferPointer) -> Void
    ) throws(ShardError) -> ShardFileImage? {
        var info = stat()
        guard limit > 0, fstat(fd, &info) == 0, info.st_size > 0, Int(info.st_size) <= limit else { return nil }
        let count = Int(info.st_size)
        let image = ShardFileImage(count: count)
        var filled = 0
        while filled < count {
            let n = pread(fd, image.bytes.baseAddress! + filled, min(1 << 20, count - filled), off_t(filled))
            if n < 0 {
                if errno == EINTR { continue }
                throw ShardError(.read, path: path, detail: "cannot read it: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break } // it shrank meanwhile: the seal check sees the bytes that are there
            piece(filled, UnsafeRawBufferPointer(start: image.bytes.baseAddress! + filled, count: n))
            filled += n
        }
        return filled == count ? image : try shrunk(image, to: filled)
    }

    private static func shrunk(_ image: ShardFileImage, to count: Int) throws(ShardError) -> ShardFileImage? {
        guard count > 0 else { return nil }
        let copy = ShardFileImage(count: count)
        copy.bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: image.bytes[0..<count]))
        return copy
    }
}
