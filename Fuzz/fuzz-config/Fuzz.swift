import Cluster
import FuzzSupport
import Launch

/// `fuzz-config`: a job file and a cluster file (YAML with line numbers, every key's checks).
func fuzzOne(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? JobSpec.parse(text, file: "/fuzz/job.yaml", checkPaths: false)
    _ = try? ClusterSpec.parse(text, file: "/fuzz/cluster.yaml")
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-config", fuzzOne) } }
#endif
