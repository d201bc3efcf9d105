/// An error whose code comes from a module's `Kind` enum (raw values like `dataset.missing-root`) and
/// whose message says what is wrong and what to do. Modules declare their error as a type alias:
///
/// ```swift
/// public enum DatasetErrorKind: String, Sendable { case missingRoot = "dataset.missing-root", … }
/// public typealias DatasetError = CodedError<DatasetErrorKind>
/// throw DatasetError(.missingRoot, "dataset root /x/val does not exist")
/// ```
public struct CodedError<Kind: RawRepresentable & Sendable & Equatable>: TagoodError where Kind.RawValue == String {
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var code: String { kind.rawValue }
    public var description: String { message }
}
