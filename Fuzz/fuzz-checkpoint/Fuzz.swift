import FuzzSupport
import Model

/// `fuzz-checkpoint`: a weights file: the safetensors header or the PyTorch zip and its pickle subset.
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? StateDict.load(path: FuzzTarget.scratchFile(bytes, suffix: ".ckpt"))
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main struct Replay {
    static func main() { FuzzTarget.main(name: "fuzz-checkpoint", fuzzOne) }
}
#endif
