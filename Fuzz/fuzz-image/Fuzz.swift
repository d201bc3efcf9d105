import FuzzSupport
import Imaging

/// `fuzz-image`: a JPEG or PNG file through the Pillow-exact decoders.
func fuzzOne(_ bytes: [UInt8]) {
    // 4 M pixels at most: a header claiming more is refused before any allocation.
    _ = try? ImageDecoder(maxPixels: 4 << 20).decode(bytes, path: "fuzz")
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-image", fuzzOne) } }
#endif
