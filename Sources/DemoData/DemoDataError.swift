import TagoodSupport

/// Why the demo dataset could not be generated. The message names the parameter or the file.
public typealias DemoDataError = CodedError<DemoDataErrorKind>

/// The kinds of ``DemoDataError``; each raw value is the error code.
public enum DemoDataErrorKind: String, Sendable, Equatable {
    /// A generator parameter is out of range.
    case badParameter = "demo-data.bad-parameter"
    /// The output folder already holds files.
    case notEmpty = "demo-data.not-empty"
    /// A folder or file could not be created or written.
    case unwritable = "demo-data.unwritable"
}
