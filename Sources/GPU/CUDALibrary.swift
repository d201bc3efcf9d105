import CTagoodCUDA
import Foundation
import TagoodSupport

/// libtagood_cuda, opened with `dlopen` (tagood links no CUDA library, so it runs where there is none).
///
/// Where it is looked for, in order: the path given (`--cuda-library`, `cuda_library:` in cluster.yaml),
/// `$TAGOOD_CUDA_LIBRARY`, then beside the tagood executable and in `../cuda/` and `../../cuda/` from it
/// (where `make gpu` puts it: `.build/cuda/libtagood_cuda.so`, beside `.build/debug` and `.build/release`).
public final class CUDALibrary: @unchecked Sendable {
    /// The library's file name.
    public static let fileName = "libtagood_cuda.so"
    /// The environment variable that names the library's path.
    public static let environmentVariable = "TAGOOD_CUDA_LIBRARY"

    /// The path it was opened from.
    public let path: String
    /// Its resolved functions (valid while this object lives).
    let functions: tagood_cuda_library

    /// Opens the library: `path`, or the first of ``candidates(environment:)`` that exists.
    public init(
        path explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    )
        throws(GPUError)
    {
        let candidates = explicit.map { [$0] } ?? Self.candidates(environment: environment)
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) ?? candidates.first
        else { throw Self.missing("no candidate path", looked: candidates) }
        guard FileManager.default.fileExists(atPath: path) else {
            throw Self.missing("there is no \(Self.fileName)", looked: candidates)
        }
        var library = tagood_cuda_library()
        var message = [CChar](repeating: 0, count: 1024)
        guard tagood_cuda_library_open(path, &library, &message, message.count) == 0 else {
            let reason = String(cMessage: message)
            throw GPUError(
                .libraryMissing, "cannot load the CUDA library \(path): \(reason)", subject: path,
                remedy: reason.contains("libcu")
                    ? "the CUDA 13 runtime and cuBLAS it needs are not on this node's library path: load the "
                        + "CUDA 13 module (or run `make gpu` here, which installs them), or set LD_LIBRARY_PATH"
                    : "rebuild it with `make gpu`")
        }
        let version = library.api_version()
        guard version == TAGOOD_CUDA_API_VERSION else {
            tagood_cuda_library_close(&library)
            throw GPUError(
                .libraryMismatch,
                "\(path) speaks CUDA API version \(version); this tagood needs version \(TAGOOD_CUDA_API_VERSION)",
                subject: path, remedy: "rebuild it from this checkout with `make gpu`")
        }
        self.path = path
        functions = library
    }

    deinit {
        var library = functions
        tagood_cuda_library_close(&library)
    }

    /// Where the library is looked for when no path is given: `$TAGOOD_CUDA_LIBRARY` alone when it is set
    /// (a path someone gave is used or fails, never passed over), else beside the executable and in
    /// `../cuda/` and `../../cuda/` from it.
    public static func candidates(environment: [String: String]) -> [String] {
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            return [fromEnvironment]
        }
        let directory = Path.directory(of: currentExecutable())
        // .build/debug/tagood is .build/<triple>/debug/tagood once symbolic links are resolved.
        return [
            directory + "/" + fileName, Path.directory(of: directory) + "/cuda/" + fileName,
            Path.directory(of: Path.directory(of: directory)) + "/cuda/" + fileName
        ]
    }

    private static func missing(_ what: String, looked: [String]) -> GPUError {
        GPUError(
            .libraryMissing,
            "a GPU worker needs the CUDA library, and \(what): looked at \(looked.joined(separator: ", "))",
            subject: looked.first,
            remedy: "build it with `make gpu` (installs the CUDA 13.0 toolchain into .cuda/), or give "
                + "--cuda-library PATH or set \(environmentVariable)")
    }

    /// The device `index` (as CUDA numbers it after `CUDA_VISIBLE_DEVICES`): name, memory, compute capability.
    public func describeDevice(_ index: Int) throws(GPUError) -> GPUDevice {
        var info = tagood_cuda_device_info()
        var message = [CChar](repeating: 0, count: 1024)
        let status = functions.describe_device(Int32(index), &info, &message, message.count)
        guard status == Int32(TAGOOD_CUDA_OK.rawValue) else {
            throw GPUError.from(status: status, message: String(cMessage: message), device: index)
        }
        let name = withUnsafeBytes(of: info.name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return GPUDevice(
            index: index, name: name, memoryBytes: Int(info.memory_bytes),
            computeCapability: (Int(info.compute_major), Int(info.compute_minor)),
            multiprocessors: Int(info.multiprocessors), driverVersion: Int(info.driver_version))
    }
}

/// One CUDA device as the library describes it.
public struct GPUDevice: Sendable, CustomStringConvertible {
    public var index: Int
    public var name: String
    public var memoryBytes: Int
    public var computeCapability: (major: Int, minor: Int)
    public var multiprocessors: Int
    /// CUDA's driver version number: 13000 for CUDA 13.0.
    public var driverVersion: Int

    /// `cuda:0 NVIDIA H100 80GB HBM3 (79.6 GiB, sm_90)`.
    public var description: String {
        let gib = Double(memoryBytes) / Double(1 << 30)
        return
            "cuda:\(index) \(name) (\(Format.fixed(gib, 1)) GiB, sm_\(computeCapability.major)\(computeCapability.minor))"
    }
}

extension GPUError {
    /// The error of a failed library call.
    static func from(status: Int32, message: String, device: Int) -> GPUError {
        switch UInt32(bitPattern: status) {
        case TAGOOD_CUDA_NO_DEVICE.rawValue:
            GPUError(
                .noDevice, "no CUDA device \(device): \(message)", subject: "cuda:\(device)",
                remedy: "run GPU workers on a node with an NVIDIA driver for CUDA 13 (nvidia-smi lists its GPUs), "
                    + "and check CUDA_VISIBLE_DEVICES and Slurm's gpus_per_task")
        case TAGOOD_CUDA_OUT_OF_MEMORY.rawValue:
            GPUError(
                .outOfMemory, "CUDA device \(device) ran out of memory: \(message)",
                subject: "cuda:\(device)", remedy: "lower extract.batch_size in the job file")
        case TAGOOD_CUDA_CUDA_ERROR.rawValue, TAGOOD_CUDA_CUBLAS_ERROR.rawValue:
            GPUError(.cuda, "CUDA device \(device): \(message)", subject: "cuda:\(device)")
        default:
            GPUError(.invalid, "CUDA library: \(message)", subject: "cuda:\(device)")
        }
    }
}

extension String {
    /// A NUL-terminated message a C function wrote into `buffer`.
    init(cMessage buffer: [CChar]) {
        self.init(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
