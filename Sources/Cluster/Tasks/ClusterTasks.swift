import Coordination
import Transport

/// The task kinds a coordinator can run, in one place: what `tagood worker` needs to be told to run
/// each kind. The coordinator side of a kind is its ``TaskSet`` (``ExtractionTasks``, ``ReduceTasks``);
/// the worker side is its ``AssignmentRunner`` (``ExtractionRunner``, ``ReduceRunner``).
public enum ClusterTasks {
    /// The `tagood worker` arguments that select the runner of `kind`.
    public static func workerArguments(for kind: TaskKind) -> [String] {
        switch kind {
        case .extract: []
        case .reduce: ["--reduce"]
        }
    }

    /// The flag a worker of `kind` is started with, for messages that tell a user how to start one.
    public static func hint(for kind: TaskKind) -> String {
        switch kind {
        case .extract: "without --reduce"
        case .reduce: "with --reduce"
        }
    }
}
