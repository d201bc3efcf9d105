import CImageCodecs
import TagoodSupport

extension RGBImage {
    /// Runs a codec's encoder (`tg_*_encode_rgb`: the pixels in, a buffer it allocates out) and returns
    /// the encoded bytes; `label` names the image in errors (`image.out-of-memory` when the codec ran out
    /// of memory, `image.unwritable` otherwise).
    func encoded(
        label: String,
        _ encode: (UnsafePointer<UInt8>?, inout UnsafeMutablePointer<UInt8>?, inout Int, inout tg_status) -> Int32
    ) throws(ImageError) -> [UInt8] {
        var status = tg_status()
        var data: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let code = pixels.withUnsafeBufferPointer { encode($0.baseAddress, &data, &size, &status) }
        guard code == 0, let data else {
            let error = codecError(status, path: label)
            throw ImageError(code == 4 ? .outOfMemory : .unwritable, path: label, detail: error.detail)
        }
        defer { tg_free(data) }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Writes encoded image `bytes` to `path` atomically (temporary file, fsync, rename).
    static func write(encoded bytes: [UInt8], to path: String) throws(ImageError) {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw ImageError(.unwritable, path: path, detail: error.description)
        }
    }
}
