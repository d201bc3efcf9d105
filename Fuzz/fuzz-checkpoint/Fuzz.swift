import FuzzSupport
import Model

/// `fuzz-checkpoint`: a weights file: the safetensors header or the PyTorch zip and its pickle subset.
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? StateDict.load(path: FuzzTarget.scratchFile(bytes, suffix: ".ckpt"))
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-checkpoint", fuzzOne) } }
#endif
