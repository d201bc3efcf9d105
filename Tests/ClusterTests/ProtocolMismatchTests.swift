import Foundation
import Job
import TagoodTestSupport
import Testing
import Transport

@testable import Cluster
@testable import Coordination
@testable import Launch

/// A peer of another protocol version, or with another model, is refused with a clear error on both
/// sides: real `tagood` processes on one side, a raw ZeroMQ peer made by the test on the other.
@Suite(.serialized) struct ProtocolMismatchTests {
    static func frame(_ json: String) -> [UInt8] { Array(json.utf8) }

    @Test func theCoordinatorRefusesAnotherVersionAndAnotherModel() throws {
        let job = try ClusterFixture()
        let run = try job.launchInBackground(failpoints: "delay-per-image-ms=100")
        defer { _ = run.wait() }
        let deadline = Date().addingTimeInterval(30)
        var endpoint: String?
        while endpoint == nil && Date() < deadline {
            endpoint = CoordinatorInfo.read(path: job.jobDirectory.coordinatorFile)?.endpoint
            usleep(20_000)
        }
        // A peer with the job's credential (without it, nothing answers: TrustBoundaryTests).
        let credential = try WorkerCredential.load(path: job.jobDirectory.workerCredentialFile)
        let context = ZMQContext()
        let peer = try ZMQSocket(context, .dealer)
        try peer.setIdentity(Array("intruder".utf8))
        try peer.enableCurve(credential.curveRole)
        try peer.connect(try #require(endpoint))

        try peer.send([Self.frame(#"{"v": 99, "type": "hello", "body": {}}"#)])
        let versionReply = try #require(try peer.receive(timeoutMilliseconds: 10_000))
        guard case .refused(let refused) = try ProtocolMessage(decoding: versionReply[0]) else {
            Issue.record("expected refused"); return
        }
        #expect(
            refused.reason.contains("version 99") && refused.reason.contains("version \(ProtocolMessage.version)"),
            "\(refused.reason)")

        let hello = ProtocolMessage.Hello(
            workerID: "intruder", host: "test", pid: 1, device: "cpu", pinned: [0], threads: 1,
            modelHash: "another-model", tagoodVersion: "0.1.0")
        try peer.send([ProtocolMessage.hello(hello).encoded()])
        let modelReply = try #require(try peer.receive(timeoutMilliseconds: 10_000))
        guard case .refused(let wrongModel) = try ProtocolMessage(decoding: modelReply[0]) else {
            Issue.record("expected refused"); return
        }
        #expect(
            wrongModel.reason.contains("another-model") && wrongModel.reason.contains("decode-only"),
            "\(wrongModel.reason)")

        let result = run.wait()
        #expect(result.status == 0, "the job is not disturbed: \(result.stdout)")
        #expect(result.stdout.contains("refused worker intruder"))
        try job.expectExactlyOnce()
    }

    @Test func aWorkerRefusesACoordinatorOfAnotherVersion() throws {
        let job = try ClusterFixture()
        #expect(try job.launch().status == 0) // a job directory with its job.yaml
        let context = ZMQContext()
        let fake = try ZMQSocket(context, .router)
        try fake.enableCurve(.server(keys: try JobKeys.load(job.jobDirectory).coordinator))
        let endpoint = try fake.bind("tcp://127.0.0.1:*")
        let worker = try BackgroundTagood([
            "worker", "--connect", endpoint, "--cores", "\(CoreSet.available()[0])",
            "--job", job.jobDirectory.path, "--coordinator-timeout", "10"
        ])
        let hello = try #require(try fake.receive(timeoutMilliseconds: 20_000))
        guard case .hello = try ProtocolMessage(decoding: hello[1]) else { Issue.record("expected hello"); return }
        try fake.send([
            hello[0], Self.frame(#"{"v": 99, "type": "welcome", "body": {"jobID": "x", "heartbeatSeconds": 1}}"#)
        ])
        let result = worker.wait(seconds: 30)
        #expect(result.status == 2, "\(result.stdout)")
        #expect(
            result.stdout.contains("version 99") && result.stdout.contains("version \(ProtocolMessage.version)"),
            "\(result.stdout)")
    }
}
