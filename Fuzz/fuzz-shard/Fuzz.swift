import FuzzSupport
import Shards

/// `fuzz-shard`: an HDF5 shard (mutated files): open, verify every checksum, read every image.
func fuzzOne(_ bytes: [UInt8]) {
    let path = FuzzTarget.scratchFile(bytes, suffix: ".h5")
    guard let reader = try? ShardReader(path: path) else { return }
    defer { reader.close() }
    _ = try? reader.verify()
    _ = try? reader.forEach { _ in }
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-shard", fuzzOne) } }
#endif
