import Datasets
import FuzzSupport

/// `fuzz-plan`: a plan.json (decoded, then every hash and shard boundary re-derived).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? ShardPlan.load(path: FuzzTarget.scratchFile(bytes, suffix: ".json"))
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-plan", fuzzOne) } }
#endif
