import Cluster
import Foundation
import Job
import Launch
import Reduce
import TagoodSupport
import TagoodTestSupport
import Testing
import Transport

/// `tagood reduce --cluster`: real coordinator and `tagood worker --reduce` processes on 127.0.0.1 build
/// the partials; the merged outputs are byte-identical to a local reduce of the same job.
@Suite(.serialized) struct ClusterReduceTests {
    /// A random job, a pristine copy of it, and a cluster file with two pinned one-thread workers.
    final class Fixture {
        let tmp: TemporaryDirectory
        let job: String
        let pristine: String
        var cluster: String { tmp.path + "/cluster.yaml" }
        var journal: String { job + "/reduce/journal.jsonl" }

        init(seed: UInt64) throws {
            let (tmp, job) = try JobBuilder.randomJob(seed: seed)
            self.tmp = tmp
            self.job = job
            pristine = tmp.path + "/pristine"
            try FileManager.default.copyItem(atPath: job, toPath: pristine)
            try ClusterFiles.twoWorkers(cores: CoreSet.available()).write(
                toFile: cluster, atomically: true, encoding: .utf8)
        }

        var arguments: [String] { ["reduce", job, "--cluster", cluster, "--knn-k", "5"] }

        /// The outputs of the distributed run, then of a local `tagood reduce` of the pristine copy put in
        /// the same place (so that outputs naming the job directory compare byte for byte too).
        func outputs() throws -> (cluster: [String: [UInt8]], local: [String: [UInt8]]) {
            try ReportBuilder(directory: JobDirectory(job)).write(to: JobDirectory(job))
            var distributed = try JobBuilder.outputs(job)
            distributed["reduce/journal.jsonl"] = nil
            try FileManager.default.moveItem(atPath: job, toPath: tmp.path + "/distributed")
            try FileManager.default.copyItem(atPath: pristine, toPath: job)
            let local = try TagoodProcess.run(["reduce", job, "--knn-k", "5"])
            #expect(local.status == 0, "\(local.stdout)\n\(local.stderr)")
            try ReportBuilder(directory: JobDirectory(job)).write(to: JobDirectory(job))
            return (distributed, try JobBuilder.outputs(job))
        }

        func records() throws -> [JournalRecord] { try Journal.read(path: journal) }

        func waitForRecord(seconds: Double = 60, _ predicate: (JournalRecord) -> Bool) throws -> JournalRecord? {
            ClusterFiles.waitForRecord(in: journal, seconds: seconds, predicate)
        }
    }

