import CXXH3
import CXXHash

/// The XXH3 64-bit hash (xxHash 0.8, seed 0), streamed, vectorised for the CPU (`CXXH3`: AVX-512,
/// AVX2 or SSE2 copies of xxHash's code).
///
/// The shard seal's hash since seal version 2 (``XXH64`` before): it gives the same digest on every
/// machine and in every language (Python: `xxhash.xxh3_64(data).hexdigest()`), and it hashes several
/// times faster than XXH64 (vector lanes instead of one multiply chain). Feed bytes with ``update(_:)``
/// in pieces of any size; the digest does not depend on how the input was cut. A class because its state
/// lives in aligned memory of its own.
public final class XXH3 {
    private let state: OpaquePointer

    /// Starts a hash (seed 0).
    public init() {
        guard let state = tg_xxh3_new() else { fatalError("out of memory for an XXH3 state") }
        self.state = state
    }

    deinit { tg_xxh3_free(state) }

    /// Hashes `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
    }

    /// Adds the bytes of any contiguous buffer.
    public func update(_ buffer: UnsafeRawBufferPointer) {
        guard buffer.count > 0 else { return }
        tg_xxh3_update(state, buffer.baseAddress, buffer.count)
    }

    /// The hash of everything added so far. The state is not consumed.
    public func digest() -> UInt64 { tg_xxh3_digest(state) }

    /// The instruction-set level new hashes run at: 2 AVX-512, 1 AVX2, 0 SSE2.
    public static var level: Int { Int(tg_xxh3_level()) }

    /// Makes new hashes run at `level` (at most what the CPU has); returns the level set. For tests.
    @discardableResult
    public static func forceLevel(_ level: Int) -> Int { Int(tg_xxh3_force_level(Int32(level))) }
}
