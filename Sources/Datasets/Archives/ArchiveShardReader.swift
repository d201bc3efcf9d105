import TagoodSupport

/// A worker's reader of one shard's images from tars: the shard's records from the dataset's tar index,
/// each tar the shard uses opened once (and kept open for the shard), and each image read with one
/// `pread` at its offset. Nothing is unpacked and no file is opened per image.
public final class ArchiveShardReader: @unchecked Sendable {
    private let tars: [ArchiveIndex.Tar]
    private let locations: [ArchiveIndex.Location]
    private let files: [UInt32: TarFileReader]

    /// Opens the shard `shardIndex` (whose images are `paths`) of the dataset indexed in `indexFile`.
    /// Throws `dataset.archive-changed`, naming the tar, when a tar's size or modification time is no
    /// longer the one indexed.
    public init(indexFile: String, shardIndex: Int, paths: [String]) throws(DatasetError) {
        (tars, locations) = try ArchiveIndexFile.readShard(path: indexFile, shardIndex: shardIndex, paths: paths)
        var files: [UInt32: TarFileReader] = [:]
        for t in Set(locations.map(\.tar)).sorted() {
            let tar = tars[Int(t)]
            let file: TarFileReader
            do { file = try TarFileReader(path: tar.path) } catch { throw tar.changedError(error.message) }
            if let change = tar.change(size: file.size, modified: file.modified) { throw tar.changedError(change) }
            files[t] = file
        }
        self.files = files
    }

    /// The number of images.
    public var count: Int { locations.count }

    /// The tar image `i` is read from.
    public func tar(of i: Int) -> String { tars[Int(locations[i].tar)].path }

    /// Why an image cannot be read: it is larger than the limit, or the tar cannot give its bytes.
    public struct ReadError: Error, Sendable {
        public var tooLarge: Bool
        public var detail: String
    }

    /// The bytes of image `i` (at most `limit`), read with one `pread`.
    public func bytes(of i: Int, limit: Int) throws(ReadError) -> [UInt8] {
        let location = locations[i]
        let tar = tars[Int(location.tar)]
        guard location.size <= UInt64(limit) else {
            throw ReadError(
                tooLarge: true,
                detail: "\(location.size) bytes in tar \(tar.path) (the image file-size limit is \(limit))")
        }
        let bytes: [UInt8]
        do { bytes = try files[location.tar]!.pread(at: location.offset, count: Int(location.size)) } catch {
            throw ReadError(tooLarge: false, detail: error.message)
        }
        guard bytes.count == Int(location.size) else {
            throw ReadError(
                tooLarge: false,
                detail:
                    "tar \(tar.path) ends at byte \(location.offset + UInt64(bytes.count)), before the image's \(location.size) bytes at byte \(location.offset)"
            )
        }
        return bytes
    }
}
