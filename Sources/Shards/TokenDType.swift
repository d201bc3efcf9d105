/// The element type of the `tokens` and `global_embed` datasets; stored in the `token_dtype` attribute.
public enum TokenDType: String, Sendable, CaseIterable, Codable {
    /// IEEE binary16 (numpy `float16`): half the size, enough precision for cosine-similarity scoring.
    case float16
    /// IEEE binary32 (numpy `float32`).
    case float32

    /// Parses `float16`/`f16`/`fp16` and `float32`/`f32`/`fp32`.
    public init?(name: String) {
        switch name.lowercased() {
        case "float16", "f16", "fp16", "half": self = .float16
        case "float32", "f32", "fp32", "float": self = .float32
        default: return nil
        }
    }

    /// Bytes per value.
    public var byteSize: Int { self == .float16 ? 2 : 4 }
}
