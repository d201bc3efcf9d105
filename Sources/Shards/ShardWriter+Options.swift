extension ShardWriter {
    /// How a shard is stored and buffered.
    public struct Options: Sendable, Equatable {
        /// The type of `tokens` and `global_embed` (float16 by default: half the size).
        public var tokenDType: TokenDType
        /// Compression of the numeric datasets (off by default).
        public var compression: ShardCompression
        /// How many staged bytes of one dataset trigger writing its whole chunks to the file. Bounds the
        /// writer's staging memory to about this per large dataset (`tokens`, `global_embed`,
        /// `attention`), plus the small ones, which are written at commit. The default, 1 MiB, keeps the
        /// staged rows in the CPU's cache from their conversion to float16, through their checksum, to
        /// the copy into the page cache (8 MiB went to memory and back twice, and faulted in 2,048 fresh
        /// pages per dataset: the shard-write bench ran 10–15% slower).
        public var bufferBytes: Int
        /// The target chunk size in bytes (see ``ShardLayout/chunkRows(rowBytes:chunkBytes:)``).
        public var chunkBytes: Int
        /// How many images the shard will hold, when known (the plan knows). Chunks are then no larger
        /// than the data needs: HDF5 allocates whole chunks, so a small shard with 512 KiB chunks would
        /// weigh megabytes.
        public var expectedImages: Int?

        /// The defaults: float16 tokens, no compression, 1 MiB buffer, 512 KiB chunks.
        public init(
            tokenDType: TokenDType = .float16, compression: ShardCompression = .none,
            bufferBytes: Int = 1 << 20, chunkBytes: Int = 512 << 10, expectedImages: Int? = nil
        ) {
            self.tokenDType = tokenDType
            self.compression = compression
            self.bufferBytes = bufferBytes
            self.chunkBytes = chunkBytes
            self.expectedImages = expectedImages
        }
    }
}
