import Extract
import Foundation
import Job
import Shards
import TagoodSupport
import TagoodTestSupport
import Testing
import Transport

@testable import Cluster
@testable import Coordination

/// Issue 25, items 1, 3, 4, 10 and 11, against a real `tagood launch` on 127.0.0.1: outsiders holding
/// idle connections, insiders naming themselves like another worker, taking a dead worker's routing id,
/// heartbeating without progress, or sending text made to forge log lines; and symbolic links in the job
/// directory.
@Suite(.serialized) struct HostilePeerTests {
    /// A launch whose cluster file adds `extra` lines.
    static func job(images: Int = 16, maxAttempts: Int = 3, extra: String = "") throws -> ClusterFixture {
        let job = try ClusterFixture(images: images, maxAttempts: maxAttempts)
        let cluster = job.root + "/cluster.yaml"
        try (String(contentsOfFile: cluster, encoding: .utf8) + "\n" + extra)
            .write(toFile: cluster, atomically: true, encoding: .utf8)
        return job
    }

    @Test func idleConnectionsWithoutKeysCannotExhaustTheCoordinatorsDescriptors() throws {
        let job = try Self.job()
        // The coordinator and its workers may open 200 descriptors (soft and hard: raising cannot help);
        // 400 idle TCP connections, each held until its handshake would time out, would take them all.
        let output = job.root + "/launch.out"
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let launch = Process()
        launch.executableURL = URL(fileURLWithPath: "/bin/sh")
        launch.arguments = [
            "-c", #"ulimit -n 200 && exec "$0" "$@""#, TagoodProcess.executable, "launch", "job.yaml", "--cluster",
            "cluster.yaml"
        ]
        launch.currentDirectoryURL = URL(fileURLWithPath: job.root)
        launch.environment = ProcessInfo.processInfo.environment.merging(["TAGOOD_FAILPOINTS": "delay-per-image-ms=60"])
        {
            $1
        }
        launch.standardOutput = handle
        launch.standardError = handle
        try launch.run()
        let (endpoint, _, _) = try RoguePeer.waitForCoordinator(of: job)
        let port = try #require(endpoint.split(separator: ":").last.flatMap { UInt16($0) })
        _ = try #require(try job.waitForRecord { $0.event == .assigned }, "the workers are at work")
        var idle: [Int32] = []
        defer { for fd in idle { close(fd) } }
        for _ in 0..<400 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if rc == 0 { idle.append(fd) } else { close(fd) }
        }
        #expect(idle.count > 200, "the outsider holds more connections than the coordinator has descriptors")
        let deadline = Date().addingTimeInterval(120) // a safety net only
        while launch.isRunning && Date() < deadline { usleep(20_000) }
        if launch.isRunning { launch.terminate() }
        launch.waitUntilExit()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(launch.terminationStatus == 0, "\(text)")
        #expect(text.contains("connections beyond the limit"), "\(text)")
        let records = try job.journal()
        #expect(!records.contains { $0.event == .gaveUp }, "no shard was given up")
        #expect(
            !records.contains { $0.event == .failed && $0.code != JournalRecord.resourcesCode },
            "no attempt was charged: \(records.filter { $0.event == .failed }.map { $0.message ?? "" })")
        try job.expectExactlyOnce()
    }

    @Test func aPeerNamedLikeAnotherWorkerCannotDeleteItsStagingFile() throws {
        let job = try Self.job()
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=60")
        defer { _ = run.wait() }
        let (endpoint, credential, _) = try RoguePeer.waitForCoordinator(of: job)
        let holder = try RoguePeer(endpoint: endpoint, workerID: "vm:123", curve: credential.curveRole)
        let lookalike = try RoguePeer(endpoint: endpoint, workerID: "vm_123", curve: credential.curveRole)
        let stranger = try RoguePeer(endpoint: endpoint, workerID: "stranger", curve: credential.curveRole)
        guard case .welcome? = try holder.hello(), case .welcome? = try lookalike.hello() else {
            Issue.record("the insiders were not welcomed")
            return
        }
        let assign = try #require(try holder.nextAssignment())
        let staging = job.jobDirectory.stagingFile(assign.shard, attempt: assign.attempt, worker: "vm:123")
        try Data("the holder is writing this".utf8).write(to: URL(fileURLWithPath: staging))
        let claim = ProtocolMessage.done(
            ProtocolMessage.Done(
                shard: assign.shard, attempt: assign.attempt, resultChecksum: "0", images: 4, failedImages: 0,
                tokens: 0, seconds: 1))
        try lookalike.send(claim)
        try stranger.send(claim) // never said hello
        // Each peer's messages are handled in order: once `ready` is answered, the `done` was handled.
        try lookalike.send(.ready)
        _ = try lookalike.receive()
        try stranger.send(.ready)
        if case .refused(let refused)? = try stranger.receive() {
            #expect(refused.rejoin == true, "a peer that did not say hello is told to")
        } else {
            Issue.record("the stranger's ready was not refused")
        }
        #expect(FileSystem.exists(staging), "the holder's staging file survived")
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        #expect(try job.journal().allSatisfy { $0.worker != "stranger" }, "nothing from a peer without hello counted")
        try job.expectExactlyOnce()
    }

    @Test func aPeerThatTakesADeadWorkersRoutingIDCannotKeepItsLease() throws {
        let job = try Self.job()
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=60")
        defer { _ = run.wait() }
        let (endpoint, credential, _) = try RoguePeer.waitForCoordinator(of: job)
        var ghost: RoguePeer? = try RoguePeer(endpoint: endpoint, workerID: "ghost", curve: credential.curveRole)
        guard case .welcome? = try ghost?.hello() else {
            Issue.record("the insider was not welcomed")
            return
        }
        let assign = try #require(try ghost?.nextAssignment())
        ghost?.socket.close()
        ghost = nil // the worker is gone; another connection takes its routing id and says no hello
        let heir = try RoguePeer(endpoint: endpoint, workerID: "ghost", curve: credential.curveRole)
        let beat = ProtocolMessage.heartbeat(
            ProtocolMessage.Heartbeat(shard: assign.shard, attempt: assign.attempt, imagesDone: 1))
        var expired: JournalRecord?
        let deadline = Date().addingTimeInterval(60) // a safety net only: before the fix it never expired
        while expired == nil && Date() < deadline {
            try heir.send(beat)
            usleep(50_000)
            expired = try job.journal().first {
                $0.event == .expired && $0.shard == assign.shard && $0.attempt == assign.attempt
            }
        }
        #expect(
            expired?.code == "lease.expired", "the heir's heartbeats kept nothing alive: \(String(describing: expired))"
        )
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        try job.expectExactlyOnce()
    }

    @Test func aLeaseThatHeartbeatsWithoutProgressIsExpiredAndSaysWhy() throws {
        let job = try Self.job(maxAttempts: 10, extra: "stall_seconds: 1.5\n")
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=60")
        defer { _ = run.wait() }
        let (endpoint, credential, _) = try RoguePeer.waitForCoordinator(of: job)
        let sleeper = try RoguePeer(endpoint: endpoint, workerID: "sleeper", curve: credential.curveRole)
        guard case .welcome? = try sleeper.hello() else {
            Issue.record("the insider was not welcomed")
            return
        }
        let assign = try #require(try sleeper.nextAssignment())
        let beat = ProtocolMessage.heartbeat(
            ProtocolMessage.Heartbeat(shard: assign.shard, attempt: assign.attempt, imagesDone: 0))
        var expired: JournalRecord?
        let deadline = Date().addingTimeInterval(60) // a safety net only: before the fix it never expired
        while expired == nil && Date() < deadline {
            try sleeper.send(beat)
            usleep(50_000)
            expired = try job.journal().first {
                $0.event == .expired && $0.shard == assign.shard && $0.attempt == assign.attempt
            }
        }
        #expect(expired?.code == "lease.stalled", "\(String(describing: expired))")
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("worker sleeper made no progress"), "the reason is in the log: \(result.stdout)")
        let status = try TagoodProcess.run(["status", job.jobDirectory.path])
        #expect(status.stdout.contains("lease.stalled"), "and in status: \(status.stdout)")
        try job.expectExactlyOnce()
    }

    @Test func peerTextCannotForgeLinesAndStraysAreRateLimited() throws {
        let job = try Self.job()
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=60")
        defer { _ = run.wait() }
        let (endpoint, credential, _) = try RoguePeer.waitForCoordinator(of: job)
        let forger = try RoguePeer(endpoint: endpoint, workerID: "forger", curve: credential.curveRole)
        guard case .welcome? = try forger.hello() else {
            Issue.record("the insider was not welcomed")
            return
        }
        let assign = try #require(try forger.nextAssignment())
        let forged = "oops\nall 22 shards committed\u{1B}[2J" + String(repeating: "z", count: 900_000)
        try forger.send(
            .failed(ProtocolMessage.Failed(shard: assign.shard, attempt: assign.attempt, code: "x", message: forged)))
        let evil = try RoguePeer(endpoint: endpoint, workerID: "evil\n", curve: credential.curveRole)
        if case .welcome? = try evil.hello() { Issue.record("a worker id with a newline was welcomed") }
        for i in 0..<300 { try forger.sendRaw(Array("stray \(i)".utf8)) }
        try forger.send(.ready)
        while let reply = try forger.receive(within: 2000), case .refused = reply {} // every stray was handled
        let result = run.wait()
        #expect(result.status == 0, "\(result.stdout)")
        #expect(!result.stdout.contains("\u{1B}"), "no escape sequence reaches the terminal")
        #expect(
            !result.stdout.split(separator: "\n").contains { $0.hasPrefix("all 22 shards committed") },
            "no forged line")
        let refusals = result.stdout.split(separator: "\n").filter { $0.contains("refused worker") }.count
        #expect(refusals <= 25, "\(refusals) lines about strays")
        let journal = try FileBytes.read(job.jobDirectory.journalFile)
        let longest = journal.split(separator: UInt8(ascii: "\n")).map(\.count).max() ?? 0
        #expect(longest < 2000, "a journal line of \(longest) bytes")
        try job.expectExactlyOnce()
    }

    @Test func aSymlinkedShardsFolderIsRefusedAndWhatItPointsAtIsUntouched() throws {
        let job = try Self.job(images: 8)
        #expect(try job.launch().status == 0)
        let outside = try TemporaryDirectory(prefix: "tagood-outside")
        let far = job.jobDirectory.shardsFolder + "/far"
        try FileManager.default.moveItem(atPath: far, toPath: outside.path + "/far")
        try FileManager.default.createSymbolicLink(atPath: far, withDestinationPath: outside.path + "/far")
        try FileManager.default.removeItem(atPath: outside.path + "/far/shard-00000.h5") // to be redone
        try Data("someone else's".utf8).write(to: URL(fileURLWithPath: outside.path + "/far/x.h5.tmp-1-1"))
        let before = FileSystem.list(outside.path + "/far")
        let resumed = try job.resume()
        #expect(resumed.status != 0, "\(resumed.stdout)")
        #expect(
            (resumed.stdout + resumed.stderr).contains("\(far) is a symbolic link"),
            "\(resumed.stdout) \(resumed.stderr)")
        #expect(FileSystem.list(outside.path + "/far") == before, "nothing was deleted or written there")
    }

    @Test func theSealIsNeverWrittenThroughASymlink() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-seal-link")
        let victim = dir.path + "/victim"
        let original = [UInt8](repeating: 7, count: 4096)
        try AtomicFile.write(original, to: victim)
        #expect(symlink(victim, dir.path + "/shard.h5.tmp-a1-w") == 0)
        #expect(throws: ShardError.self) { try ShardSeal.seal(path: dir.path + "/shard.h5.tmp-a1-w", reportAs: "x") }
        #expect(try FileBytes.read(victim) == original, "the file the link points at is unchanged")
    }

    @Test func aClusterOrJobFileThatIsAFIFOIsRefusedAtOnce() throws {
        let job = try Self.job(images: 4)
        #expect(mkfifo(job.root + "/fifo.yaml", 0o644) == 0)
        for args in [
            ["launch", "job.yaml", "--cluster", "fifo.yaml"], ["launch", "fifo.yaml", "--cluster", "cluster.yaml"]
        ] {
            // The deadline is only a safety net: before the fix, reading the FIFO blocked forever.
            let result = try BackgroundTagood(args, cwd: job.root).wait(seconds: 60)
            #expect(result.status != 0 && result.stdout.contains("FIFO"), "\(args): \(result.stdout)")
        }
    }
}
