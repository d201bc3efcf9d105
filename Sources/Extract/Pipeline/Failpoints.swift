#if canImport(Glibc)
import Glibc
#endif

/// Fault injection for the fault-tolerance tests, read once from `TAGOOD_FAILPOINTS`
/// (comma-separated; never set it in production):
///
/// - `crash-on-image=<text>`: the worker process aborts (SIGABRT) when it reaches an image whose path
///   contains `<text>`, like a decoder crash would.
/// - `delay-per-image-ms=<n>`: sleep `n` ms per image, so a test can act while a shard is in flight.
public enum Failpoints {
    struct Settings: Sendable {
        var crashOnImage: String?
        var delayMicroseconds: UInt32 = 0
    }

    static let settings: Settings = {
        var s = Settings()
        guard let raw = getenv("TAGOOD_FAILPOINTS") else { return s }
        for item in String(cString: raw).split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "crash-on-image": s.crashOnImage = parts[1]
            case "delay-per-image-ms": s.delayMicroseconds = UInt32(parts[1]).map { $0 * 1000 } ?? 0
            default: break
            }
        }
        return s
    }()

    /// Called by producers before each image.
    public static func willProcess(imagePath: String) {
        let s = settings
        if let crash = s.crashOnImage, imagePath.contains(crash) {
            let line = Array("tagood worker: failpoint crash-on-image=\(crash) reached at \(imagePath)\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            abort()
        }
        if s.delayMicroseconds > 0 { usleep(s.delayMicroseconds) }
    }
}
