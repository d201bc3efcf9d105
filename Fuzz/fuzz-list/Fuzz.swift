import FuzzSupport
import Datasets

/// `fuzz-list`: a MOS/ViM-style list file (paths, labels, duplicates, extensions).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? ListFileReader.read(file: FuzzTarget.scratchFile(bytes, suffix: ".txt"), root: "/fuzz", checkFilesExist: false)
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main struct Replay {
    static func main() { FuzzTarget.main(name: "fuzz-list", fuzzOne) }
}
#endif
