import Datasets
import Foundation
import Job
import TagoodSupport
import Testing

@testable import Transport

@Suite struct TransportTests {
    static let hello = ProtocolMessage.Hello(
        workerID: "node1:42", host: "node1", pid: 42, device: "cpu", pinned: [0, 1],
        threads: 2, modelHash: "abc", tagoodVersion: "0.1.0")

    @Test func everyMessageRoundTrips() throws {
        let shard = ShardID(dataset: "imagenet-val", index: 7)
        let messages: [ProtocolMessage] = [
            .hello(Self.hello), .welcome(ProtocolMessage.Welcome(jobID: "j", heartbeatSeconds: 1)),
            .refused(ProtocolMessage.Refused(reason: "r")),
            .ready,
            .assign(
                ProtocolMessage.Assign(
                    shard: shard, attempt: 2,
                    task: .extract(
                        ExtractTask(
                            role: .idVal, datasetHash: "d", root: "/r",
                            paths: ["a.JPEG"], labels: [3])))),
            .assign(
                ProtocolMessage.Assign(
                    shard: shard, attempt: 3,
                    task: .reduce(
                        ReduceTask(
                            role: .ood, datasetHash: "d",
                            range: ShardRange(index: 7, start: 70, count: 10),
                            checksum: "c")))),
            .idle(ProtocolMessage.Idle(seconds: 0.5)),
            .heartbeat(ProtocolMessage.Heartbeat(shard: shard, attempt: 2, imagesDone: 10)),
            .done(
                ProtocolMessage.Done(
                    shard: shard, attempt: 2, resultChecksum: "c", images: 1000, failedImages: 1, tokens: 9, seconds: 3)
            ),
            .failed(ProtocolMessage.Failed(shard: shard, attempt: 2, code: "image.corrupt", message: "m")),
            .shutdown(ProtocolMessage.Shutdown(reason: "done"))
        ]
        for message in messages {
            #expect(try ProtocolMessage(decoding: message.encoded()) == message, "\(message.type)")
        }
    }

    @Test func anotherVersionIsRefusedWithAClearError() {
        let frame = Array(#"{"v": 1, "type": "ready"}"#.utf8)
        #expect {
            try ProtocolMessage(decoding: frame)
        } throws: { error in
            let e = error as! TransportError
            return e.kind == .versionMismatch && e.description.contains("version 1")
                && e.description.contains("version 2")
        }
        #expect(throws: TransportError.self) { try ProtocolMessage(decoding: Array("garbage".utf8)) }
        #expect(throws: TransportError.self) {
            try ProtocolMessage(decoding: Array(#"{"v": 2, "type": "teleport"}"#.utf8))
        }
    }

    @Test func routerAndDealerTalkOverRealTCP() throws {
        let context = ZMQContext()
        let router = try ZMQSocket(context, .router)
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let dealer = try ZMQSocket(context, .dealer)
        try dealer.setIdentity(Array("worker-1".utf8))
        try dealer.connect(endpoint)

        try dealer.send([ProtocolMessage.hello(Self.hello).encoded()])
        let frames = try #require(try router.receive(timeoutMilliseconds: 5000))
        #expect(frames.count == 2)
        #expect(frames[0] == Array("worker-1".utf8))
        #expect(try ProtocolMessage(decoding: frames[1]) == .hello(Self.hello))

        try router.send([frames[0], ProtocolMessage.ready.encoded()])
        let reply = try #require(try dealer.receive(timeoutMilliseconds: 5000))
        #expect(try ProtocolMessage(decoding: reply[0]) == .ready)
        #expect(try dealer.receive(timeoutMilliseconds: 10) == nil)
    }

    @Test func aBusyPortIsAClearError() throws {
        let context = ZMQContext()
        let first = try ZMQSocket(context, .router)
        let endpoint = try first.bind("tcp://127.0.0.1:*")
        let second = try ZMQSocket(context, .router)
        #expect {
            try second.bind(endpoint)
        } throws: { error in
            let e = error as! TransportError
            return e.kind == .bind && e.description.contains(endpoint) && e.description.contains("another process")
        }
    }
}
