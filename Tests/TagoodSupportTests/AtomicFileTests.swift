import Testing
import Foundation
@testable import TagoodSupport

@Suite struct AtomicFileTests {
    @Test func writesWholeContentAndLeavesNoTemporary() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/plan.json"
        try AtomicFile.write("first", to: path)
        try AtomicFile.write("second version", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second version")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(left == ["plan.json"])
    }

    @Test func failsWithPathWhenDirectoryIsMissing() {
        #expect {
            try AtomicFile.write("x", to: "/nonexistent-tagood-dir/plan.json")
        } throws: { error in
            (error as? FileError)?.code == "file.create" && "\(error)".contains("/nonexistent-tagood-dir/plan.json")
        }
    }
}

@Suite struct PathTests {
    @Test func normalizeRemovesDotComponentsLexically() {
        #expect(Path.normalize("/a/jobs/../out/./demo") == "/a/out/demo")
        #expect(Path.normalize("/a//b/") == "/a/b")
        #expect(Path.normalize("/../x") == "/x")
        #expect(Path.normalize("a/../../b") == "../b")
        #expect(Path.normalize("./") == ".")
    }
}
