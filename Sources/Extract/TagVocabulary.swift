/// RAM's tag vocabulary: one tag name per line, the 0-based line number being the tag id (the row of
/// the model's `label_embed`). `data/ram/ram_tag_list.txt` has RAM's 4585 tags.
public struct TagVocabulary: Sendable, Equatable {
    /// Tag names in id order.
    public let names: [String]
    private let ids: [String: Int]

    public init(names: [String]) throws(ExtractError) {
        var ids: [String: Int] = [:]
        for (id, name) in names.enumerated() {
            guard !name.isEmpty else {
                throw ExtractError(.badTagList, "tag \(id) is empty: a tag list has one non-empty tag per line")
            }
            if ids[name] == nil { ids[name] = id } // keep the first id of a repeated name
        }
        self.names = names
        self.ids = ids
    }

    /// Reads a tag list file.
    public static func load(path: String) throws(ExtractError) -> TagVocabulary {
        let lines = try ExtractError.lines(of: path, what: "tag list")
        do {
            return try TagVocabulary(names: lines.map(String.init))
        } catch {
            throw ExtractError(.badTagList, "\(path): \(error.message)")
        }
    }

    /// The number of tags.
    public var count: Int { names.count }

    /// The id of a tag name, or nil.
    public func id(of name: String) -> Int? { ids[name] }
}
