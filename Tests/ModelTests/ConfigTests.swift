import Foundation
import Testing

@testable import Model

@Suite struct ConfigTests {
    @Test func fixtureJSONEqualsBuiltin() throws {
        for name in ["test_shift", "test_small", "test_tiny"] {
            let parsed = try RAMConfig.resolve(Fixtures.path("\(name).json"))
            #expect(parsed == RAMConfig.builtin(named: name), "\(name)")
        }
    }

    @Test func ramSwinLargeJSONParses() throws {
        // RAM's config_swinL_384.json, verbatim.
        let json =
            #"{"ckpt": "pretrain_model/swin_large_patch4_window12_384_22k.pth", "vision_width": 1536, "image_res": 384, "window_size": 12, "embed_dim": 192, "depths": [ 2, 2, 18, 2 ], "num_heads": [ 6, 12, 24, 48 ]}"#
        var config = try RAMConfig.parse(json: Array(json.utf8), source: "config_swinL_384.json")
        config.name = "swin_l_384"
        #expect(config == RAMConfig.swinL384)
        #expect(config.imageTokens == 145)
        #expect(config.vision.window(stage: 3) == 12 && config.vision.shift(stage: 3, block: 1) == 0)
        #expect(config.vision.shift(stage: 2, block: 1) == 6)
    }

    @Test func builtinsParameterCounts() {
        // Swin-L/384: 195.2M encoder parameters (timm's swin_large_patch4_window12_384, 196.7M, less its
        // 1000-class head); counts from tools/make_model_fixtures.py's independent parameter list.
        func encoder(_ c: RAMConfig) -> Int {
            c.parameterSpecs.filter { $0.name.hasPrefix("visual_encoder.") }.reduce(0) { $0 + $1.elementCount }
        }
        #expect(encoder(.swinL384) == 195_198_516)
        #expect(RAMConfig.swinL384.parameterCount == 212_117_045)
        #expect(encoder(.swinB384) == 86_878_584)
        #expect(RAMConfig.swinB384.parameterCount == 103_534_969)
        #expect(RAMConfig.builtin(named: "swin_b")?.vision.visionWidth == 1024)
        #expect(RAMConfig.swinL384.vision.visionWidth == 1536)
    }

    @Test func badConfigsAreClearErrors() {
        let cases: [(String, String)] = [
            (
                #"{"image_res": 384, "window_size": 12, "embed_dim": 192, "depths": [2, 2], "num_heads": [6]}"#,
                "same length"
            ),
            (
                #"{"image_res": 384, "window_size": 12, "embed_dim": 192, "depths": [2], "num_heads": [6], "vision_width": 1000}"#,
                "vision_width"
            ),
            (#"{"image_res": 100, "window_size": 7, "embed_dim": 96, "depths": [2], "num_heads": [3]}"#, "multiple"),
            (#"{"window_size": 7}"#, "missing key"),
            (#"{"image_res": "x"}"#, "integer"),
            ("not json", "invalid JSON")
        ]
        for (json, fragment) in cases {
            #expect {
                try RAMConfig.parse(json: Array(json.utf8), source: "bad.json")
            } throws: { error in
                "\(error)".contains(fragment) && (error as? ModelError)?.code == "model.config"
            }
        }
        #expect(throws: ModelError.self) { try RAMConfig.resolve("swin_huge") }
    }

    @Test func configRoundTripsThroughJSON() throws {
        for config in RAMConfig.builtins {
            #expect(try RAMConfig.parse(json: Array(config.json.utf8), source: "roundtrip") == config)
        }
    }
}
