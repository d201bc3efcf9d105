/// The class → tag map of an in-distribution dataset: which RAM tag stands for each class.
///
/// File format (TagOOD's `ind_tag_list.txt`, shipped as `data/ram/imagenet_class_tags.txt`), one class
/// per line in class-index order:
///
///     <index> <class folder name, e.g. the wnid> <display name>,<RAM tag>
///
/// The RAM tag is everything after the first comma of the third field onward (tags may contain
/// spaces). Several classes may share a tag: ImageNet-1k's 1000 classes map to 719 distinct tags.
public struct ClassTagMap: Sendable, Equatable {
    /// Class folder names (wnids) in index order.
    public let classNames: [String]
    /// The tag id of each class, in index order.
    public let classTags: [Int]
    /// The distinct tag ids of all classes, ascending: TagOOD's in-distribution tag set.
    public let idTags: [Int]

    public init(classNames: [String], classTags: [Int]) {
        self.classNames = classNames
        self.classTags = classTags
        self.idTags = Array(Set(classTags)).sorted()
    }

    /// Reads a map file, resolving each tag in `vocabulary`.
    public static func load(path: String, vocabulary: TagVocabulary) throws(ExtractError) -> ClassTagMap {
        var names: [String] = []
        var tags: [Int] = []
        for (number, line) in try ExtractError.lines(of: path, what: "class → tag map").enumerated() {
            let where_ = "\(path) line \(number + 1)"
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3, let index = Int(fields[0]) else {
                throw ExtractError(
                    .badClassMap, "\(where_): expected '<index> <class> <name>,<RAM tag>', got '\(line)'")
            }
            guard index == names.count else {
                throw ExtractError(
                    .badClassMap,
                    "\(where_): class index \(index) is out of order (expected \(names.count)); list classes in index order"
                )
            }
            guard let comma = fields[2].firstIndex(of: ",") else {
                throw ExtractError(.badClassMap, "\(where_): no ',' before the RAM tag in '\(fields[2])'")
            }
            let tag = String(fields[2][fields[2].index(after: comma)...])
            guard let id = vocabulary.id(of: tag) else {
                throw ExtractError(
                    .unknownTag,
                    "\(where_): tag '\(tag)' of class \(fields[1]) is not in the tag list (\(vocabulary.count) tags)")
            }
            names.append(String(fields[1]))
            tags.append(id)
        }
        guard !names.isEmpty else {
            throw ExtractError(.badClassMap, "\(path) maps no classes")
        }
        return ClassTagMap(classNames: names, classTags: tags)
    }
}
