import Datasets
import Foundation
import Glibc
import TagoodSupport
import TagoodTestSupport
import Testing

/// Files that block a reader (issue 25, item 6): a FIFO and a symbolic link to `/dev/zero`, named like
/// images. Each command runs in a real child process with a generous safety deadline, so a regression
/// fails the test (the process is killed at the deadline: a `preprocess` blocked in `open(2)` on the FIFO
/// ignored SIGTERM) instead of hanging the suite.
@Suite struct BlockingFileTests {
    /// A folder `ood/x` with one real image file, a FIFO `pipe.jpg` and a link `zero.jpg` to /dev/zero.
    private static func hostileFolder() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: "tagood-blocking")
        try FileManager.default.createDirectory(atPath: dir.path + "/ood/x", withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: dir.path + "/ood/x/a.jpg"))
        #expect(mkfifo(dir.path + "/ood/x/pipe.jpg", 0o644) == 0)
        #expect(symlink("/dev/zero", dir.path + "/ood/x/zero.jpg") == 0)
        return dir
    }

    @Test func theScanPlansOnlyRegularFiles() throws {
        let dir = try Self.hostileFolder()
        let plan = try BackgroundTagood([
            "plan", "--dataset", "far:ood:nested:\(dir.path)/ood", "--images-per-shard", "2", "-o",
            dir.path + "/plan.json"
        ]).waitOrKill(safetyDeadline: 120)
        #expect(plan.status == 0, "\(plan.stdout)")
        #expect(plan.stdout.contains("2 files without"), "the FIFO and the device are skipped and counted")
        let loaded = try ShardPlan.load(path: dir.path + "/plan.json")
        #expect(loaded.imageCount == 1, "only the regular file is planned")
    }

    @Test func aListFileNamingAFIFOOrADeviceIsAPlanError() throws {
        let dir = try Self.hostileFolder()
        for name in ["pipe.jpg", "zero.jpg"] {
            try "x/a.jpg\nx/\(name)\n".write(toFile: dir.path + "/list.txt", atomically: true, encoding: .utf8)
            let plan = try BackgroundTagood([
                "plan", "--dataset", "far:ood:list:\(dir.path)/ood:\(dir.path)/list.txt", "-o", dir.path + "/plan.json"
            ]).waitOrKill(safetyDeadline: 120)
            #expect(plan.status != 0)
            #expect(plan.stdout.contains("list.txt line 2"), "\(plan.stdout)")
            #expect(plan.stdout.contains("not a regular file"), "\(plan.stdout)")
        }
    }

    @Test(arguments: [("pipe.jpg", "a FIFO (named pipe)"), ("zero.jpg", "a character device")])
    func preprocessRefusesAFileThatWouldBlock(name: String, kind: String) throws {
        let dir = try Self.hostileFolder()
        let result = try BackgroundTagood([
            "preprocess", dir.path + "/ood/x/" + name, "-o", dir.path + "/out.npy"
        ]).waitOrKill(safetyDeadline: 120)
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stdout.contains("it is \(kind), not a regular file"), "\(result.stdout)")
        #expect(result.stdout.contains("[image.unreadable]"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out.npy"))
    }
}
