/// The demo's tag vocabulary and class → tag map, in the formats `TagVocabulary.load` and
/// `ClassTagMap.load` read.
extension DemoDataset {
    /// The tags beyond the class tags: the near-OOD shapes, the far-OOD kinds and a few generic words, so
    /// that the OOD sets have tags of their own.
    public static let extraTags: [String] =
        DemoShape.nearOOD.map(\.rawValue) + DemoFarKind.allCases.map(\.rawValue)
        + ["texture", "pattern", "shape", "background", "color"]

    /// The classes this dataset draws.
    public var classTable: [DemoClass] { DemoClass.table(count: classes) }

    /// The tag vocabulary: the class tags in class order, then ``extraTags``. A tag's id is its index.
    public var tags: [String] { classTable.map(\.tag) + Self.extraTags }

    /// The tag list file: one tag per line.
    public var tagListText: String { tags.map { $0 + "\n" }.joined() }

    /// The class → tag map file: `<index> <folder> <display name>,<tag>` per line, in index order, e.g.
    /// `0 c0-circle red circle,circle`.
    public var classTagMapText: String {
        classTable.map { "\($0.index) \($0.folder) \($0.displayName),\($0.tag)\n" }.joined()
    }
}
