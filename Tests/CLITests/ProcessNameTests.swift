import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

/// After OpenBLAS's re-exec (tagood re-runs itself with better kernels on CPUs Debian's OpenBLAS does not
/// know), the process keeps its name, so `pgrep tagood`, `ps -C tagood` and `pkill tagood` find it.
@Suite struct ProcessNameTests {
    @Test func theReexecutedProcessIsStillNamedTagood() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-name")
        // A reduce worker with no coordinator waits `--coordinator-timeout` seconds: time to look at it.
        let worker = try BackgroundTagood.idleReduceWorker(
            jobDirectory: dir.path,
            environment: ["TAGOOD_FAILPOINTS": "force-blas-reexec=1"])
        var name = ""
        var reexecuted = false
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            name = ((try? String(contentsOfFile: "/proc/\(worker.pid)/comm", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let environment = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(worker.pid)/environ"))) ?? Data()
            reexecuted = String(decoding: environment, as: UTF8.self).contains("TAGOOD_NO_BLAS_REEXEC=1")
            if reexecuted { break }
            usleep(20_000)
        }
        #expect(reexecuted, "the failpoint made it re-execute")
        #expect(name == "tagood", "the process is named \(name)")
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        pgrep.arguments = ["-x", "tagood"]
        let out = Pipe()
        pgrep.standardOutput = out
        try pgrep.run()
        pgrep.waitUntilExit()
        let pids = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(
            separator: "\n")
        #expect(pids.contains(Substring("\(worker.pid)")), "pgrep -x tagood finds it: \(pids)")
        _ = worker.wait(seconds: 20)
    }
}
