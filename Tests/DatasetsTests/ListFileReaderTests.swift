import Testing

@testable import Datasets

@Suite struct ListFileReaderTests {
    @Test func readsPathsLabelsCommentsAndSpaces() throws {
        let tree = try TreeBuilder()
        try tree.files(["images/a.jpg", "images/b c.JPEG", "images/d.png"])
        try tree.write("# MOS list\nimages/a.jpg 3\r\n\nimages/b c.JPEG\t-1\nimages/d.png\n", to: "list.txt")
        let list = try ListFileReader.read(file: tree.root + "/list.txt", root: tree.root)
        #expect(list.paths == ["images/a.jpg", "images/b c.JPEG", "images/d.png"])
        #expect(list.labels == [3, -1, -1])
    }

    @Test func missingListedImageNamesLineAndPath() throws {
        let tree = try TreeBuilder()
        try tree.files(["a.jpg"])
        try tree.write("a.jpg\nmissing.jpg\n", to: "list.txt")
        #expect {
            try ListFileReader.read(file: tree.root + "/list.txt", root: tree.root)
        } throws: { error in
            let e = error as! DatasetError
            return e.kind == .missingListedImage && e.description.contains("line 2")
                && e.description.contains("missing.jpg")
        }
    }

    @Test func duplicatesAbsolutePathsAndNonImagesAreRejected() throws {
        let tree = try TreeBuilder()
        try tree.files(["a.jpg"])
        for (text, kind) in [
            ("a.jpg\na.jpg\n", DatasetErrorKind.duplicateImage),
            ("/etc/a.jpg\n", .badListLine),
            ("notes.txt\n", .badListLine),
            ("# nothing\n", .empty)
        ] {
            try tree.write(text, to: "list.txt")
            #expect(throws: DatasetError.self) {
                try ListFileReader.read(file: tree.root + "/list.txt", root: tree.root)
            }
            do {
                _ = try ListFileReader.read(file: tree.root + "/list.txt", root: tree.root)
            } catch {
                #expect(error.kind == kind, "\(text)")
            }
        }
    }

    @Test func missingListFileIsAnError() {
        #expect(throws: DatasetError.self) { try ListFileReader.read(file: "/nonexistent/list.txt", root: "/") }
    }
}
