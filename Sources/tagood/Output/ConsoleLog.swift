import Foundation
import Logging
import TagoodSupport

/// swift-log for the CLI: every module logs through a `Logger` with metadata (job, shard, attempt,
/// worker); this handler prints one line per message, `[12:00:01] message  {attempt=2 shard=val/3}`.
/// Level `info` and above by default; `TAGOOD_LOG=debug` (or `trace`, `warning`, `error`) changes it.
struct ConsoleLogHandler: LogHandler {
    /// Where a line goes.
    enum Stream: Sendable { case stdout, stderr }

    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let stream: Stream
    /// Put before every line instead of the time, such as `[worker 4711]`.
    let prefix: String?

    init(stream: Stream, prefix: String? = nil) {
        self.stream = stream
        self.prefix = prefix
        let level = ProcessInfo.processInfo.environment["TAGOOD_LOG"].flatMap(Logger.Level.init(rawValue:))
        logLevel = level ?? .info
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        let all = metadata.merging(extra ?? [:]) { $1 }
        let tags =
            all.isEmpty
            ? "" : "  {" + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "}"
        let severity = level >= .warning ? "\(level): " : ""
        Console.write("\(prefix ?? "[\(Console.clock())]") \(severity)\(message)\(tags)", to: stream)
    }
}

/// The CLI's output lines. A progress display registers ``beforeLine`` to clear its bars before a line
/// is printed above them.
enum Console {
    /// Called before each line (a progress view clears its bars); set and cleared on the main thread.
    nonisolated(unsafe) static var beforeLine: (() -> Void)?

    private static let lock = Locked(())

    /// Prints one line on `stream`.
    static func write(_ text: String, to stream: ConsoleLogHandler.Stream) {
        lock.withLock { _ in
            beforeLine?()
            // print() for stdout keeps the order with the rest of the CLI's output; stderr is unbuffered.
            switch stream {
            case .stdout:
                print(text)
                fflush(nil)
            case .stderr:
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
        }
    }

    /// A logger printing on `stream`.
    static func logger(_ label: String, stream: ConsoleLogHandler.Stream = .stdout, prefix: String? = nil) -> Logger {
        Logger(label: label) { _ in ConsoleLogHandler(stream: stream, prefix: prefix) }
    }

    /// `HH:MM:SS`, local time.
    static func clock() -> String {
        var t = time(nil)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
