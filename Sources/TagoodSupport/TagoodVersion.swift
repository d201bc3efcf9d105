/// The version of tagood that wrote a file; stored in every shard and plan.
public enum TagoodVersion {
    public static let string = "0.3.0"
    /// `tagood/<version>`, the `created_by` stamp.
    public static let createdBy = "tagood/\(string)"
}
