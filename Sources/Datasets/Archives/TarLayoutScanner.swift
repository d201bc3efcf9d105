import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// Scans a `layout: tar` dataset: every tar of its root, inner tars followed one level, into an image
/// list and its ``ArchiveIndex``.
///
/// Without a list, ImageFolder's rules apply inside the tars: an image's class is its first folder, or
/// the inner tar it is in (`n01440764.tar` is class `n01440764`); classes are numbered in sorted order,
/// and images are in `sorted(os.walk)` order within a class (folders by path, files by name). Images
/// beside the class folders are skipped and counted, as ImageFolder does; an OOD set (`role: ood`) takes
/// every image, as the `nested` layout does. With a list file (one tar only), the list's paths name
/// members inside the tar and give the labels, in the list's order.
enum TarLayoutScanner {
    static func scan(_ spec: DatasetSpec) throws(DatasetError) -> (ImageList, ArchiveIndex) {
        let root = try ArchiveRoot.resolve(spec.root)
        var tars: [ArchiveIndex.Tar] = []
        var images: [Candidate] = []
        var skipped = 0, hidden = 0
        var specials: [[UInt8]] = []
        for (t, (path, name)) in root.tars.enumerated() {
            let (_, tar, members) = try ArchiveMembers.read(path, followInnerTars: true)
            tars.append(tar)
            (hidden, skipped) = (hidden + members.hidden, skipped + members.special)
            let prefix = FileName.bytes(name) + [UInt8(ascii: "/")]
            specials += members.specials.map { prefix + $0 }
            for member in members.files {
                guard ImageList.hasImageExtension(bytes: member.name) else {
                    skipped += 1
                    continue
                }
                images.append(
                    Candidate(
                        member: member, path: prefix + member.name, tar: UInt32(t), className: className(member)))
            }
        }
        if let list = spec.listFile {
            return try listed(images, list: list, root: root, tars: tars, skipped: skipped, hidden: hidden)
        }
        let classes = Set(images.compactMap(\.className)).sorted { $0.lexicographicallyPrecedes($1) }
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Int32($0)) })
        if spec.role != .ood {
            let flat = images.count(where: { $0.className == nil })
            images.removeAll { $0.className == nil }
            skipped += flat
            guard !images.isEmpty else {
                throw DatasetError(
                    .empty,
                    "dataset \(spec.name): the tars of \(spec.root) have no class folders or class tars with images"
                        + (flat > 0 ? " (\(flat) images lie at the top level: give `list:` with their labels)" : ""),
                    subject: spec.root)
            }
        }
        guard !images.isEmpty else {
            throw DatasetError(
                .empty, "dataset \(spec.name): the tars of \(spec.root) hold no .jpg, .jpeg or .png member")
        }
        let labels = images.map { c in c.className.flatMap { classIndex[$0] } ?? -1 }
        let order = sortedOrder(images, labels: labels, byClass: spec.role != .ood)
        try checkDuplicates(images, order: order, specials: specials, tars: tars)
        let list = ImageList(
            paths: order.map { FileName.decode(images[$0].path) }, labels: order.map { labels[$0] },
            classes: classes.map { FileName.decode($0) }, skippedFiles: skipped, hiddenEntries: hidden)
        return (list, ArchiveIndex(tars: tars, locations: order.map { images[$0].location }))
    }

    /// `sorted(os.walk)` order (within each class when `byClass`): folders by their path, files by name,
    /// through one byte key per image, `class, folder, 0, file` (no name holds a NUL, so the key orders
    /// as the tuple does).
    private static func sortedOrder(_ images: [Candidate], labels: [Int32], byClass: Bool) -> [Int] {
        let keys: [[UInt8]] = images.indices.map { i in
            let path = images[i].path
            let slash = path.lastIndex(of: UInt8(ascii: "/")) ?? -1
            var key: [UInt8] = []
            key.reserveCapacity(path.count + 5)
            if byClass { withUnsafeBytes(of: UInt32(bitPattern: labels[i] &+ 1).bigEndian) { key += $0 } }
            key += path[..<max(slash, 0)]
            key.append(0)
            key += path[(slash + 1)...]
            return key
        }
        return images.indices.sorted { a, b in
            keys[a].withUnsafeBufferPointer { x in
                keys[b].withUnsafeBufferPointer { y in
                    let c = memcmp(x.baseAddress!, y.baseAddress!, min(x.count, y.count))
                    return c != 0 ? c < 0 : x.count < y.count
                }
            }
        }
    }

    /// Refuses a path planned twice (adjacent once sorted), or a link with a planned image's path.
    private static func checkDuplicates(
        _ images: [Candidate], order: [Int], specials: [[UInt8]], tars: [ArchiveIndex.Tar]
    ) throws(DatasetError) {
        for (a, b) in zip(order, order.dropFirst()) where images[a].path == images[b].path {
            throw duplicate(images[b].member.name, tar: tars[Int(images[b].tar)].path)
        }
        guard !specials.isEmpty else { return }
        var seen = Set(images.map(\.path))
        for special in specials where !seen.insert(special).inserted {
            let slash = special.firstIndex(of: UInt8(ascii: "/")) ?? 0
            let tar = images.first { $0.path == special }.map { tars[Int($0.tar)].path } ?? ""
            throw duplicate(Array(special[(slash + 1)...]), tar: tar)
        }
    }

    private static func duplicate(_ name: [UInt8], tar: String) -> DatasetError {
        DatasetError(
            .duplicateImage,
            "tar \(FileName.display(tar)): member '\(FileName.display(FileName.decode(name)))' appears twice (a file, or a link to one, under the same path); every image must be there once",
            subject: tar, remedy: "repack the tar without the duplicate (was it appended to with `tar -r`?)")
    }

    /// An image member found in a tar.
    struct Candidate {
        var member: ArchiveMember
        /// Its path in the plan: the tar's name, then the member's.
        var path: [UInt8]
        var tar: UInt32
        var className: [UInt8]?

        var location: ArchiveIndex.Location {
            ArchiveIndex.Location(tar: tar, offset: member.offset, size: member.size)
        }
    }

    /// The class of a member: its inner tar's name without `.tar` when the inner tar is at the top level,
    /// else its first folder; nil for a member at the top level.
    private static func className(_ member: ArchiveMember) -> [UInt8]? {
        guard let slash = member.name.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let first = Array(member.name[..<slash])
        if let inner = member.innerTar, inner == first { return Array(first.dropLast(4)) }
        return first
    }

    /// The images a list file names, in its order, with its labels.
    private static func listed(
        _ images: [Candidate], list: String, root: ArchiveRoot, tars: [ArchiveIndex.Tar], skipped: Int, hidden: Int
    ) throws(DatasetError) -> (ImageList, ArchiveIndex) {
        guard tars.count == 1 else {
            throw DatasetError(
                .badListLine,
                "list file \(list) labels the members of one tar, but the dataset root matches \(tars.count) tars",
                subject: list, remedy: "give one tar as the root, or one dataset per tar")
        }
        let entries = try ListFileReader.read(file: list, root: root.base, checkFilesExist: false)
        var byMember: [[UInt8]: Candidate] = [:]
        for c in images { byMember[c.member.name] = c }
        var paths: [String] = []
        var locations: [ArchiveIndex.Location] = []
        for p in entries.paths {
            guard let name = try ArchiveMembers.normalized(FileName.bytes(p), tar: tars[0].path),
                let c = byMember[name]
            else {
                throw DatasetError(
                    .missingListedImage,
                    "list file \(list) names '\(FileName.display(p))', which is not a file member of tar \(FileName.display(tars[0].path))",
                    subject: list, remedy: "fix the list (its paths are member names inside the tar) or the root")
            }
            paths.append(FileName.decode(c.path))
            locations.append(c.location)
        }
        let list = ImageList(
            paths: paths, labels: entries.labels, skippedFiles: skipped + images.count - paths.count,
            hiddenEntries: hidden)
        return (list, ArchiveIndex(tars: tars, locations: locations))
    }
}
