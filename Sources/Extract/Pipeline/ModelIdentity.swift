import Model
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// The identity of a model weights file: XXH64 of its bytes (hex). The coordinator computes it from the
/// job's weights and refuses workers that loaded anything else.
public enum ModelIdentity {
    public static func hash(weightsFile path: String) throws(FileError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(.open, path: path, errno: errno) }
        defer { close(fd) }
        var hasher = XXH64()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(.read, path: path, errno: errno)
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return hasher.hexDigest()
    }

    /// The name shards get from this model (``RAMConfig/modelName``: `swin_l_384`, or `ram_plus_swin_l_384` for
    /// a RAM++ checkpoint), from the job's config, weights (only their names and shapes are read) and tag list.
    public static func modelName(config: String, weights: String, tags: String) throws -> String {
        let vocabulary = try TagVocabulary.load(path: tags)
        let config = try RAMConfig.resolve(config, numTags: vocabulary.count)
        return config.recognizingTagger(of: try StateDict.load(path: weights)).modelName
    }
}
