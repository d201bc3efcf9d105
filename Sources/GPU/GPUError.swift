import TagoodSupport

/// Why the CUDA backend cannot run: no library, no device, or a failing CUDA call.
public typealias GPUError = CodedError<GPUErrorKind>

/// The kinds of ``GPUError`` (codes `gpu.<raw value>`).
public enum GPUErrorKind: String, ErrorKind {
    public static let domain = "gpu"
    /// libtagood_cuda.so is not where tagood looked, or a library it needs (libcudart.so.13) is missing.
    case libraryMissing = "library-missing"
    /// The library is not the API version this tagood speaks.
    case libraryMismatch = "library-mismatch"
    /// No CUDA driver, or no device with the index given.
    case noDevice = "no-device"
    /// A CUDA or cuBLAS call failed on the device.
    case cuda
    /// Device or pinned memory ran out.
    case outOfMemory = "out-of-memory"
    /// A weight, a shape or a call the library refused.
    case invalid
}