    static func expectSame(
        _ outputs: (cluster: [String: [UInt8]], local: [String: [UInt8]]),
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(Set(outputs.cluster.keys) == Set(outputs.local.keys), sourceLocation: sourceLocation)
        #expect(
            outputs.local.keys.contains("report/report.json")
                && outputs.local.keys.contains("reduce/scores-ood-a.json"),
            sourceLocation: sourceLocation)
        for (name, bytes) in outputs.local.sorted(by: { $0.key < $1.key }) {
            let other = outputs.cluster[name] ?? []
            let same = other == bytes
            let at =
                zip(other, bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(other.count, bytes.count)
            let theirs = String(decoding: other.dropFirst(max(0, at - 60)).prefix(120), as: UTF8.self)
            let ours = String(decoding: bytes.dropFirst(max(0, at - 60)).prefix(120), as: UTF8.self)
            #expect(
                same, "\(name) differs between the cluster and the local reduce at byte \(at): \(theirs) vs \(ours)",
                sourceLocation: sourceLocation)
        }
    }

    @Test func aDistributedReduceIsByteIdenticalToALocalOne() throws {
        let f = try Fixture(seed: 17)
        let result = try TagoodProcess.run(f.arguments)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("15 shards read"), "\(result.stdout)")
        let records = try f.records()
        #expect(records.filter { $0.event == .committed }.count == 15)
        #expect(
            Set(records.filter { $0.event == .assigned }.compactMap(\.worker)).count == 2, "both workers took partials")
        Self.expectSame(try f.outputs())

        // A second distributed run has nothing to build and starts no worker.
        let again = try TagoodProcess.run([
            "reduce", f.tmp.path + "/distributed", "--cluster", f.cluster, "--knn-k", "5"
        ])
        #expect(again.status == 0 && again.stdout.contains("0 shards read"), "\(again.stdout)\n\(again.stderr)")
    }

    @Test func aReduceWorkerKilledMidTaskIsReplacedAndTheResultIsTheSame() throws {
        let f = try Fixture(seed: 19)
        let run = try BackgroundTagood(f.arguments, environment: ["TAGOOD_FAILPOINTS": "delay-per-shard-ms=800"])
        let first = try #require(try f.waitForRecord { $0.event == .assigned })
        let victim = try #require(first.worker.flatMap { $0.split(separator: ":").last }.flatMap { Int32($0) })
        kill(victim, SIGKILL)
        let result = run.wait(seconds: 120)
        #expect(result.status == 0, "\(result.stdout)")
        let records = try f.records()
        #expect(ClusterFiles.wasRedoneOnce(first, in: records))
        #expect(records.filter { $0.event == .committed }.count == 15)
        Self.expectSame(try f.outputs())
    }

    /// `max_workers` holds for `reduce --cluster` as for `launch`: with `max_workers: 1` and one reduce worker
    /// connected (it holds a lease), a second real `tagood worker --reduce` with the job's credential is refused
    /// and takes no task. `launcher: none`, so that the test starts the workers and knows which is which.
    @Test func aReduceCoordinatorRefusesWorkersBeyondMaxWorkers() throws {
        let f = try Fixture(seed: 23)
        let core = CoreSet.available()[0]
        // A long heartbeat: the worker that holds the one place is heard from well within a lease however
        // slow the machine is, so the refusal cannot come from it being forgotten.
        try """
        coordinator: {bind: 127.0.0.1, port: 0}
        launcher: none
        heartbeat_seconds: 2
        liveness: 4
        shutdown_grace_seconds: 1
        max_workers: 1
        workers:
          - {cores: "\(core)", threads: 1}
        """.write(toFile: f.cluster, atomically: true, encoding: .utf8)
        let reduce = try BackgroundTagood(f.arguments, outputFile: f.tmp.path + "/reduce.log")
        defer { if reduce.process.isRunning { kill(reduce.pid, SIGKILL) } } // never left behind, even on a failure
        let endpoint = try #require(Self.waitForEndpoint(reduce), "\(reduce.outputSoFar)")
        func worker(_ environment: [String: String] = [:]) throws -> BackgroundTagood {
            try BackgroundTagood(
                [
                    "worker", "--reduce", "--connect", endpoint, "--job", f.job, "--cores", "\(core)",
                    "--threads", "1"
                ], environment: environment)
        }

        // The first worker takes a task and holds it (its shard waits on a failpoint until it is killed).
        let first = try worker(["TAGOOD_FAILPOINTS": "delay-per-shard-ms=600000"])
        defer { if first.process.isRunning { kill(first.pid, SIGKILL) } }
        let firstID = try #require(try f.waitForRecord { $0.event == .assigned }?.worker, "\(reduce.outputSoFar)")
        #expect(firstID.hasSuffix(":\(first.pid)"))

        // A second credential holder: refused at hello. Without the limit it would take tasks: stop waiting then.
        let second = try worker()
        let deadline = Date().addingTimeInterval(120)
        while second.process.isRunning && Date() < deadline
            && !((try? f.records()) ?? []).contains(where: { $0.event == .assigned && $0.worker != firstID })
        {
            usleep(20_000)
        }
        if second.process.isRunning { kill(second.pid, SIGKILL) } // a worker blocks SIGTERM while it waits
        let refused = second.wait(seconds: 60)
        #expect(refused.status == 2, "\(refused.stdout)")
        #expect(
            refused.stdout.contains("at most 1 workers at once") && refused.stdout.contains("max_workers"),
            "\(refused.stdout)")
        let records = try f.records()
        #expect(!records.contains { $0.worker?.hasSuffix(":\(second.pid)") == true }, "\(records)")

        kill(reduce.pid, SIGINT)
        kill(first.pid, SIGKILL)
        let interrupted = reduce.wait(seconds: 60)
        #expect(interrupted.status != 0 && interrupted.stdout.contains("interrupted"), "\(interrupted.stdout)")
    }

    /// The coordinator's endpoint, from the log of a `reduce --cluster` (`coordinator on tcp://…`), once it
    /// is there; nil if the process ends first or after a minute.
    static func waitForEndpoint(_ run: BackgroundTagood) -> String? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let log = run.outputSoFar
            if let start = log.range(of: "coordinator on tcp://")?.upperBound {
                let address = log[start...].prefix { !$0.isWhitespace && $0 != ";" }
                if log[start...].dropFirst(address.count).hasPrefix(";") { return "tcp://" + address }
            }
            guard run.process.isRunning else { return nil }
            usleep(20_000)
        }
        return nil
    }
}
