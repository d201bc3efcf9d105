import Foundation
import Testing

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

@Suite struct TemporaryNameTests {
    @Test func oneSchemeNamesAndRecognisesEveryTemporaryFile() {
        let atomic = AtomicFile.temporaryPath(for: "/j/shards/val/shard-00001.h5")
        #expect(AtomicFile.target(ofTemporary: atomic) == "/j/shards/val/shard-00001.h5")
        let staging = AtomicFile.temporaryPath(for: "shards/val/shard-00001.h5", tag: "a2-node7:4711")
        #expect(staging == "shards/val/shard-00001.h5.tmp-a2-node7_4711", "characters outside [A-Za-z0-9_-] become _")
        #expect(AtomicFile.target(ofTemporary: staging) == "shards/val/shard-00001.h5")
        #expect(
            AtomicFile.isTemporary("shard-00001.h5.tmp-a1-4821.tmp-4821-3"), "0.1.0's double names are still cleaned up"
        )
    }

    @Test func aNameThatMerelyContainsTheMarkerIsNotTemporary() {
        for name in [
            "shard-00001.h5", "x.tmp-/y", "a.tmp-b.c", ".tmp-abc", "plan.json.tmp-", "../../victim.tmp-x/../plan.json",
            "journal.jsonl"
        ] {
            #expect(!AtomicFile.isTemporary(name), "\(name)")
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
