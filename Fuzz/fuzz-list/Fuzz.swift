import Datasets
import FuzzSupport

/// `fuzz-list`: a MOS/ViM-style list file (paths, labels, duplicates, extensions).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? ListFileReader.read(
        file: FuzzTarget.scratchFile(bytes, suffix: ".txt"), root: "/fuzz", checkFilesExist: false)
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-list", fuzzOne) } }
#endif
