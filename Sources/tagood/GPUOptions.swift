import ArgumentParser
import Extract
import GPU

/// `--gpu`, `--cuda-library` and `--gpu-precision`: RAM on a GPU through libtagood_cuda (`make gpu` builds it).
struct GPUOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Run RAM on this GPU (sets CUDA_VISIBLE_DEVICES); `inherit` uses the one the environment names.",
            valueName: "index"))
    var gpu: String?

    @Option(
        help: ArgumentHelp(
            "libtagood_cuda.so for --gpu (default: $TAGOOD_CUDA_LIBRARY, then beside tagood and in ../cuda/).",
            valueName: "path"))
    var cudaLibrary: String?

    @Option(help: "The GPU's arithmetic: bf16 (fast) or fp32 (TF32 off, for parity checks).")
    var gpuPrecision: String = "bf16"

    /// The GPU index, nil for `inherit` (or no GPU).
    var index: Int? { gpu.flatMap { Int($0) } }

    func validate() throws {
        if let gpu, gpu != "inherit", Int(gpu).map({ $0 < 0 }) ?? true {
            throw ValidationError("--gpu '\(gpu)' is not a GPU index such as 0 (or `inherit`)")
        }
        guard CUDABackend.Precision(rawValue: gpuPrecision) != nil else {
            throw ValidationError("--gpu-precision must be bf16 or fp32")
        }
    }

    /// With --gpu: opens the library and checks the device now, before anything slow, and returns the CUDA
    /// backend's maker (call after CUDA_VISIBLE_DEVICES is set); without: the CPU backend's.
    func backendMaker() throws -> ModelProducer.BackendMaker {
        guard gpu != nil else { return ModelProducer.cpuBackend }
        return try CUDABackend.prepare(
            library: cudaLibrary, precision: CUDABackend.Precision(rawValue: gpuPrecision) ?? .bf16)
    }
}
