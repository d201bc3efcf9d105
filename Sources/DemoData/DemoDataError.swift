import TagoodSupport

/// Why the demo dataset could not be generated. The message names the parameter or the file.
public typealias DemoDataError = CodedError<DemoDataErrorKind>

/// The kinds of ``DemoDataError`` (codes `demo-data.<raw value>`): a generator parameter is out of range,
/// the output folder already holds files, or a folder or file could not be written.
public enum DemoDataErrorKind: String, ErrorKind {
    public static let domain = "demo-data"
    case badParameter = "bad-parameter", notEmpty = "not-empty", unwritable
}
