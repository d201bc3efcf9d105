import TagoodSupport

/// The shard's `content_checksum`: a digest of every dataset's data that survives re-chunking,
/// re-compression and HDF5's own metadata layout, so it checks the *data* rather than the file.
///
/// Definition (examples/read_shard.py implements the same):
///
///     for each dataset name d in schema order
///         (paths, labels, token_offsets, tokens, token_index, global_embed,
///          tag_ids, tag_offsets, tag_probs, attention, status, errors):
///         h_d = XXH64(seed 0) of data(d)
///     content_checksum = hex16(XXH64(seed 0) of concat over d of
///                              ( utf8(d) ‖ 0x00 ‖ uint64_le(h_d) ))
///
/// where `data(d)` is every element of `d` in row-major order as the little-endian bytes of its stored
/// type (float16 = the 2 IEEE binary16 bytes, int64 = 8 bytes, …), and for the vlen string datasets
/// (`paths`, `errors`) each string's UTF-8 bytes followed by one 0x00 byte. `hex16` is 16 lowercase hex
/// digits. Each dataset also carries its own `h_d` in a `checksum` attribute, so a mismatch names the
/// damaged dataset.
///
/// Per-dataset digests let the writer hash while it appends (datasets grow interleaved) and the reader
/// verify one dataset at a time in bounded memory.
public struct ContentChecksum: Sendable {
    private var digests: [(name: String, digest: UInt64)] = []

    /// Starts an empty combination.
    public init() {}

    /// Adds dataset `name`'s data digest; call in schema order.
    public mutating func add(dataset name: String, digest: UInt64) {
        digests.append((name, digest))
    }

    /// The combined digest as 16 lowercase hex digits.
    public func hexDigest() -> String {
        var combined = XXH64()
        for (name, digest) in digests {
            combined.update(name)
            combined.update([0])
            combined.update(integer: digest)
        }
        return combined.hexDigest()
    }

    /// 16 lowercase hex digits of one digest.
    static func hex(_ digest: UInt64) -> String {
        let s = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
