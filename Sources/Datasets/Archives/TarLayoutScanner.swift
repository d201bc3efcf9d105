import TagoodSupport

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
        var seen = Set<[UInt8]>()
        for (t, (path, name)) in root.tars.enumerated() {
            let reader = try TarFileReader(path: path)
            tars.append(ArchiveIndex.Tar(path: path, size: reader.size, modified: reader.modified))
            let members = try ArchiveMembers(reader: reader, tar: path, followInnerTars: true)
            hidden += members.hidden
            skipped += members.special
            let prefix = FileName.bytes(name) + [UInt8(ascii: "/")]
            for special in members.specials where !seen.insert(prefix + special).inserted {
                throw duplicate(special, tar: path)
            }
            for member in members.files {
                guard ImageList.hasImageExtension(FileName.decode(member.name)) else {
                    skipped += 1
                    continue
                }
                guard seen.insert(prefix + member.name).inserted else { throw duplicate(member.name, tar: path) }
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
            throw DatasetError(.empty, "dataset \(spec.name): the tars of \(spec.root) hold no .jpg, .jpeg or .png member")
        }
        // sorted(os.walk) order within a class: folders by their path, files by name.
        let keyed = images.map { c in (c, c.className.flatMap { classIndex[$0] } ?? -1, split(c.path)) }
        let sorted = keyed.sorted { a, b in
            if spec.role != .ood && a.1 != b.1 { return a.1 < b.1 }
            if a.2.folder != b.2.folder { return a.2.folder.lexicographicallyPrecedes(b.2.folder) }
            return a.2.file.lexicographicallyPrecedes(b.2.file)
        }
        let list = ImageList(
            paths: sorted.map { FileName.decode($0.0.path) }, labels: sorted.map(\.1),
            classes: classes.map { FileName.decode($0) }, skippedFiles: skipped, hiddenEntries: hidden)
        return (list, ArchiveIndex(tars: tars, locations: sorted.map { $0.0.location }))
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

    private static func split(_ path: [UInt8]) -> (folder: ArraySlice<UInt8>, file: ArraySlice<UInt8>) {
        let slash = path.lastIndex(of: UInt8(ascii: "/")) ?? -1
        return (path[..<max(slash, 0)], path[(slash + 1)...])
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
