import Foundation
import TagoodSupport
import Testing

@testable import Datasets

@Suite struct DirectoryScannerTests {
    @Test func imageFolderLabelsClassesInSortedOrder() throws {
        let tree = try TreeBuilder()
        try tree.files(["n02/b.JPEG", "n02/a.jpeg", "n01/z.png", "n01/y.JPG", "n03/x.jpg"])
        let list = try DirectoryScanner.scan(root: tree.root, layout: .imageFolder)
        #expect(list.classes == ["n01", "n02", "n03"])
        #expect(list.paths == ["n01/y.JPG", "n01/z.png", "n02/a.jpeg", "n02/b.JPEG", "n03/x.jpg"])
        #expect(list.labels == [0, 0, 1, 1, 2])
    }

    @Test func skipsHiddenEntriesAndCountsNonImages() throws {
        let tree = try TreeBuilder()
        try tree.files(["c/a.jpg", "c/.hidden.jpg", ".cache/x.jpg", "c/notes.txt", "c/README", "c/.DS_Store"])
        let list = try DirectoryScanner.scan(root: tree.root, layout: .imageFolder)
        #expect(list.classes == ["c"])
        #expect(list.paths == ["c/a.jpg"])
        #expect(list.skippedFiles == 2)
        #expect(list.hiddenEntries == 3, "c/.hidden.jpg, c/.DS_Store and the folder .cache are counted, not planned")
    }

    @Test func namesThatAreNotUTF8AreKeptLosslesslyAndStayReadable() throws {
        let tree = try TreeBuilder()
        try tree.files(["c/plain.jpg"])
        // A class folder and a file named in Latin-1 (0xE9 = é), as an old file server would leave them.
        let latinClass: [UInt8] = Array("caf".utf8) + [0xE9]
        let latinFile: [UInt8] = Array("r".utf8) + [0xE9, 0xFF] + Array("sum.JPEG".utf8)
        try tree.rawFolder(latinClass)
        try tree.rawFile(latinClass + [UInt8(ascii: "/")] + latinFile, contents: [1, 2, 3])
        let list = try DirectoryScanner.scan(root: tree.root, layout: .imageFolder)
        #expect(list.classes == ["c", FileName.decode(latinClass)], "sorted by bytes: 'c' < 'caf\\xe9'")
        #expect(list.paths.count == 2)
        let path = list.paths[1]
        #expect(FileName.bytes(path) == latinClass + [UInt8(ascii: "/")] + latinFile, "the bytes on disk, not U+FFFD")
        #expect(FileName.display(path) == "caf\\xe9/r\\xe9\\xffsum.JPEG")
        #expect(try FileBytes.read(tree.root + "/" + path) == [1, 2, 3], "the planned name opens the file")
        #expect(FileSystem.size(tree.root + "/" + path) == 3)
    }

    @Test func nestedLayoutFollowsSortedOsWalkOrder() throws {
        // Python: [os.path.join(r, f) for r, _, fs in sorted(os.walk(root)) for f in sorted(fs)]
        // folders sort by whole path: "", "a", "a b", "a/x" — not depth first.
        let tree = try TreeBuilder()
        try tree.files(["a/x/3.jpg", "a b/2.jpg", "a/1.jpg", "top.png", "a/0.jpg"])
        let list = try DirectoryScanner.scan(root: tree.root, layout: .nested)
        #expect(list.paths == ["top.png", "a/0.jpg", "a/1.jpg", "a b/2.jpg", "a/x/3.jpg"])
        #expect(list.labels == [-1, -1, -1, -1, -1])
        #expect(list.classes.isEmpty)
    }

    @Test func imageFolderIncludesImagesInSubfoldersOfAClass() throws {
        let tree = try TreeBuilder()
        try tree.files(["cat/sub/2.jpg", "cat/1.jpg", "dog/3.jpg"])
        let list = try DirectoryScanner.scan(root: tree.root, layout: .imageFolder)
        #expect(list.paths == ["cat/1.jpg", "cat/sub/2.jpg", "dog/3.jpg"])
        #expect(list.labels == [0, 0, 1])
    }

    @Test func followsSymbolicLinks() throws {
        let tree = try TreeBuilder()
        try tree.files(["real/a.jpg"])
        try FileManager.default.createSymbolicLink(
            atPath: tree.root + "/linked", withDestinationPath: tree.root + "/real")
        let list = try DirectoryScanner.scan(root: tree.root, layout: .imageFolder)
        #expect(list.classes == ["linked", "real"])
        #expect(list.paths == ["linked/a.jpg", "real/a.jpg"])
    }

    @Test func extensionsAreCaseInsensitiveAndExact() {
        for name in ["a.jpg", "a.JPG", "a.jpeg", "a.JPEG", "a.Png", "x.y.jpg"] {
            #expect(ImageList.hasImageExtension(name), "\(name)")
        }
        for name in ["jpg", "a.jpgx", "a.gif", "a.", "a.jp", "a.webp", "a.jpeg.txt", "a_jpg"] {
            #expect(!ImageList.hasImageExtension(name), "\(name)")
        }
    }

    @Test func missingRootIsAClearError() {
        #expect {
            try DirectoryScanner.scan(root: "/nonexistent/val", layout: .imageFolder)
        } throws: { error in
            let e = error as! DatasetError
            return e.kind == .missingRoot && e.description.contains("/nonexistent/val")
        }
    }

    @Test func emptyDatasetsAreErrors() throws {
        let tree = try TreeBuilder()
        try tree.files(["c/readme.txt"])
        #expect(throws: DatasetError.self) { try DirectoryScanner.scan(root: tree.root, layout: .imageFolder) }
        #expect(throws: DatasetError.self) { try DirectoryScanner.scan(root: tree.root, layout: .nested) }
        let flat = try TreeBuilder()
        try flat.files(["a.jpg"])
        #expect {
            try DirectoryScanner.scan(root: flat.root, layout: .imageFolder)
        } throws: { error in
            (error as! DatasetError).description.contains("layout 'nested'")
        }
    }
}
