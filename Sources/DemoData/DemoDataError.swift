import TagoodSupport

/// Why the demo dataset could not be generated. The message names the parameter or the file.
public struct DemoDataError: TagoodError, Equatable {
    /// The kind of failure; its raw value is ``code``.
    public enum Kind: String, Sendable, Equatable {
        /// A generator parameter is out of range.
        case badParameter = "demo-data.bad-parameter"
        /// The output folder already holds files.
        case notEmpty = "demo-data.not-empty"
        /// A folder or file could not be created or written.
        case unwritable = "demo-data.unwritable"
    }

    /// The kind of failure.
    public let kind: Kind
    /// What went wrong and what to do.
    public let message: String

    /// Makes an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `demo-data.<kind>`, for example `demo-data.bad-parameter`.
    public var code: String { kind.rawValue }
    /// The message.
    public var description: String { message }
}
