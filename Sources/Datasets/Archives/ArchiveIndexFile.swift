import Foundation
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// `tar-index/<dataset>.tarindex`, beside `plan.json`: a dataset's ``ArchiveIndex``, little-endian.
///
///     "TGTARIX1"                      8 bytes
///     header length H                 UInt64
///     header                          H bytes of JSON: {"format", "dataset", "images", "images_per_shard", "tars"}
///     zero padding to a multiple of 8
///     one record per image, in plan order, 32 bytes each:
///         offset UInt64, size UInt64, tar UInt32, 0 UInt32, XXH64 of the image's path UInt64
///     XXH3-64 of every byte before    UInt64
///
/// The plan records the trailing XXH3 (`archive_index.checksum` in `plan.json`) and hashes it into the
/// dataset's hash, so the plan hash covers every offset, size and tar. A worker reads only the header
/// and its shard's records (``readShard(path:shardIndex:paths:)``); each record's path hash must match
/// the path it was assigned.
public enum ArchiveIndexFile {
    /// The index files' extension, `.tarindex`.
    public static let fileExtension = ".tarindex"
    static let magic = Array("TGTARIX1".utf8)
    static let format = "tagood-tar-index/1"
    static let recordSize = 32

    struct Header: Codable {
        var format: String
        var dataset: String
        var images: Int
        var images_per_shard: Int
        var tars: [ArchiveIndex.Tar]
    }

    /// The file's bytes for `index`, the index of dataset `dataset` whose images are `paths`.
    public static func encode(
        _ index: ArchiveIndex, dataset: String, paths: [String], imagesPerShard: Int
    ) -> [UInt8] {
        precondition(index.locations.count == paths.count, "one location per image")
        let header = Header(
            format: format, dataset: dataset, images: paths.count, images_per_shard: imagesPerShard, tars: index.tars)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = Array(try! encoder.encode(header)) // strings and integers always encode
        var bytes = magic
        bytes.reserveCapacity(16 + json.count + 8 + paths.count * recordSize + 8)
        append(UInt64(json.count), to: &bytes)
        bytes += json
        bytes += [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
        for (location, path) in zip(index.locations, paths) {
            append(location.offset, to: &bytes)
            append(location.size, to: &bytes)
            append(UInt64(location.tar), to: &bytes)
            append(XXH64.hash(FileName.bytes(path)), to: &bytes)
        }
        append(XXH3.hash(bytes), to: &bytes)
        return bytes
    }

    /// The checksum a file's bytes end with, as 16 hex digits (what the plan records).
    public static func checksum(ofFile bytes: [UInt8]) -> String {
        hex(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self) })
    }

    /// Reads and checks a whole index file: its checksum (against `checksum`, the plan's), its layout, and
    /// that it indexes exactly `paths`.
    public static func read(path: String, checksum: String, paths: [String]) throws(DatasetError) -> ArchiveIndex {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch {
            throw damaged(path, "it cannot be read (\(error))")
        }
        guard bytes.count >= 24, XXH3.hash(Array(bytes.dropLast(8))) == load(bytes, bytes.count - 8) else {
            throw damaged(path, "its checksum does not match its bytes")
        }
        guard Self.checksum(ofFile: bytes) == checksum else {
            throw damaged(
                path,
                "it is not the index the plan recorded (checksum \(Self.checksum(ofFile: bytes)), plan \(checksum))")
        }
        let (header, recordsStart) = try decodeHeader(bytes, path: path)
        guard header.images == paths.count, bytes.count == recordsStart + paths.count * recordSize + 8 else {
            throw damaged(path, "it indexes \(header.images) images, the plan \(paths.count)")
        }
        var locations: [ArchiveIndex.Location] = []
        locations.reserveCapacity(paths.count)
        for (i, p) in paths.enumerated() {
            let at = recordsStart + i * recordSize
            let location = try record(bytes, at: at, tars: header.tars.count, path: path)
            guard load(bytes, at + 24) == XXH64.hash(FileName.bytes(p)) else {
                throw damaged(path, "record \(i) is not the plan's image \(FileName.display(p))")
            }
            locations.append(location)
        }
        return ArchiveIndex(tars: header.tars, locations: locations)
    }

    /// The tars and the locations of one shard's images, read from the file with three `pread`s; each
    /// record's path hash must match `paths` (the shard's images, from the assignment).
    public static func readShard(
        path: String, shardIndex: Int, paths: [String]
    ) throws(DatasetError) -> (tars: [ArchiveIndex.Tar], locations: [ArchiveIndex.Location]) {
        let reader = try TarFileReader(path: path)
        let start = try reader.pread(at: 0, count: 16)
        guard start.count == 16, Array(start.prefix(8)) == magic else {
            throw damaged(path, "it does not start like a tagood tar index")
        }
        let headerLength = load(start, 8)
        guard headerLength <= 1 << 30, 16 + headerLength <= reader.size else {
            throw damaged(path, "its header is cut")
        }
        let (header, recordsStart) = try decodeHeader(
            start + (try reader.pread(at: 16, count: Int(headerLength))), path: path)
        let first = shardIndex * header.images_per_shard
        guard shardIndex >= 0, first + paths.count <= header.images,
            reader.size == UInt64(recordsStart + header.images * recordSize + 8)
        else {
            throw damaged(path, "it has no shard \(shardIndex) of \(paths.count) images")
        }
        let records = try reader.pread(at: UInt64(recordsStart + first * recordSize), count: paths.count * recordSize)
        guard records.count == paths.count * recordSize else { throw damaged(path, "it is cut") }
        var locations: [ArchiveIndex.Location] = []
        for (i, p) in paths.enumerated() {
            locations.append(try record(records, at: i * recordSize, tars: header.tars.count, path: path))
            guard load(records, i * recordSize + 24) == XXH64.hash(FileName.bytes(p)) else {
                throw damaged(path, "image \(first + i) is not \(FileName.display(p)), the image assigned")
            }
        }
        return (header.tars, locations)
    }

    private static func decodeHeader(_ bytes: [UInt8], path: String) throws(DatasetError) -> (Header, Int) {
        guard bytes.count >= 16, Array(bytes.prefix(8)) == magic else {
            throw damaged(path, "it does not start like a tagood tar index")
        }
        let length = load(bytes, 8)
        guard length <= UInt64(bytes.count - 16) else { throw damaged(path, "its header is cut") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + Int(length))]))
        } catch {
            throw damaged(path, "its header is not valid (\(error))")
        }
        guard header.format == format, header.images >= 0, header.images_per_shard > 0 else {
            throw damaged(path, "it has format \(header.format); this tagood reads \(format)")
        }
        return (header, (16 + Int(length) + 7) / 8 * 8)
    }

    private static func record(
        _ bytes: [UInt8], at: Int, tars: Int, path: String
    ) throws(DatasetError) -> ArchiveIndex.Location {
        let tar = load(bytes, at + 16)
        guard tar < UInt64(tars) else { throw damaged(path, "a record names tar \(tar) of \(tars)") }
        return ArchiveIndex.Location(tar: UInt32(tar), offset: load(bytes, at), size: load(bytes, at + 8))
    }

    private static func damaged(_ path: String, _ why: String) -> DatasetError {
        DatasetError(
            .badPlan, "tar index \(path) is damaged: \(why)", subject: path,
            remedy: "delete the job's plan.json and tar-index/ and plan again (the shards are redone)")
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func load(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        UInt64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) })
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
