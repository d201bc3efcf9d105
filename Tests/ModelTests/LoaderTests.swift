import Foundation
import TagoodSupport
import Tensor
import Testing

@testable import Model

@Suite struct LoaderTests {
    let config = RAMConfig.testTiny

    func reference() throws -> RAMWeights {
        try RAMWeights(config: config, stateDict: StateDict.load(path: Fixtures.path("test_tiny.safetensors")))
    }

    func expectEqual(_ a: RAMWeights, _ b: RAMWeights, transform: (Float) -> Float = { $0 }) {
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for (name, t) in a.tensors {
            let want = b.tensors[name]!.scalars.map(transform)
            #expect(t.scalars == want, "\(name)")
        }
    }

    static func bf16(_ v: Float) -> Float { Float(bitPattern: UInt32(Safetensors.bfloat16Bits(v)) << 16) }

    @Test func safetensorsHalfAndBFloat16() throws {
        let f32 = try reference()
        let f16 = try RAMWeights(
            config: config, stateDict: StateDict.load(path: Fixtures.path("test_tiny-f16.safetensors")))
        expectEqual(f16, f32) { Float(Float16($0)) }
        let bf = try RAMWeights(
            config: config, stateDict: StateDict.load(path: Fixtures.path("test_tiny-bf16.safetensors")))
        expectEqual(bf, f32, transform: LoaderTests.bf16)
    }

    @Test func pytorchCheckpointWrittenByTorchSave() throws {
        let sd = try StateDict.load(path: Fixtures.path("test_tiny-plain.pth"))
        #expect(sd.format == .pytorch)
        #expect(sd.tensors["visual_encoder.layers.0.blocks.0.attn.relative_position_index"]?.dtype == .i64)
        #expect(sd.tensors["visual_encoder.layers.0.blocks.1.attn_mask"] != nil)
        let weights = try RAMWeights(config: config, stateDict: sd) // checks the derived buffers too
        expectEqual(weights, try reference())
    }

    @Test func wrappedHalfPrecisionPytorchCheckpoint() throws {
        let sd = try StateDict.load(path: Fixtures.path("test_tiny-wrapped-f16.pth"))
        #expect(sd.tensors["fc.weight"]?.strides == [1, 3]) // a strided view with a storage offset
        #expect(sd.tensors["text_decoder.bert.embeddings.word_embeddings.weight"] != nil)
        let weights = try RAMWeights(config: config, stateDict: sd)
        expectEqual(weights, try reference()) { Float(Float16($0)) }
        // The whole model loads and runs from it, close to the f32 reference outputs.
        let model = try RAMModel.load(path: Fixtures.path("test_tiny-wrapped-f16.pth"), config: config)
        let io = try Fixtures.tensors("test_tiny-io.safetensors")
        let out = try model.forward(images: io["images"]!)
        #expect(out.probabilities.maxAbsoluteDifference(io["probs"]!) < 5e-3)
    }

    /// Writes the tiny weights with one change, and returns the error that loading gives.
    func loadError(_ change: (inout [Safetensors.Entry]) -> Void) throws -> ModelError? {
        let dir = try TemporaryDirectory()
        var entries = try reference().tensors.map { Safetensors.Entry(name: $0.key, tensor: $0.value) }
        change(&entries)
        let path = dir.path + "/m.safetensors"
        try Safetensors.write(entries, to: path)
        do {
            _ = try RAMModel.load(path: path, config: config)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingTensorNamesItAndItsShape() throws {
        let error = try loadError {
            $0.removeAll { $0.name == "tagging_head.encoder.layer.1.crossattention.self.key.weight" }
        }
        #expect(error?.code == "model.missing-tensor")
        let text = "\(error!)"
        #expect(
            text.contains("tagging_head.encoder.layer.1.crossattention.self.key.weight") && text.contains("[16, 12]"))
    }

    @Test func wrongShapeNamesExpectedAndFound() throws {
        let error = try loadError { entries in
            let i = entries.firstIndex { $0.name == "visual_encoder.layers.1.blocks.0.mlp.fc1.weight" }!
            entries[i].tensor = Tensor(shape: [64, 8])
        }
        #expect(error?.code == "model.shape")
        let text = "\(error!)"
        #expect(
            text.contains("visual_encoder.layers.1.blocks.0.mlp.fc1.weight") && text.contains("[64, 8]")
                && text.contains("[64, 16]"))
    }

