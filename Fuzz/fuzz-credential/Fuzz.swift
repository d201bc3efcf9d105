import Coordination
import FuzzSupport
import Job

/// `fuzz-credential`: a worker credential, as a file (0600) and as the text of an environment variable.
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? WorkerCredential.load(path: FuzzTarget.scratchFile(bytes, suffix: ".key"))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? WorkerCredential.resolve(
        file: nil, environment: [WorkerCredential.environmentVariable: text],
        directory: JobDirectory("/nonexistent"))
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-credential", fuzzOne) } }
#endif
