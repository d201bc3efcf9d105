import Extract
import Foundation
import Job
import TagoodSupport
import Testing
import Transport

@testable import Cluster
@testable import Coordination

/// A peer made by the test with the project's own ZeroMQ wrapper, to attack a running `tagood launch`:
/// with no keys, with keys of its own, or with the job's worker credential (an insider).
final class RoguePeer {
    let context = ZMQContext()
    let socket: ZMQSocket
    let workerID: String

    init(endpoint: String, workerID: String, curve: CurveRole?) throws {
        self.workerID = workerID
        socket = try ZMQSocket(context, .dealer)
        try socket.setIdentity(Array(workerID.utf8))
        if let curve { try socket.enableCurve(curve) }
        // A peer whose handshake failed has no connection to queue on: a send would block forever.
        try socket.setSendTimeout(milliseconds: 1000)
        try socket.connect(endpoint)
    }

    /// Sends `message`; a peer without a connection (its handshake failed) cannot, and that is not an error.
    func send(_ message: ProtocolMessage) throws { try? socket.send([message.encoded()]) }

    func sendRaw(_ bytes: [UInt8]) throws { try? socket.send([bytes]) }

    /// The next message within `milliseconds`, or nil.
    func receive(within milliseconds: Int = 5000) throws -> ProtocolMessage? {
        guard let frames = try socket.receive(timeoutMilliseconds: milliseconds) else { return nil }
        return try ProtocolMessage(decoding: frames[0])
    }

    /// `hello` as a decode-only worker; returns the reply, if any came within `milliseconds`.
    func hello(within milliseconds: Int = 5000) throws -> ProtocolMessage? {
        try send(
            .hello(
                ProtocolMessage.Hello(
                    workerID: workerID, host: "rogue", pid: 1, device: "cpu", pinned: [0], threads: 1,
                    modelHash: DecodeOnlyProducer.modelHash, tagoodVersion: TagoodVersion.string)))
        return try receive(within: milliseconds)
    }

    /// `ready` until an assignment comes (idle replies are waited out), at most `seconds`.
    func nextAssignment(seconds: Double = 20) throws -> ProtocolMessage.Assign? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            try send(.ready)
            switch try receive() {
            case .assign(let assign)?: return assign
            case .idle?: usleep(50_000)
            default: return nil
            }
        }
        return nil
    }

    /// The endpoint of the job's running coordinator and its worker credential, once `launch` wrote them.
    static func waitForCoordinator(
        of job: ClusterFixture, seconds: Double = 30
    ) throws -> (endpoint: String, credential: WorkerCredential, pid: Int32) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let info = CoordinatorInfo.read(path: job.jobDirectory.coordinatorFile),
                let credential = try? WorkerCredential.load(path: job.jobDirectory.workerCredentialFile)
            {
                return (info.endpoint, credential, info.pid)
            }
            usleep(20_000)
        }
        throw CoordinatorHarness.HarnessError(
            "the coordinator of \(job.jobDirectory.path) did not start within \(seconds) s")
    }

    /// The resident memory of process `pid`, in bytes (VmRSS of /proc/PID/status).
    static func residentBytes(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kb * 1024
    }
}
