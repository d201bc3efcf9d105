import TagoodSupport

/// A job or cluster file that cannot be used. The message starts with `file:line: key.path:` and says
/// what is expected.
public struct ConfigError: TagoodError {
    public let file: String
    public let line: Int?
    public let key: String
    public let problem: String

    public init(file: String, line: Int?, key: String, problem: String) {
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
    }

    public var code: String { "config.invalid" }

    /// `file:line: key`.
    public var subject: String? {
        let location = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? location : "\(location): \(key)"
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(location): \(problem)" : "\(location): \(key): \(problem)"
    }
}
