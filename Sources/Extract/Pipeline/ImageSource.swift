import Datasets
import Imaging
import TagoodSupport

/// Where a shard's images come from, and how each is read and decoded: loose files under the dataset
/// root, or members of tars, each read with one `pread` at the offset the plan's tar index gives
/// (``ArchiveShardReader``: the tars stay open for the shard). Either way the decoder sees the same
/// bytes, so an image gives the same tokens from a tar as from a loose file.
public enum ImageSource: Sendable {
    case files(root: String)
    case archive(ArchiveShardReader)

    /// The source of `work`: its root is a dataset folder, or, for a dataset read from tars, the
    /// dataset's tar index (`tar-index/<dataset>.tarindex`, which the coordinator assigns as the root).
    /// Throws `dataset.archive-changed`, naming the tar, when a tar changed after planning.
    public static func open(_ work: ShardWork) throws(DatasetError) -> ImageSource {
        guard work.root.hasSuffix(ArchiveIndexFile.fileExtension) else { return .files(root: work.root) }
        return .archive(
            try ArchiveShardReader(indexFile: work.root, shardIndex: work.metadata.shardIndex, paths: work.paths))
    }

    /// Reads and decodes image `index` of the shard, whose planned path is `path`.
    public func decode(_ index: Int, path: String, with decoder: ImageDecoder) throws(ImageError) -> DecodedImage {
        switch self {
        case .files(let root):
            return try decoder.decode(file: root + "/" + path)
        case .archive(let reader):
            let named = "\(path) in tar \(reader.tar(of: index))" // what errors name: the member and its tar
            let bytes: [UInt8]
            do { bytes = try reader.bytes(of: index, limit: decoder.maxFileBytes) } catch {
                throw ImageError(error.tooLarge ? .tooLarge : .unreadable, path: named, detail: error.detail)
            }
            return try decoder.decode(bytes, path: named)
        }
    }
}
