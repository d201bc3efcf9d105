#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator tuned for code that allocates and frees blocks of megabytes over and over (the
/// reducer: a partial's arrays, its Gram blocks and its encoding, shard after shard).
///
/// By default glibc serves such a block with a fresh `mmap` and returns it with `munmap` (or trims the
/// heap) when it is freed, so the next shard's block takes a page fault, and a page of zeros, for every
/// 4 KiB again: on the reducer's bench that was about a tenth of its time. ``keepFreedBlocks()`` serves
/// them from the heap and keeps what is freed for the next ones. The process then holds on to its peak
/// heap until it exits; the peak itself does not grow.
public enum MemoryReuse {
    /// Sets `M_MMAP_THRESHOLD` to 256 MiB and `M_TRIM_THRESHOLD` to 1 GiB (process-wide). Does nothing
    /// where `mallopt` is not glibc's.
    public static func keepFreedBlocks() {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        // RTLD_DEFAULT (a null handle on glibc): the allocator the process uses.
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(mmapThreshold, 256 << 20)
        _ = mallopt(trimThreshold, 1 << 30)
    }

    /// `<malloc.h>`'s parameter numbers (the Glibc module does not import that header).
    private static let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
}
