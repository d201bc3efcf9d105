import TagoodSupport

/// Why a model could not be configured, loaded or run. Each message names the file, the tensor or the
/// key involved and what was expected.
public enum ModelError: TagoodError {
    /// A tensor the configuration needs is not in the checkpoint.
    case missingTensor(name: String, expectedShape: [Int], file: String)
    /// A tensor has another shape than the configuration implies.
    case shapeMismatch(name: String, expectedShape: [Int], foundShape: [Int], file: String)
    /// A tensor is stored in a type other than f32, f16 or bf16.
    case unsupportedDType(name: String, dtype: String, expectedShape: [Int], foundShape: [Int], file: String)
    /// A relative-position bias table was trained for another window than the configuration's.
    case windowMismatch(
        name: String, expectedShape: [Int], foundShape: [Int], configWindow: Int, checkpointWindow: Int, file: String)
    /// A derivable buffer (relative_position_index, attn_mask) disagrees with the configuration.
    case bufferMismatch(name: String, file: String, reason: String)
    /// The file is not a well-formed safetensors / PyTorch checkpoint.
    case malformed(file: String, reason: String)
    /// The file is neither safetensors nor a PyTorch zip checkpoint.
    case unknownFormat(file: String)
    /// The configuration (a name or a JSON file) is invalid.
    case invalidConfig(source: String, reason: String)
    /// The input tensor does not fit the model.
    case invalidInput(String)
    /// Reading or writing a file failed.
    case io(FileError)

    public var code: String {
        switch self {
        case .missingTensor: "model.missing-tensor"
        case .shapeMismatch: "model.shape"
        case .unsupportedDType: "model.dtype"
        case .windowMismatch: "model.window"
        case .bufferMismatch: "model.buffer"
        case .malformed: "model.malformed"
        case .unknownFormat: "model.format"
        case .invalidConfig: "model.config"
        case .invalidInput: "model.input"
        case .io(let e): e.code
        }
    }

    /// The checkpoint or config file involved.
    public var subject: String? {
        switch self {
        case let .missingTensor(_, _, file), let .shapeMismatch(_, _, _, file), let .unsupportedDType(_, _, _, _, file),
            let .windowMismatch(_, _, _, _, _, file), let .bufferMismatch(_, file, _), let .malformed(file, _),
            let .unknownFormat(file):
            file
        case let .invalidConfig(source, _): source
        case .invalidInput: nil
        case let .io(e): e.path
        }
    }

    public var description: String {
        switch self {
        case let .missingTensor(name, shape, file):
            "\(file): tensor \(name) is missing (expected shape \(shape)); is this a RAM checkpoint for this config?"
        case let .shapeMismatch(name, expected, found, file):
            "\(file): tensor \(name) has shape \(found), expected \(expected); check the model config (--config)"
        case let .unsupportedDType(name, dtype, expected, found, file):
            "\(file): tensor \(name) (shape \(found), expected \(expected)) is stored as \(dtype); only f32, f16 and bf16 are accepted"
        case let .windowMismatch(name, expected, found, window, ckptWindow, file):
            "\(file): \(name) has shape \(found), sized for window \(ckptWindow), but the config's window gives "
                + "\(window) (expected \(expected)); use the config the checkpoint was trained with"
        case let .bufferMismatch(name, file, reason):
            "\(file): buffer \(name) disagrees with the config: \(reason)"
        case let .malformed(file, reason):
            "\(file): not a valid checkpoint: \(reason)"
        case let .unknownFormat(file):
            "\(file): unknown weights format (expected .safetensors or a PyTorch zip .pth/.pt)"
        case let .invalidConfig(source, reason):
            "model config \(source): \(reason)"
        case let .invalidInput(reason):
            "model input: \(reason)"
        case let .io(e):
            e.description
        }
    }
}
