import Foundation
import TagoodSupport
import TagoodTestSupport

@testable import Cluster
@testable import Launch

/// Hosts for a test, each a network namespace (`ip netns`, iproute2): a coordinator namespace joined to
/// every worker namespace by its own veth pair on 10.77.<i>.0/24 (the coordinator is 10.77.<i>.1, worker
/// i is 10.77.<i>.2). The file system is shared, as on a cluster with a shared job directory. Links go
/// down and up on demand; everything is deleted when released. All traffic stays inside the namespaces.
final class NetworkNamespaces {
    let coordinator: String
    let workers: [String]
    private let tag: String

    /// Whether this machine lets the test create a namespace (root, and no seccomp/userns rule against it).
    static let available: Bool = {
        let name = "tgprobe\(getpid() % 100_000)"
        defer { _ = try? ip(["netns", "del", name]) }
        return (try? ip(["netns", "add", name]))?.status == 0
    }()

    init(workers count: Int) throws {
        let tag = "tg\(getpid() % 10_000)"
        self.tag = tag
        coordinator = tag + "c"
        workers = (1...count).map { "\(tag)w\($0)" }
        try Self.must(["netns", "add", coordinator])
        try Self.must(["-n", coordinator, "link", "set", "lo", "up"])
        for (i, ns) in workers.enumerated() {
            let (c, w) = ("\(tag)c\(i + 1)", "\(tag)w\(i + 1)v")
            try Self.must(["netns", "add", ns])
            try Self.must(["link", "add", c, "type", "veth", "peer", "name", w])
            try Self.must(["link", "set", c, "netns", coordinator])
            try Self.must(["link", "set", w, "netns", ns])
            try Self.must(["-n", coordinator, "addr", "add", "10.77.\(i + 1).1/24", "dev", c])
            try Self.must(["-n", ns, "addr", "add", "10.77.\(i + 1).2/24", "dev", w])
            try Self.must(["-n", coordinator, "link", "set", c, "up"])
            try Self.must(["-n", ns, "link", "set", w, "up"])
            try Self.must(["-n", ns, "link", "set", "lo", "up"])
        }
    }

    deinit {
        for ns in workers + [coordinator] { _ = try? Self.ip(["netns", "del", ns]) }
    }

    /// The coordinator's address as worker `i` (0-based) reaches it.
    func coordinatorAddress(forWorker i: Int) -> String { "10.77.\(i + 1).1" }

    /// Starts `tagood args…` inside namespace `ns`, its output appended to `log`.
    func tagood(
        in ns: String, _ args: [String], log: String, environment: [String: String] = [:]
    ) throws -> ChildProcess {
        try ChildProcess(
            executable: "/usr/sbin/ip", arguments: ["netns", "exec", ns, TagoodProcess.executable] + args,
            environment: environment, logFile: log)
    }

    /// Brings worker `i`'s link down or up (on the worker's side), as a cable pulled or a switch port lost.
    func setWorkerLink(_ i: Int, up: Bool) throws {
        try Self.must(["-n", workers[i], "link", "set", "\(tag)w\(i + 1)v", up ? "up" : "down"])
        if up { try Self.must(["-n", workers[i], "addr", "replace", "10.77.\(i + 1).2/24", "dev", "\(tag)w\(i + 1)v"]) }
    }

    /// Cuts (or restores) every link of the coordinator: a partition of the coordinator from all workers.
    func setCoordinatorLinks(up: Bool) throws {
        for i in workers.indices {
            try Self.must(["-n", coordinator, "link", "set", "\(tag)c\(i + 1)", up ? "up" : "down"])
            if up {
                try Self.must(["-n", coordinator, "addr", "replace", "10.77.\(i + 1).1/24", "dev", "\(tag)c\(i + 1)"])
            }
        }
    }

    @discardableResult
    static func ip(_ args: [String]) throws -> TagoodProcess.Result {
        try TagoodProcess.runProgram("/usr/sbin/ip", args)
    }

    private static func must(_ args: [String]) throws {
        let result = try ip(args)
        guard result.status == 0 else {
            throw CoordinatorHarness.HarnessError(
                "ip \(args.joined(separator: " ")) failed: \(result.stdout)\(result.stderr)")
        }
    }
}
