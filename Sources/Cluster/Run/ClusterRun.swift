import Job
import Logging
import TagoodSupport
import Transport

#if canImport(Glibc)
import Glibc
import Coordination
import Launch
#endif

/// The one run sequence of every coordinated job, whatever its task kind: build the coordinator on a
/// bound socket, say where it is, start the workers, coordinate until the run is over, stop the workers,
/// clean up what abandoned attempts left. `tagood launch` / `resume` (``JobRunner``) and
/// `tagood reduce --cluster` (``ClusterPartialsBuilder``) call it after their own preparation.
public struct ClusterRun {
    public var cluster: ClusterSpec
    public var directory: JobDirectory
    /// The `tagood` executable workers are started from.
    public var executable: String
    /// Extra environment for worker processes.
    public var environment: [String: String]
    public var logger: Logger

    public init(
        cluster: ClusterSpec, directory: JobDirectory, executable: String, environment: [String: String] = [:],
        logger: Logger
    ) {
        self.cluster = cluster
        self.directory = directory
        self.executable = executable
        self.environment = environment
        self.logger = logger
    }

    /// What the run reports as it goes.
    public struct Observer {
        /// Every coordinator event.
        public var onEvent: (CoordinatorEvent) -> Void = { _ in }
        /// About four times a second: the state and the running attempts' progress.
        public var onTick: (JobState, [ShardID: Int]) -> Void = { _, _ in }
        public init(
            onEvent: @escaping (CoordinatorEvent) -> Void = { _ in },
            onTick: @escaping (JobState, [ShardID: Int]) -> Void = { _, _ in }
        ) {
            self.onEvent = onEvent
            self.onTick = onTick
        }
    }

    /// Runs `coordinator`'s tasks on the cluster's workers (`tagood worker` with the task kind's
    /// arguments and `workerArguments`), writing `coordinatorFile` when given. Returns how the run ended.
    public func run(
        _ coordinator: Coordinator, on bound: BoundSocket, workerArguments: [String] = [],
        coordinatorFile: String? = nil, observer: Observer = Observer()
    ) throws -> Coordinator.Outcome {
        try FileSystem.makeDirectories(directory.logsFolder)
        if let coordinatorFile {
            try CoordinatorInfo(
                endpoint: bound.endpoint, pid: getpid(), host: ProcessIdentity.hostname,
                started: SystemTime().wall()
            ).write(to: coordinatorFile)
        }
        let launcher = cluster.makeLauncher(
            WorkerLaunch(
                endpoint: bound.endpoint, directory: directory, executable: executable,
                extraArguments: ClusterTasks.workerArguments(for: coordinator.tasks.kind) + workerArguments,
                environment: environment,
                maxRestarts: cluster.maxAttempts * max(1, coordinator.tasks.order.count) + cluster.workers.count),
            logger: logger)
        try launcher.startAll()
        logger.info("coordinator on \(bound.endpoint); \(launcher.summary) (logs in \(directory.logsFolder))")

        coordinator.onEvent = observer.onEvent
        let server = CoordinatorServer(coordinator: coordinator, socket: bound.socket)
        // The launcher's error (no worker can be kept running) ends the run at once, as a second Ctrl-C
        // would (the journal stays consistent, so a resume continues), and is then thrown.
        var launchFailure: (any Error)?
        server.onTick = { state, running in
            // Never restart a worker while stopping: it exited because it was told to.
            do {
                try launcher.maintain(
                    needWorkers: !coordinator.isStopping && (!state.pending.isEmpty || !state.running.isEmpty))
            } catch {
                if launchFailure == nil {
                    launchFailure = error
                    coordinator.requestStop(immediately: true)
                }
            }
            observer.onTick(state, running)
        }
        let outcome: Coordinator.Outcome
        do {
            outcome = try server.run()
        } catch {
            launcher.stopAll(graceSeconds: 2)
            throw error
        }
        launcher.stopAll(graceSeconds: launchFailure == nil ? 5 : 2)
        coordinator.tasks.removeLeftovers() // our workers have exited: nothing can still be writing
        if let launchFailure { throw launchFailure }
        if bound.authenticator.refused > 0 {
            logger.notice(
                "refused \(bound.authenticator.refused) connection attempts by peers without the job's worker key")
        }
        if bound.connections.dropped > 0 {
            logger.notice(
                "shut down \(bound.connections.dropped) connections beyond the limit of \(bound.connectionLimit) open at once (idle or unauthenticated peers)"
            )
        }
        return outcome
    }
}
