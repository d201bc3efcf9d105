import CAffinity
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// A cluster file (`cluster.yaml`): where the work runs.
///
/// ```yaml
/// coordinator:
///   bind: 127.0.0.1          # address the coordinator's ROUTER socket binds (0.0.0.0 on a real cluster)
///   advertise: 127.0.0.1     # address workers connect to (default: the bind address)
///   port: 5555               # 0 picks a free port
/// launcher: local            # local, ssh, slurm (with `slurm:`) or none (prints the worker command)
/// heartbeat_seconds: 1.0     # a busy worker's heartbeat interval
/// liveness: 3                # missed heartbeats before its shard is re-queued
/// max_attempts: 3            # attempts before a shard is marked failed
/// shutdown_grace_seconds: 30 # how long running shards may finish after SIGINT/SIGTERM
/// max_workers: 4             # workers connected at once (default: twice the workers listed)
/// stall_seconds: 600         # a lease whose progress stopped this long is expired, heartbeats or not
/// overdue_factor: 10         # so is one running 10 × longer than the median attempt (and > stall_seconds)
/// worker_credential: {file: /home/me/.tagood/job.key}  # or {env: VAR}; default: the job's keys/worker.key
/// workers:
///   - {host: localhost, cores: "0", threads: 1}
///   - {host: localhost, cores: "1", threads: 1}
///   # - {host: gpu-node-1, gpu: 0, threads: 8}
/// ```
public struct ClusterSpec: Sendable, Equatable {
    public enum Launcher: String, Sendable, CaseIterable { case local, ssh, slurm, none }

    /// `ssh:`: how `launcher: ssh` reaches the hosts (the user's keys and `~/.ssh/config` apply).
    public struct SSH: Sendable, Equatable {
        /// The ssh client (`ssh`).
        public var command = "ssh"
        /// Options before the host, such as `[-F, /path/ssh_config]` or `[-p, "2222"]`.
        public var options: [String] = []
        /// The `tagood` executable on the hosts (default: this one's path, as on a shared file system).
        public var tagood: String?
    }

    /// `slurm:`: the Slurm job that `launcher: slurm` submits (one array task per worker).
    public struct Slurm: Sendable, Equatable {
        /// Worker tasks (default: the number of `workers` entries).
        public var tasks: Int
        public var partition: String?
        public var account: String?
        /// `--time`, such as `4:00:00`.
        public var time: String?
        public var cpusPerTask: Int
        public var gpusPerTask: Int
        /// More `#SBATCH` lines, verbatim (such as `--mem=32G`).
        public var extra: [String] = []
        /// The `tagood` executable on the nodes (default: this one's path).
        public var tagood: String?
        /// Replacement tasks submitted, in all, for tasks Slurm ended while work remains.
        public var maxReplacements: Int
    }

    /// Where one worker runs and what it is pinned to.
    public struct Worker: Sendable, Equatable {
        public enum Device: Sendable, Equatable {
            /// RAM on these CPU cores.
            case cores([Int])
            /// RAM on GPU `index`, its decode threads on `cores` when given.
            case gpu(Int, cores: [Int]?)
        }
        public var host: String
        public var device: Device
        public var threads: Int
    }

    public var bind: String
    public var advertise: String
    public var port: Int
    public var launcher: Launcher
    public var heartbeatSeconds: Double
    public var liveness: Int
    public var maxAttempts: Int
    public var shutdownGraceSeconds: Double
    public var workers: [Worker]
    /// How many workers may be connected at once; more are refused (bounds what one credential holder can hoard).
    public var maxWorkers: Int
    /// Where workers find their credential, when not in the job directory.
    public var workerCredential: CredentialSource?
    /// `launcher: ssh`'s settings.
    public var ssh = SSH()
    /// `launcher: slurm`'s settings (nil for the other launchers).
    public var slurm: Slurm?
    /// The file it was read from (named in errors found later, such as a busy port).
    public var file = "cluster.yaml"
    /// A lease whose images done have not grown for this long is expired, heartbeats or not.
    public var stallSeconds: Double = 600
    /// A lease running this many times longer than the median attempt (and longer than
    /// ``stallSeconds``) is expired.
    public var overdueFactor: Double = 10

