import Foundation
import TagoodSupport

/// Scans a `layout: webdataset` dataset: its shards in name order, the samples of each in archive order.
///
/// A sample is the consecutive members sharing a key: the member's path up to the first `.` of its last
/// component (webdataset's rule: `a/b.seg.png` has key `a/b` and extension `seg.png`). Its image is the
/// member whose extension is `jpg`, `jpeg` or `png` (any letter case); its label is the integer in
/// `KEY.cls`, else -1. The image's path in the plan is the tar's name then the member's
/// (`shard-000123.tar/000123045.jpg`). A sample with no image or two, a key that comes back after another
/// one (a duplicate), and a `.cls` that is not an integer are plan errors naming the tar and the key.
enum WebDatasetScanner {
    static func scan(_ spec: DatasetSpec) throws(DatasetError) -> (ImageList, ArchiveIndex) {
        let root = try ArchiveRoot.resolve(spec.root)
        var tars: [ArchiveIndex.Tar] = []
        var paths: [String] = []
        var labels: [Int32] = []
        var locations: [ArchiveIndex.Location] = []
        var skipped = 0, hidden = 0
        for (t, (path, name)) in root.tars.enumerated() {
            let (reader, tar, members) = try ArchiveMembers.read(path, followInnerTars: false)
            tars.append(tar)
            (hidden, skipped) = (hidden + members.hidden, skipped + members.special)
            var keys = Set<[UInt8]>()
            var start = 0
            while start < members.files.count {
                let key = Self.key(members.files[start].name)
                var end = start + 1
                while end < members.files.count, Self.key(members.files[end].name) == key { end += 1 }
                guard keys.insert(Array(key)).inserted else {
                    throw error(
                        .duplicateImage, path, key,
                        "appears again after other samples: a key must be one run of members",
                        remedy: "repack the shard with each sample's members together and each key once")
                }
                let sample = members.files[start..<end]
                let images = sample.filter { isImageExtension(extensionOf($0.name)) }
                guard images.count == 1, let image = images.first else {
                    let names = sample.map { FileName.display(FileName.decode($0.name)) }.joined(separator: ", ")
                    throw error(
                        .badSample, path, key,
                        images.isEmpty
                            ? "has no image (members: \(names)); every sample needs a .jpg, .jpeg or .png"
                            : "has \(images.count) images (\(names)); a sample has one",
                        remedy: "repack the shard, or drop the sample")
                }
                var label: Int32 = -1
                let cls = sample.first(where: { extensionOf($0.name) == Array("cls".utf8) })
                if let cls { label = try Self.label(cls, reader: reader, tar: path, key: key) }
                skipped += sample.count - 1 - (cls == nil ? 0 : 1)
                paths.append(FileName.decode(FileName.bytes(name) + [UInt8(ascii: "/")] + image.name))
                labels.append(label)
                locations.append(ArchiveIndex.Location(tar: UInt32(t), offset: image.offset, size: image.size))
                start = end
            }
        }
        guard !paths.isEmpty else {
            throw DatasetError(
                .empty, "dataset \(spec.name): the shards of \(spec.root) hold no samples", subject: spec.root)
        }
        return (
            ImageList(paths: paths, labels: labels, skippedFiles: skipped, hiddenEntries: hidden),
            ArchiveIndex(tars: tars, locations: locations)
        )
    }

    /// webdataset's key: the path up to the first `.` of the last component.
    static func key(_ name: [UInt8]) -> ArraySlice<UInt8> {
        let lastSlash = name.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0
        let dot = name[lastSlash...].firstIndex(of: UInt8(ascii: ".")) ?? name.endIndex
        return name[..<dot]
    }

    /// The extension after the key, lower-cased (`seg.png`, `jpg`, `cls`).
    static func extensionOf(_ name: [UInt8]) -> [UInt8] {
        let k = key(name)
        return k.endIndex < name.endIndex
            ? name[(k.endIndex + 1)...].map { $0 | ($0 >= 0x41 && $0 <= 0x5A ? 0x20 : 0) } : []
    }

    static func isImageExtension(_ ext: [UInt8]) -> Bool {
        ext == Array("jpg".utf8) || ext == Array("jpeg".utf8) || ext == Array("png".utf8)
    }

    /// The integer in a `.cls` member (whitespace around it allowed).
    private static func label(
        _ member: ArchiveMember, reader: TarFileReader, tar: String, key: ArraySlice<UInt8>
    ) throws(DatasetError) -> Int32 {
        guard member.size <= 64 else {
            throw error(.badSample, tar, key, "has a .cls of \(member.size) bytes; it must hold one integer")
        }
        let text = String(decoding: try reader.pread(at: member.offset, count: Int(member.size)), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Int32(text) else {
            throw error(.badSample, tar, key, "has a .cls that is not an integer ('\(text)')")
        }
        return value
    }

    private static func error(
        _ kind: DatasetErrorKind, _ tar: String, _ key: ArraySlice<UInt8>, _ what: String, remedy: String? = nil
    ) -> DatasetError {
        DatasetError(
            kind, "tar \(FileName.display(tar)): sample '\(FileName.display(FileName.decode(key)))' \(what)",
            subject: tar, remedy: remedy)
    }
}
