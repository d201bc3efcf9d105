import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

/// OpenBLAS starts its thread server when the library loads, and each of its threads spins in
/// `sched_yield` for 2^`OPENBLAS_THREAD_TIMEOUT` cycles before it sleeps. tagood stops them first thing
/// (`BLAS.stopIdleThreads`), so a tagood process that does not multiply matrices does not burn cores
/// while it starts: here a reduce worker waiting for its coordinator, with the spin made long (2^30
/// cycles, about 0.3 s per thread on a 3 GHz core) and two spinning threads asked for.
@Suite struct IdleThreadsTests {
    @Test func anIdleTagoodDoesNotSpinOpenBLASThreads() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-idle")
        let worker = try BackgroundTagood.idleReduceWorker(
            jobDirectory: dir.path,
            environment: ["OPENBLAS_NUM_THREADS": "3", "OPENBLAS_THREAD_TIMEOUT": "30", "TAGOOD_NO_BLAS_REEXEC": "1"])
        defer { _ = worker.wait(seconds: 10) }
        usleep(1_200_000)
        let stat = try String(contentsOfFile: "/proc/\(worker.pid)/stat", encoding: .utf8)
        // Fields after the command name (which is in parentheses): state is the 3rd, utime the 14th, stime the 15th.
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = Double(Int(fields[11])! + Int(fields[12])!)
        let seconds = ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        // Two spinning threads would have used 0.6 s or more by now (one core each); starting up and
        // waiting on a socket takes a small fraction of that.
        #expect(seconds < 0.4, "the worker used \(seconds) s of CPU in its first 1.2 s")
    }
}
