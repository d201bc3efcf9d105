import FuzzSupport
import Job

/// `fuzz-journal`: a journal file (complete lines, a cut final line, bad records).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? Journal.read(path: FuzzTarget.scratchFile(bytes))
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-journal", fuzzOne) } }
#endif
