import CXXHash

/// The XXH64 hash (xxHash, 64-bit), streamed, computed by Debian's libxxhash (the reference C code).
///
/// tagood uses it for shard checksums and plan hashes: it runs at memory speed and any language can
/// recompute it (Python: `xxhash.xxh64(data).hexdigest()`). Feed bytes with ``update(_:)`` in pieces of
/// any size; the digest does not depend on how the input was cut. Against the Swift implementation it
/// replaced (measured once, both `-O`, one core): about the same 15–16 GB/s on a 256 MiB buffer, and 3–4×
/// faster on a plan hash's million small updates (see docs/native-libraries.md).
public struct XXH64: Sendable {
    private var state = XXH64_state_t()

    /// Starts a hash with the given seed (0 unless you need another family).
    public init(seed: UInt64 = 0) {
        XXH64_reset(&state, seed)
    }

    /// Hashes `bytes` in one call.
    public static func hash(_ bytes: some Sequence<UInt8>, seed: UInt64 = 0) -> UInt64 {
        var h = XXH64(seed: seed)
        h.update(Array(bytes))
        return h.digest()
    }

    /// Adds the bytes of any contiguous buffer.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard buffer.count > 0 else { return }
        XXH64_update(&state, buffer.baseAddress, buffer.count)
    }

    /// Adds the bytes of an array.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds the UTF-8 bytes of a string.
    public mutating func update(_ string: String) {
        var s = string
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Adds the little-endian bytes of an integer.
    public mutating func update<T: FixedWidthInteger>(integer: T) {
        withUnsafeBytes(of: integer.littleEndian) { update($0) }
    }

    /// The hash of everything added so far. The state is not consumed.
    public func digest() -> UInt64 {
        var copy = state
        return XXH64_digest(&copy)
    }

    /// The digest as 16 lowercase hex digits, the form stored in shards, plans and the journal.
    public func hexDigest() -> String {
        let s = String(digest(), radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