    @Test func safetensorsWhoseHeaderLengthLooksLikeAPickleStillLoads() throws {
        // The low byte of the header length can be 0x80, the legacy-pickle magic: it must not be misread.
        let dir = try TemporaryDirectory()
        let entries = try reference().tensors.map { Safetensors.Entry(name: $0.key, tensor: $0.value) }
        for pad in 0..<512 {
            let bytes = Safetensors.encode(entries, metadata: ["pad": String(repeating: "x", count: pad)])
            guard bytes[0] == 0x80 else { continue }
            try AtomicFile.write(bytes, to: dir.path + "/m.safetensors")
            let sd = try StateDict.load(path: dir.path + "/m.safetensors")
            #expect(sd.metadata["pad"]?.count == pad)
            return
        }
        Issue.record("no padding gave a header length ending in 0x80")
    }

    @Test func biasTableForAnotherWindowIsAWindowError() throws {
        let error = try loadError { entries in
            let i = entries.firstIndex {
                $0.name == "visual_encoder.layers.0.blocks.1.attn.relative_position_bias_table"
            }!
            entries[i].tensor = Tensor(shape: [169, 2]) // window 7
        }
        #expect(error?.code == "model.window", "\(String(describing: error))")
        #expect("\(error!)".contains("window 7") && "\(error!)".contains("[49, 2]"))
    }

    @Test func integerTensorIsADTypeError() throws {
        // A safetensors file whose fc.bias is I64: hand-written header.
        let dir = try TemporaryDirectory()
        var entries = try reference().tensors.filter { $0.key != "fc.bias" }.map {
            Safetensors.Entry(name: $0.key, tensor: $0.value)
        }
        entries.sort { $0.name < $1.name }
        var bytes = Safetensors.encode(entries)
        let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.1) << (8 * UInt64($1.0)) })
        var header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        let dataBytes = bytes.count - 8 - headerLength
        header.removeLast()
        header += #","fc.bias":{"dtype":"I64","shape":[1],"data_offsets":[\#(dataBytes),\#(dataBytes + 8)]}}"#
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out += Array(header.utf8) + bytes[(8 + headerLength)...] + [UInt8](repeating: 0, count: 8)
        bytes = out
        let path = dir.path + "/int.safetensors"
        try AtomicFile.write(bytes, to: path)
        #expect {
            try RAMModel.load(path: path, config: config)
        } throws: { error in
            (error as? ModelError)?.code == "model.dtype" && "\(error)".contains("fc.bias")
                && "\(error)".contains("I64")
        }
    }

    @Test func corruptFilesAreMalformedNotCrashes() throws {
        let dir = try TemporaryDirectory()
        let good = try FileBytes.read(Fixtures.path("test_tiny-plain.pth"))
        let st = try FileBytes.read(Fixtures.path("test_tiny.safetensors"))
        let cases: [(String, [UInt8])] = [
            ("truncated.pth", Array(good.prefix(good.count / 2))),
            ("truncated.safetensors", Array(st.prefix(st.count - 100))),
            ("header.safetensors", [200, 0, 0, 0, 0, 0, 0, 0] + Array("{\"a\":".utf8)),
            ("empty.bin", []),
            ("legacy.pt", [0x80, 0x02, 0x8A, 0x0A])
        ]
        for (name, bytes) in cases {
            let path = dir.path + "/" + name
            try AtomicFile.write(bytes, to: path)
            #expect(throws: ModelError.self, "\(name)") { try RAMModel.load(path: path, config: config) }
        }
        #expect {
            try StateDict.load(path: dir.path + "/does-not-exist.pth")
        } throws: { ($0 as? ModelError)?.code == "file.open" }
    }

    @Test func randomWeightsAreDeterministicAndRoundTrip() throws {
        let a = RAMWeights.random(config: config, seed: 42)
        let b = RAMWeights.random(config: config, seed: 42)
        let c = RAMWeights.random(config: config, seed: 43)
        #expect(a.canonicalHash() == b.canonicalHash())
        #expect(a.canonicalHash() != c.canonicalHash())
        let w = a.tensors["visual_encoder.layers.1.blocks.0.mlp.fc1.weight"]!.scalars
        let mean = w.reduce(0, +) / Float(w.count)
        let std = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(w.count)).squareRoot()
        #expect(abs(mean) < 0.003 && abs(std - 0.02) < 0.003 && w.allSatisfy { abs($0) <= 0.07 })
        let dir = try TemporaryDirectory()
        try a.write(to: dir.path + "/m.safetensors")
        let sd = try StateDict.load(path: dir.path + "/m.safetensors")
        #expect(sd.metadata["tagood_config"] == config.json)
        let back = try RAMWeights(config: config, stateDict: sd)
        #expect(back.canonicalHash() == a.canonicalHash())
    }
}
