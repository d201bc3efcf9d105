import Foundation
import Glibc

extension BackgroundTagood {
    /// Waits for the process to end, and kills it with SIGKILL at a safety deadline (never a measured
    /// threshold: a passing run ends long before). SIGKILL, not SIGTERM: tagood handles SIGTERM, and a
    /// process blocked in `open(2)` on a FIFO never gets to act on it, so `wait(seconds:)` would hang.
    public func waitOrKill(safetyDeadline seconds: Double) -> TagoodProcess.Result {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        return wait()
    }
}
