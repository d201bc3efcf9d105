import Foundation
import TagoodSupport
import Testing

@testable import Learning
@testable import Model

/// The authors' `checkpoint_<epoch>.pth` (issue 27, part 3): written as a torch.save zip, read back by
/// tagood's own `.pth` reader (`StateDict.load`, `TorchCheckpoint`), exactly, and usable as `--init-from`.
/// That PyTorch and the authors' inference script load it is checked by `tools/authors_checkpoint_check.py`.
@Suite struct AuthorsCheckpointTests {
    static func trainedStep() -> TrainingStep<Float> {
        var config = ProjectorTests.config
        config.dropout = 0.1
        let projector = Projector<Float>(config: config)
        projector.parameters.initialise(config: config, seed: 4)
        let centers = ClassCenters<Float>(classes: 3, width: 8)
        centers.initialise(seed: 2)
        let step = TrainingStep(
            projector: projector, centers: centers, optimiser: AdamW(),
            schedule: CosineSchedule(baseLR: 0.01, totalSteps: 7))
        for i in 0..<2 {
            step.run(
                ProjectorTests.batch([2, 4, 1], labels: [1, 2, 0], seed: 3 + UInt64(i), as: Float.self),
                dropout: .init(seed: 1, step: UInt64(i)))
        }
        return step
    }

    @Test func anEpochCheckpointReadsBackExactlyThroughTheTorchReader() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-pth")
        let step = Self.trainedStep()
        let path = dir.path + "/checkpoint_0.pth"
        try AuthorsCheckpoint.write(AuthorsCheckpoint.epoch(step, options: TrainingOptions()), to: path)

        // The zip: torch.save's members, stored, every storage 64-byte aligned, every CRC right.
        let file = try MappedFile(path: path)
        let zip = try ZipArchive(file)
        let names = Set(zip.members.map(\.name))
        for name in ["archive/data.pkl", "archive/byteorder", "archive/version", "archive/data/0"] {
            #expect(names.contains(name))
        }
        for m in zip.members where m.name.hasPrefix("archive/data/") { #expect(m.dataOffset % 64 == 0) }
        #expect(zip.members.allSatisfy { $0.method == 0 })

        let stateDict = try StateDict.load(path: path)
        #expect(stateDict.format == .pytorch)
        // Every projector tensor under the authors' name, bit for bit; the centers as `ema`.
        for e in step.projector.parameters.entries {
            let stored = try #require(stateDict.tensors[e.name])
            #expect(stored.shape == e.shape)
            let expected = Array(
                UnsafeBufferPointer(start: step.projector.parameters.storage.pointer + e.offset, count: e.count))
            #expect(try stored.floats(name: e.name) == expected)
        }
        #expect(stateDict.tensors["ema"]?.shape == [3, 4, 2])
        #expect(try stateDict.tensors["ema"]?.floats(name: "ema") == step.centers.values.values)
        // The optimizer's and scheduler's dicts are not tensors of the projector.
        #expect(stateDict.tensors.count == step.projector.parameters.entries.count + 1)

        // --init-from: the shape inferred, the weights and the centers loaded.
        let config = try ProjectorConfig.inferred(from: stateDict, heads: 2)
        #expect(config.classes == 3 && config.width == 8 && config.layers == 2)
        let copy = Projector<Float>(config: config)
        try copy.parameters.load(from: stateDict)
        #expect(copy.parameters.storage.values == step.projector.parameters.storage.values)
        let centers = ClassCenters<Float>(classes: 3, width: 8)
        try TrainingCheckpoint.loadCenters(stateDict, into: centers)
        #expect(centers.values.values == step.centers.values.values)
    }

    @Test func theInitialCheckpointHoldsOnlyTheProjector() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-pth")
        let step = Self.trainedStep()
        let path = dir.path + "/checkpoint_init.pth"
        try AuthorsCheckpoint.write(AuthorsCheckpoint.initial(step.projector.parameters), to: path)
        let stateDict = try StateDict.load(path: path)
        #expect(Set(stateDict.tensors.keys) == Set(step.projector.parameters.entries.map(\.name)))
        #expect(!FileSystem.list(dir.path).contains { AtomicFile.isTemporary($0) })
    }

    @Test func aDamagedCheckpointIsRefusedNamingTheFile() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-pth")
        let path = dir.path + "/checkpoint_3.pth"
        var bytes = TorchSave.encode(AuthorsCheckpoint.initial(Self.trainedStep().projector.parameters))
        bytes.removeLast(30) // a truncated copy: no end-of-central-directory record
        try AtomicFile.write(bytes, to: path)
        #expect {
            try StateDict.load(path: path)
        } throws: { error in
            "\(error)".contains(path)
        }
    }
}
