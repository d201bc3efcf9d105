/// The shard format's fixed facts: its version and its datasets in schema order (the order of the
/// content checksum, see ``ContentChecksum``).
public enum ShardSchema {
    /// The `schema_version` this module writes and reads.
    public static let version = 1

    /// Every dataset name, in schema order.
    public static let datasetNames: [String] = datasets(tokenDType: .float16).map(\.name)

    /// The element type of a dataset.
    enum Element: Equatable {
        case utf8String, int16, int32, int64, uint8, float16, float32

        /// Bytes per element in memory and in the checksum (strings: the size of one `char *`).
        var size: Int {
            switch self {
            case .utf8String: return MemoryLayout<UnsafePointer<CChar>>.size
            case .int16, .float16: return 2
            case .int32, .float32: return 4
            case .int64: return 8
            case .uint8: return 1
            }
        }

        /// The numpy-style name used in messages.
        var name: String {
            switch self {
            case .utf8String: return "vlen utf-8 string"
            case .int16: return "int16"
            case .int32: return "int32"
            case .int64: return "int64"
            case .uint8: return "uint8"
            case .float16: return "float16"
            case .float32: return "float32"
            }
        }
    }

    /// How many rows a dataset has.
    enum Rows {
        case images, imagesPlusOne, tokens, tags
    }

    /// How wide each row is (a 1-D dataset has width 1 and rank 1).
    enum Width {
        case scalar, embedDim, imageTokens, allTags

        /// The row width for a shard with `metadata`.
        func value(_ metadata: ShardMetadata) -> Int {
            switch self {
            case .scalar: 1
            case .embedDim: metadata.embedDim
            case .imageTokens: metadata.imageTokens
            case .allTags: metadata.allTags ?? 0
            }
        }
    }

    /// One dataset of the schema.
    struct Dataset {
        let name: String
        let element: Element
        let rows: Rows
        let width: Width

        var rank: Int { width == .scalar ? 1 : 2 }
    }

    /// The datasets in schema order, with the token element type filled in; `all_tag_probs` comes last,
    /// and only in a shard with `all_tags` (see ``ShardMetadata/allTags``).
    static func datasets(tokenDType: TokenDType, allTags: Int? = nil) -> [Dataset] {
        let token: Element = tokenDType == .float16 ? .float16 : .float32
        let optional =
            allTags == nil ? [] : [Dataset(name: "all_tag_probs", element: .float32, rows: .images, width: .allTags)]
        return [
            Dataset(name: "paths", element: .utf8String, rows: .images, width: .scalar),
            Dataset(name: "labels", element: .int32, rows: .images, width: .scalar),
            Dataset(name: "token_offsets", element: .int64, rows: .imagesPlusOne, width: .scalar),
            Dataset(name: "tokens", element: token, rows: .tokens, width: .embedDim),
            Dataset(name: "token_index", element: .int16, rows: .tokens, width: .scalar),
            Dataset(name: "global_embed", element: token, rows: .images, width: .embedDim),
            Dataset(name: "tag_ids", element: .int32, rows: .tags, width: .scalar),
            Dataset(name: "tag_offsets", element: .int64, rows: .imagesPlusOne, width: .scalar),
            Dataset(name: "tag_probs", element: .float32, rows: .tags, width: .scalar),
            Dataset(name: "attention", element: .float16, rows: .images, width: .imageTokens),
            Dataset(name: "status", element: .uint8, rows: .images, width: .scalar),
            Dataset(name: "errors", element: .utf8String, rows: .images, width: .scalar)
        ] + optional
    }

    /// The attribute each dataset carries with the XXH64 hex digest of its own data (diagnostics: it names
    /// the damaged dataset; `content_checksum` on the root is the authority).
    static let datasetChecksumAttribute = "checksum"

    /// The root attributes, by their names in the file (the order ``ShardWriter`` writes them in does not
    /// matter; `content_checksum` and then `complete` come last). The Swift names are ``ShardMetadata``'s;
    /// the file keeps the names tagood 0.1 wrote, so `datasetHash` is stored as `plan_hash`: the hash of the
    /// shard's *dataset* in the plan, not the whole plan's (which is the journal's `planHash`).
    public enum Attribute: String, CaseIterable, Sendable {
        case schemaVersion = "schema_version"
        case jobID = "job_id"
        case datasetHash = "plan_hash"
        case shardIndex = "shard_index"
        case dataset
        case role
        case modelName = "model_name"
        case modelHash = "model_hash"
        case preprocessing
        case tagThreshold = "tag_threshold"
        case attentionThreshold = "attention_threshold"
        case tokenDType = "token_dtype"
        case embedDim = "embed_dim"
        case imageTokens = "image_tokens"
        case createdBy = "created_by"
        /// Only in a shard of a job with `extract.all_tag_probs: true`.
        case allTags = "all_tags"
        case contentChecksum = "content_checksum"
        /// Written last: 1 once every dataset and every other attribute is in place.
        case complete
    }
}
