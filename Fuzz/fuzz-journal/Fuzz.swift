import FuzzSupport
import Job

/// `fuzz-journal`: a journal file (complete lines, a cut final line, bad records).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? Journal.read(path: FuzzTarget.scratchFile(bytes))
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main struct Replay {
    static func main() { FuzzTarget.main(name: "fuzz-journal", fuzzOne) }
}
#endif
