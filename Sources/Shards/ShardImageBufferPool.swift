import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Page-aligned buffers for ``ShardFileImage``s, kept for reuse once a reader is done with one: a
/// reducer thread that reads shard after shard fills memory that is already mapped, instead of taking
/// a page fault (and a zeroed page) for every 4 KiB of every shard. At most ``retainedBytes`` are kept.
enum ShardImageBufferPool {
    /// A buffer and its size.
    struct Buffer: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let capacity: Int
    }

    /// The most bytes kept for reuse, all buffers together.
    static let retainedBytes = 128 << 20

    private static let free = Locked<[Buffer]>([])

    /// A buffer of at least `count` bytes: the smallest free one that fits, or a new one (rounded up to
    /// 2 MiB, ``hugePage``, so that shards of similar sizes share buffers).
    static func take(_ count: Int) -> Buffer {
        let reused = free.withLock { buffers -> Buffer? in
            guard
                let best = buffers.indices.filter({ buffers[$0].capacity >= count })
                    .min(by: { buffers[$0].capacity < buffers[$1].capacity })
            else { return nil }
            return buffers.remove(at: best)
        }
        if let reused { return reused }
        let capacity = (max(count, 1) + hugePage - 1) & ~(hugePage - 1)
        let base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: hugePage)
        // Transparent huge pages where the kernel offers them (`madvise` mode included): a new buffer
        // then takes one fault per 2 MiB instead of one per 4 KiB (a 22 MB shard: 11 instead of 5,600).
        _ = madvise(base, capacity, MADV_HUGEPAGE)
        return Buffer(base: base, capacity: capacity)
    }

    /// x86-64's transparent huge page size: buffers are rounded up to and aligned on it.
    static let hugePage = 2 << 20

    /// Hands a buffer back: kept while the pool holds less than ``retainedBytes``, else freed.
    static func give(_ buffer: Buffer) {
        let kept = free.withLock { buffers -> Bool in
            guard buffers.reduce(0, { $0 + $1.capacity }) + buffer.capacity <= retainedBytes else { return false }
            buffers.append(buffer)
            return true
        }
        if !kept { buffer.base.deallocate() }
    }
}
