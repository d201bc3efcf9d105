import Foundation
import TagoodSupport

/// `coordinator.json`: where a job's running coordinator listens and which process it is, written
/// atomically when it starts. `tagood status` reads it to say whether the coordinator still runs.
public struct CoordinatorInfo: Sendable, Equatable, Codable {
    /// The endpoint workers connect to, `tcp://host:port`.
    public var endpoint: String
    public var pid: Int32
    /// The host the coordinator runs on.
    public var host: String?
    /// Wall-clock seconds since 1970 when it started.
    public var started: Double?

    public init(endpoint: String, pid: Int32, host: String?, started: Double?) {
        self.endpoint = endpoint
        self.pid = pid
        self.host = host
        self.started = started
    }

    /// Writes the file atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(self)) + [UInt8(ascii: "\n")], to: path)
    }

    /// Reads the file; nil when it is absent or unreadable (then no coordinator ever started).
    public static func read(path: String) -> CoordinatorInfo? {
        guard let bytes = try? FileBytes.read(path) else { return nil }
        return try? JSONDecoder().decode(CoordinatorInfo.self, from: Data(bytes))
    }
}
