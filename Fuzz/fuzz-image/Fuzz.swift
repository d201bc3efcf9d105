import FuzzSupport
import Imaging

/// `fuzz-image`: a JPEG or PNG file through the Pillow-exact decoders.
func fuzzOne(_ bytes: [UInt8]) {
    // 4 M pixels at most: a header claiming more is refused before any allocation.
    _ = try? ImageDecoder(maxPixels: 4 << 20).decode(bytes, path: "fuzz")
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main struct Replay {
    static func main() { FuzzTarget.main(name: "fuzz-image", fuzzOne) }
}
#endif
