import Datasets
import FuzzSupport

/// `fuzz-tar`: a tar as `plan` indexes it (layout tar: headers, GNU long names, pax records, inner tars;
/// layout webdataset: samples and `.cls` labels), and the same bytes as a tar index file a worker reads.
func fuzzOne(_ bytes: [UInt8]) {
    let tar = FuzzTarget.scratchFile(bytes, suffix: ".tar")
    _ = try? DatasetSpec(name: "f", role: .ood, layout: .tar, root: tar).scanWithIndex()
    _ = try? DatasetSpec(name: "f", role: .idVal, layout: .webdataset, root: tar).scanWithIndex()
    _ = try? ArchiveIndexFile.readShard(path: tar, shardIndex: 0, paths: ["a.jpg", "b.jpg"])
}

#if TAGOOD_FUZZ
@_cdecl("LLVMFuzzerTestOneInput") public func fuzzEntry(_ d: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    FuzzTarget.run(d, n, fuzzOne)
}
#else
@main struct Replay { static func main() { FuzzTarget.main(name: "fuzz-tar", fuzzOne) } }
#endif