    /// Where a worker reads the job's worker credential from (``WorkerCredential/resolve(file:environment:directory:)``).
    public enum CredentialSource: Sendable, Equatable {
        /// A file on the worker's node (0600).
        case file(String)
        /// An environment variable of the worker's process that holds the credential file's text.
        case environment(String)

        /// The `tagood worker` arguments that select it.
        public var workerArguments: [String] {
            switch self {
            case .file(let path): ["--credential", path]
            case .environment(let name): ["--credential-env", name]
            }
        }
    }

    /// How many workers the launcher starts: Slurm's tasks, else the `workers` entries.
    public var workerCount: Int { slurm?.tasks ?? workers.count }

    /// Whether the coordinator binds a loopback address only (the default, 127.0.0.1).
    public var bindsLoopbackOnly: Bool { bind == "127.0.0.1" || bind == "localhost" || bind == "::1" }

    /// The interfaces a non-loopback bind exposes, for the log line that says so: every IPv4 interface
    /// of this host and its address for `0.0.0.0`, else the one address bound.
    public var exposedInterfaces: String {
        guard bind == "0.0.0.0" || bind == "*" else { return "interface \(bind)" }
        var found: [String] = []
        var list: UnsafeMutablePointer<ifaddrs>?
        if getifaddrs(&list) == 0 {
            var cursor = list
            while let entry = cursor?.pointee {
                if let address = entry.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) {
                    var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    if getnameinfo(
                        address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0,
                        NI_NUMERICHOST) == 0
                    {
                        found.append("\(String(cString: entry.ifa_name)) \(String(cString: host))")
                    }
                }
                cursor = entry.ifa_next
            }
            freeifaddrs(list)
        }
        return "every interface of this host" + (found.isEmpty ? "" : ": " + found.joined(separator: ", "))
    }

    /// The endpoint workers connect to.
    public var connectEndpoint: String { "tcp://\(advertise):\(port)" }
    /// The endpoint the coordinator binds.
    public var bindEndpoint: String { "tcp://\(bind):\(port == 0 ? "*" : String(port))" }

    public static func load(path: String) throws(ConfigError) -> ClusterSpec {
        try parse(ConfigNode.readText(path, what: "cluster file"), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> ClusterSpec {
        let root = try ConfigNode.parse(text, file: file)
        let top = try root.mapping(allowed: [
            "coordinator", "launcher", "heartbeat_seconds", "liveness", "max_attempts",
            "shutdown_grace_seconds", "max_workers", "worker_credential", "ssh", "slurm", "workers",
            "stall_seconds", "overdue_factor"
        ])
        var bind = "127.0.0.1", advertise: String? = nil, port = 5555
        if let node = top.optional("coordinator") {
            let c = try node.mapping(allowed: ["bind", "advertise", "port"])
            if let b = c.optional("bind") { bind = try b.safeString(.word) }
            if let a = c.optional("advertise") { advertise = try a.safeString(.word) }
            if let p = c.optional("port") {
                port = try p.int()
                guard (0...65535).contains(port) else {
                    throw p.error("must be a TCP port (0 … 65535; 0 picks a free one)")
                }
            }
        }
        var launcher = Launcher.local
        if let node = top.optional("launcher") {
            guard let value = Launcher(rawValue: try node.string()) else {
                throw node.error("must be one of \(Launcher.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            launcher = value
        }
        func number(
            _ key: String, _ fallback: Double, in range: ClosedRange<Double>, why: String
        ) throws(ConfigError) -> Double {
            guard let node = top.optional(key) else { return fallback }
            let value = try node.double()
            guard value >= range.lowerBound else { throw node.error("must be at least \(range.lowerBound)") }
            guard value <= range.upperBound else { throw node.error("must be at most \(range.upperBound): \(why)") }
            return value
        }
        func count(_ key: String, _ fallback: Int, atMost limit: Int, why: String) throws(ConfigError) -> Int {
            guard let node = top.optional(key) else { return fallback }
            let value = try node.int()
            guard value >= 1 else { throw node.error("must be at least 1") }
            guard value <= limit else { throw node.error("must be at most \(limit): \(why)") }
            return value
        }
        let heartbeat = try number(
            "heartbeat_seconds", 1.0, in: 0.05...300,
            why: "a dead worker's shard waits liveness × heartbeat_seconds before it is re-queued")
        let grace = try number(
            "shutdown_grace_seconds", 30, in: 0...86_400, why: "a stop should not wait longer than a day")
        let liveness = try count(
            "liveness", 3, atMost: 100,
            why: "a dead worker's shard waits liveness × heartbeat_seconds before it is re-queued")
        let stall = try number(
            "stall_seconds", 600, in: 0.1...604_800,
            why: "a lease whose progress stopped for a week is not coming back")
        if stall < 2 * heartbeat, let node = top.optional("stall_seconds") {
            throw node.error(
                "must be at least twice heartbeat_seconds (\(heartbeat)): progress is reported with the heartbeats")
        }
        let overdue = try number(
            "overdue_factor", 10, in: 2...10_000, why: "an attempt 10,000 times slower than the median is lost")
        let maxAttempts = try count(
            "max_attempts", 3, atMost: 100, why: "a shard that fails 100 times will not succeed the 101st")

        var workers: [Worker] = []
        for node in try
            (launcher == .slurm ? top.optional("workers")?.sequence() ?? [] : top.required("workers").sequence())
        {
            let w = try node.mapping(allowed: ["host", "cores", "gpu", "threads"])
            let host = try w.optional("host")?.safeString(.host) ?? "localhost"
            var cores: [Int]?
            if let node = w.optional("cores") {
                let text = try node.node.map { $0.string ?? "" } ?? ""
                guard let list = CoreSet.parse(text) else {
                    throw node.error(
                        "'\(text)' is not a core list such as \"0-3\" or \"0,2,4-7\" (cores 0 to \(CoreSet.limit - 1), each once)"
                    )
                }
                if ClusterSpec.isLocal(host) {
                    let available = CoreSet.available()
                    if let missing = list.first(where: { !available.contains($0) }) {
                        throw node.error(
                            "core \(missing) is not available on \(host) (available: \(CoreSet.format(available)))")
                    }
                }
                cores = list
            }
            let device: Worker.Device
            if let gpu = w.optional("gpu") {
                let index = try gpu.int()
                guard index >= 0 else { throw gpu.error("must be a GPU index (0, 1, …)") }
                device = .gpu(index, cores: cores)
            } else if let cores {
                device = .cores(cores)
            } else {
                throw node.error(
                    "give 'cores' (e.g. \"0-3\"), or 'gpu' (e.g. 0) with, optionally, the 'cores' of its decode threads"
                )
            }
            var threads: Int
            if let t = w.optional("threads") {
                threads = try t.int()
                guard threads >= 1 else { throw t.error("must be at least 1") }
                if let list = cores, threads > 4 * list.count {
                    throw t.error(
                        "\(threads) threads on \(list.count) pinned core(s) oversubscribe them (OpenBLAS and the decode threads fight for the cores and run slower); use at most \(4 * list.count), usually \(list.count)"
                    )
                }
                guard threads <= 1024 else {
                    throw t.error("must be at most 1024: one worker does not use more threads than a machine has cores")
                }
            } else if let list = cores {
                threads = list.count
            } else {
                threads = 4
            }
            workers.append(Worker(host: host, device: device, threads: threads))
        }
        var sshSettings = SSH()
        if let node = top.optional("ssh") {
            let c = try node.mapping(allowed: ["command", "options", "tagood"])
            if let v = c.optional("command") { sshSettings.command = try v.safeString(.path) }
            if let v = c.optional("options") {
                sshSettings.options = try v.sequence().map { (n) throws(ConfigError) in try n.safeString(.line) }
            }
            if let v = c.optional("tagood") { sshSettings.tagood = try v.safeString(.path) }
        }
        var slurm: Slurm?
        if launcher == .slurm {
            slurm = try parseSlurm(top.optional("slurm"), workers: workers.count, root: root)
        } else if let node = top.optional("slurm") {
            throw node.error("is only read with 'launcher: slurm'")
        }
        guard !workers.isEmpty || slurm != nil else { throw root.error("'workers' lists no worker") }
        let workerCount = slurm?.tasks ?? workers.count
        var maxWorkers = 2 * workerCount
        if let node = top.optional("max_workers") {
            maxWorkers = try node.int()
            guard maxWorkers >= workerCount else {
                throw node.error("must be at least the \(workerCount) workers the launcher starts")
            }
            guard maxWorkers <= 100_000 else { throw node.error("must be at most 100000") }
        }
        var credential: CredentialSource?
        if let node = top.optional("worker_credential") {
            let c = try node.mapping(allowed: ["file", "env"])
            switch (c.optional("file"), c.optional("env")) {
            case (let file?, nil): credential = .file(try file.safeString(.path))
            case (nil, let env?): credential = .environment(try env.safeString(.environmentName))
            default:
                throw node.error(
                    "give either 'file' (a path on the worker nodes) or 'env' (an environment variable's name)")
            }
        }
        if launcher == .local, let remote = workers.first(where: { !isLocal($0.host) }) {
            throw root.error(
                "launcher 'local' can only start workers on this machine, but a worker's host is '\(remote.host)'; use launcher ssh or slurm"
            )
        }
        return ClusterSpec(
            bind: bind, advertise: advertise ?? (bind == "0.0.0.0" ? "127.0.0.1" : bind), port: port,
            launcher: launcher, heartbeatSeconds: heartbeat, liveness: liveness, maxAttempts: maxAttempts,
            shutdownGraceSeconds: grace, workers: workers, maxWorkers: maxWorkers, workerCredential: credential,
            ssh: sshSettings, slurm: slurm, file: file, stallSeconds: stall, overdueFactor: overdue)
    }

    /// `slurm:` of a cluster file with `launcher: slurm`.
    private static func parseSlurm(_ node: ConfigNode?, workers: Int, root: ConfigNode) throws(ConfigError) -> Slurm {
        var slurm = Slurm(tasks: max(workers, 1), cpusPerTask: 1, gpusPerTask: 0, maxReplacements: max(workers, 1))
        var tasksGiven = workers > 0
        if let node {
            let c = try node.mapping(allowed: [
                "tasks", "partition", "account", "time", "cpus_per_task", "gpus_per_task",
                "extra", "tagood", "max_replacements"
            ])
            func count(_ key: String, min: Int, max: Int) throws(ConfigError) -> Int? {
                guard let v = c.optional(key) else { return nil }
                let n = try v.int()
                guard n >= min, n <= max else { throw v.error("must be between \(min) and \(max)") }
                return n
            }
            if let n = try count("tasks", min: 1, max: 100_000) { slurm.tasks = n; tasksGiven = true }
            slurm.cpusPerTask = try count("cpus_per_task", min: 1, max: 4096) ?? 1
            slurm.gpusPerTask = try count("gpus_per_task", min: 0, max: 64) ?? 0
            slurm.maxReplacements = try count("max_replacements", min: 0, max: 100_000) ?? slurm.tasks
            slurm.partition = try c.optional("partition")?.safeString(.slurmNames)
            slurm.account = try c.optional("account")?.safeString(.slurmName)
            slurm.time = try c.optional("time")?.safeString(.slurmTime)
            slurm.tagood = try c.optional("tagood")?.safeString(.path)
            if let v = c.optional("extra") {
                slurm.extra = try v.sequence().map { (n) throws(ConfigError) in
                    let line = try n.safeString(.line)
                    guard line.hasPrefix("-") else { throw n.error("must be one sbatch option such as --mem=32G") }
                    return line
                }
            }
        }
        guard tasksGiven else { throw root.error("'launcher: slurm' needs 'slurm: {tasks: N}' (or a 'workers' list)") }
        return slurm
    }

    static func isLocal(_ host: String) -> Bool {
        host == "localhost" || host == "127.0.0.1" || host == "::1"
    }
}

/// What a value that goes into a generated script or command line may hold (``ConfigNode/safeString(_:)``).
enum SafeText {
    /// One line: no control character (a newline would start a line of its own in a generated script).
    case line
    /// One line that is not read as an option (no leading `-`): an executable or a file.
    case path
    /// One word that is not read as an option: no whitespace, control character or leading `-`.
    case word
    /// A host name for ssh: a ``word``.
    case host
    /// A Slurm partition or account name: letters, digits, `_`, `.`, `+`, `-`, not first.
    case slurmName
    /// ``slurmName``s separated by commas (Slurm's list of partitions).
    case slurmNames
    /// A Slurm time limit: digits separated by `:` or `-` (`4:00:00`, `1-12`), or `UNLIMITED`.
    case slurmTime
    /// An environment variable's name: a letter or `_`, then letters, digits and `_`.
    case environmentName

    /// Why `text` cannot be used, or nil when it can.
    func problem(_ text: String) -> String? {
        let scalars = text.unicodeScalars
        if scalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) }) {
            return "must be one line without control characters (it goes into a generated script or command line)"
        }
        func only(_ allowed: (Unicode.Scalar) -> Bool) -> Bool { scalars.allSatisfy(allowed) }
        func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
        }
        let leadingDash = "must not start with '-': it would be read as a command-line option"
        switch self {
        case .line:
            return nil
        case .path:
            return text.hasPrefix("-") ? leadingDash : nil
        case .word, .host:
            if scalars.contains(where: { $0.properties.isWhitespace }) {
                return "must be one word without spaces (it goes into a command line)"
            }
            if text.hasPrefix("-") {
                return self == .host
                    ? "must not start with '-': ssh would read the host as an option" : leadingDash
            }
            return nil
        case .slurmName, .slurmNames:
            let separator: Unicode.Scalar? = self == .slurmNames ? "," : nil
            let names = text.split(separator: ",", omittingEmptySubsequences: false)
            guard only({ isAlphanumeric($0) || "_.+-".unicodeScalars.contains($0) || $0 == separator }),
                names.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") })
            else {
                return "'\(text)' is not a Slurm name: use letters, digits, '_', '.', '+' and '-' (not first)"
                    + (self == .slurmNames ? ", several separated by commas" : "")
                    + "; nothing else can go into an #SBATCH line safely"
            }
            return nil
        case .slurmTime:
            if ["unlimited", "infinite"].contains(text.lowercased()) { return nil }
            let parts = text.split(omittingEmptySubsequences: false) { $0 == ":" || $0 == "-" }
            guard only({ ("0"..."9").contains($0) || $0 == ":" || $0 == "-" }), parts.allSatisfy({ !$0.isEmpty })
            else {
                return "'\(text)' is not a Slurm time limit such as 30, 4:00:00 or 1-12:00:00 (or UNLIMITED)"
            }
            return nil
        case .environmentName:
            guard let first = scalars.first, first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first),
                only({ isAlphanumeric($0) || $0 == "_" })
            else {
                return "'\(text)' is not an environment variable's name (a letter or '_', then letters, digits and '_')"
            }
            return nil
        }
    }
}

