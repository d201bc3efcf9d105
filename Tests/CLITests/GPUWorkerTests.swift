import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

/// A worker given a GPU runs RAM on it or stops at once saying what is missing; it never falls back to the
/// CPU. This machine has no GPU: the library, when `make gpu` has built it, loads and then finds no device.
@Suite struct GPUWorkerTests {
    /// `.build/cuda/libtagood_cuda.so` of this checkout (what `make gpu` builds), if it is there.
    static var builtLibrary: String? {
        let bin = Path.directory(of: TagoodProcess.executable)
        let candidates = [Path.directory(of: bin), Path.directory(of: Path.directory(of: bin))].map {
            $0 + "/cuda/libtagood_cuda.so"
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// `tagood worker --gpu 0` against a port nobody listens on, for a job that does not exist: a GPU worker
    /// checks its library and device before anything else, so neither is reached.
    static func gpuWorker(_ extra: [String], environment: [String: String] = [:]) throws -> TagoodProcess.Result {
        try TagoodProcess.run(
            ["worker", "--connect", "tcp://127.0.0.1:9", "--gpu", "0", "--job", "/nonexistent/job"] + extra,
            environment: environment)
    }

    @Test func aGPUWorkerWithoutTheLibraryStopsAtOnceSayingWhatIsMissing() throws {
        let directory = try TemporaryDirectory(prefix: "gpu-worker")
        let missing = directory.path + "/libtagood_cuda.so"
        for result in [
            try Self.gpuWorker(["--cuda-library", missing]),
            try Self.gpuWorker([], environment: ["TAGOOD_CUDA_LIBRARY": missing])
        ] {
            #expect(result.status != 0)
            #expect(result.stderr.contains(missing), "\(result.stderr)")
            #expect(result.stderr.contains("make gpu"), "\(result.stderr)")
            #expect(!result.stderr.contains("/nonexistent/job"), "it stopped before the job: \(result.stderr)")
        }
    }

    @Test func extractWithAGPUButNoLibraryStopsBeforeTheWeights() throws {
        let result = try TagoodProcess.run([
            "extract", "--config", "test_tiny", "--weights", "/nonexistent/weights.safetensors", "--tags", "t",
            "--class-tags", "c", "--role", "ood", "--images", ".", "--out", "/nonexistent/out.h5", "--gpu", "0",
            "--cuda-library", "/nonexistent/libtagood_cuda.so"
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/libtagood_cuda.so"), "\(result.stderr)")
        #expect(!result.stderr.contains("weights.safetensors"), "it stopped before the weights: \(result.stderr)")
    }

    @Test(.enabled(if: builtLibrary != nil, "needs `make gpu`'s library")) func withTheLibraryButNoDeviceItSaysSo()
        throws
    {
        let result = try Self.gpuWorker(["--cuda-library", Self.builtLibrary!])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no CUDA device"), "\(result.stderr)")
        #expect(!result.stderr.contains("/nonexistent/job"), "it stopped before the job: \(result.stderr)")
    }

    @Test func theGPUOptionsAreChecked() throws {
        let bad = try TagoodProcess.run(["worker", "--connect", "tcp://127.0.0.1:9", "--gpu", "x", "--job", "j"])
        #expect(bad.status != 0 && bad.stderr.contains("--gpu 'x' is not a GPU index"), "\(bad.stderr)")
        let precision = try TagoodProcess.run([
            "worker", "--connect", "tcp://127.0.0.1:9", "--gpu", "0", "--gpu-precision", "fp8", "--job", "j"
        ])
        #expect(precision.status != 0 && precision.stderr.contains("bf16 or fp32"), "\(precision.stderr)")
        let reduce = try TagoodProcess.run([
            "worker", "--connect", "tcp://127.0.0.1:9", "--gpu", "0", "--reduce", "--job", "j"
        ])
        #expect(reduce.status != 0 && reduce.stderr.contains("run on the CPU"), "\(reduce.stderr)")
    }
}
