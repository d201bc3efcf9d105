import FuzzSupport
import Transport

/// `fuzz-protocol`: one coordinator ⇄ worker frame, decoded (version check, message shapes).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? ProtocolMessage(decoding: bytes)
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-protocol", fuzzOne) } }
#endif