extension ConfigNode {
    /// A non-empty string that may go into a generated script or command line as `kind` says; else an
    /// error naming the key and the reason.
    func safeString(_ kind: SafeText) throws(ConfigError) -> String {
        let text = try string()
        if let problem = kind.problem(text) { throw error(problem) }
        return text
    }
}

/// CPU core lists such as `0-3,6`.
public enum CoreSet {
    /// Core numbers are below this: what a Linux `cpu_set_t` (`CPU_SETSIZE`) can pin.
    public static let limit = 1024

    /// Parses `0-3,6` into `[0, 1, 2, 3, 6]`; nil when malformed or a core is not below ``limit``
    /// (so `0-99999999` is refused at once instead of building a set of 10⁸ cores).
    public static func parse(_ text: String) -> [Int]? {
        var cores: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.trimmingCharacters(in: " ").split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2, let lo = Int(bounds[0]), lo >= 0 else { return nil }
            let hi = bounds.count == 2 ? Int(bounds[1]) : lo
            guard let hi, hi >= lo, hi < limit else { return nil }
            cores.append(contentsOf: lo...hi)
        }
        let unique = Array(Set(cores)).sorted()
        return unique.isEmpty || unique.count != cores.count ? nil : unique
    }

    /// `[0, 1, 2, 3, 6]` → `0-3,6`.
    public static func format(_ cores: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < cores.count {
            var j = i
            while j + 1 < cores.count && cores[j + 1] == cores[j] + 1 { j += 1 }
            parts.append(i == j ? "\(cores[i])" : "\(cores[i])-\(cores[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// The cores this process may run on.
    public static func available() -> [Int] {
        var buffer = [Int32](repeating: 0, count: 4096)
        let n = tagood_get_affinity(&buffer, 4096)
        return n > 0 ? buffer[0..<Int(min(n, 4096))].map(Int.init) : []
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
