import Foundation
import TagoodSupport
import Testing

@testable import Extract

/// The repository's `data/ram` folder (a byte-for-byte copy of RAM's and TagOOD's files).
let ramData = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../data/ram").standardized.path

@Suite struct TagDataTests {
    @Test func ramVocabularyHas4585Tags() throws {
        let vocabulary = try TagVocabulary.load(path: ramData + "/ram_tag_list.txt")
        #expect(vocabulary.count == 4585)
        #expect(vocabulary.names.first == "3D CG rendering")
        #expect(vocabulary.id(of: "fish") == 1652) // line 1653, 0-based id
    }

    @Test func imageNetClassesMapTo719DistinctTags() throws {
        let vocabulary = try TagVocabulary.load(path: ramData + "/ram_tag_list.txt")
        let map = try ClassTagMap.load(path: ramData + "/imagenet_class_tags.txt", vocabulary: vocabulary)
        #expect(map.classNames.count == 1000)
        #expect(map.classNames.first == "n01440764")
        #expect(map.classTags[0] == vocabulary.id(of: "fish"))
        #expect(map.classTags[1] == vocabulary.id(of: "goldfish"))
        #expect(map.idTags.count == 719)
        #expect(map.classTags.filter { $0 == vocabulary.id(of: "dog") }.count == 78)
    }

    @Test func unknownTagsAndBadLinesNameTheLine() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-extract")
        let vocabulary = try TagVocabulary(names: ["cat", "dog", "hot dog"])
        try "0 c0 猫,cat\n1 c1 狗,hot dog\n2 c2 ?,unicorn\n".write(
            toFile: dir.path + "/map.txt", atomically: true, encoding: .utf8)
        #expect {
            try ClassTagMap.load(path: dir.path + "/map.txt", vocabulary: vocabulary)
        } throws: { error in
            let e = error as! ExtractError
            return e.kind == .unknownTag && e.description.contains("line 3") && e.description.contains("unicorn")
        }
        try "0 c0 猫,cat\n2 c1 狗,dog\n".write(toFile: dir.path + "/map.txt", atomically: true, encoding: .utf8)
        #expect(throws: ExtractError.self) { try ClassTagMap.load(path: dir.path + "/map.txt", vocabulary: vocabulary) }
        try "0 c0 猫,cat\n1 c1 狗,hot dog".write(toFile: dir.path + "/map.txt", atomically: true, encoding: .utf8)
        let map = try ClassTagMap.load(path: dir.path + "/map.txt", vocabulary: vocabulary)
        #expect(map.classTags == [0, 2])
        #expect(throws: ExtractError.self) { try TagVocabulary.load(path: dir.path + "/missing.txt") }
    }
}
