import Foundation
import Testing

@testable import TagoodSupport

/// ``CommitQueue``: files written on several threads are renamed into place whole by the queue, `then`
/// runs after each, and a failed commit is reported by `finish()` with its path while the later ones
/// are dropped (no temporary file is left either way).
@Suite struct CommitQueueTests {
    @Test func filesFromSeveralThreadsAllLandWhole() throws {
        let dir = try TemporaryDirectory()
        let queue = CommitQueue()
        let done = Locked<[Int]>([])
        try ParallelFor.run(count: 24, threads: 2) { i in
            let bytes = [UInt8](repeating: UInt8(i), count: 4096 + i)
            try queue.write(bytes, to: dir.path + "/part-\(i).bin") { done.withLock { $0.append(i) } }
        }
        try queue.finish()
        for i in 0..<24 {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/part-\(i).bin"))
            #expect(data.count == 4096 + i && data.allSatisfy { $0 == UInt8(i) }, "part \(i)")
        }
        #expect(done.value.sorted() == Array(0..<24))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 24, "no temporary file is left")
    }

    @Test func aFailedCommitIsReportedAndTheLaterOnesAreDropped() throws {
        let dir = try TemporaryDirectory()
        // A non-empty directory where a file should go: the rename fails.
        try FileManager.default.createDirectory(atPath: dir.path + "/b.bin/inside", withIntermediateDirectories: true)
        let queue = CommitQueue()
        try queue.write([1], to: dir.path + "/a.bin")
        try queue.write([2], to: dir.path + "/b.bin")
        try queue.write([3], to: dir.path + "/c.bin")
        #expect {
            try queue.finish()
        } throws: { error in
            (error as? FileError)?.code == "file.rename" && "\(error)".contains("b.bin")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(left == ["a.bin", "b.bin"], "a landed, c was dropped, no temporary file: \(left)")
    }
}
