import Foundation

/// The path of the running executable (`/proc/self/exe`, else `argv[0]`): `tagood` starts its workers from
/// it, and `tagood-bench` finds the `tagood` built next to it.
public func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}
