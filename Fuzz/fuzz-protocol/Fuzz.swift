import FuzzSupport
import Transport

/// `fuzz-protocol`: one coordinator ⇄ worker frame, decoded (version check, message shapes).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? ProtocolMessage(decoding: bytes)
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main struct Replay {
    static func main() { FuzzTarget.main(name: "fuzz-protocol", fuzzOne) }
}
#endif
