import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What every fuzz target shares. A target is one function from bytes to nothing that must never crash,
/// hang or grow without bound on any input. Built with `make fuzz` (`--sanitize fuzzer`,
/// `-DTAGOOD_FUZZ`), `LLVMFuzzerTestOneInput` calls it; in a normal build the same executable replays
/// the files and folders given on its command line (`make test` replays every committed seed and
/// regression input).
public enum FuzzTarget {
    /// Replays every file under `paths` through `body`; returns how many inputs ran.
    public static func replay(_ paths: [String], _ body: ([UInt8]) -> Void) -> Int {
        var count = 0
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                FileHandle.standardError.write(Data("no such input: \(path)\n".utf8))
                exit(2)
            }
            let files =
                isFolder.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                body(Array(data))
                count += 1
            }
        }
        return count
    }

    /// libFuzzer's `LLVMFuzzerTestOneInput`, once the target's C entry point hands the input over.
    public static func run(_ data: UnsafePointer<UInt8>, _ size: Int, _ body: ([UInt8]) -> Void) -> Int32 {
        body(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    /// The replay executable's `main`: runs every input and says how many.
    public static func main(name: String, _ body: ([UInt8]) -> Void) {
        let count = replay(Array(CommandLine.arguments.dropFirst()), body)
        print("\(name): \(count) inputs replayed, no crash")
    }

    /// A private scratch file in /dev/shm (or /tmp) for parsers that read files.
    public static let scratchPath: String = {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : "/tmp"
        return "\(folder)/tagood-fuzz-\(getpid())"
    }()

    /// Writes `bytes` to the scratch file and returns its path.
    public static func scratchFile(_ bytes: [UInt8], suffix: String = "") -> String {
        let path = scratchPath + suffix
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return path
    }
}
