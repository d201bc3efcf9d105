import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// The extraction's failpoints (``Failpoints``, `TAGOOD_FAILPOINTS`): `crash-on-image=<text>` aborts at
/// an image whose path contains `<text>`, `delay-per-image-ms=<n>` sleeps `n` ms per image.
public enum ExtractFailpoints {
    private static let crashOnImage = Failpoints.text("crash-on-image")
    private static let delayMicroseconds = UInt32(max(0, Failpoints.integer("delay-per-image-ms")) * 1000)

    /// Called by producers before each image.
    public static func willProcess(imagePath: String) {
        if let crash = crashOnImage, imagePath.contains(crash) {
            let line = Array("tagood worker: failpoint crash-on-image=\(crash) reached at \(imagePath)\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            abort()
        }
        if delayMicroseconds > 0 { usleep(delayMicroseconds) }
    }
}
