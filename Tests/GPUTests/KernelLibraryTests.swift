import Foundation
import GPU
import Testing

/// The real libtagood_cuda.so that `make gpu` built (when it has: `make test` builds it where the CUDA toolchain
/// is installed), opened by tagood's loader: it speaks this API version and, on a machine without a GPU, says so
/// as a no-device error with CUDA's reason, never a crash.
@Suite struct KernelLibraryTests {
    static let built: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/cuda/libtagood_cuda.so").path
    }()

    @Test(.enabled(if: FileManager.default.fileExists(atPath: built), "make gpu has not built the library"))
    func theBuiltLibraryLoadsAndNamesAMissingDevice() throws {
        let library = try CUDALibrary(path: Self.built)
        do {
            let device = try library.describeDevice(0)
            #expect(!device.name.isEmpty) // a GPU machine
        } catch {
            #expect(error.kind == .noDevice, "\(error)")
            #expect(error.message.contains("cudaGetDeviceCount"), "\(error.message)")
        }
    }
}
