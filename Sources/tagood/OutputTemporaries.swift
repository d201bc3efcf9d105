import Dispatch
import Foundation
import TagoodSupport

/// The temporary files of a one-file output written through ``AtomicFile`` (`tagood extract`'s shard):
/// `<out>.tmp-<pid>-<n>` (DESIGN: "Temporary names follow one scheme"). A process stopped by a signal
/// deletes its own on the way out; one killed outright (`kill -9`) leaves them, and the next run deletes
/// those whose process is gone.
enum OutputTemporaries {
    /// The signal sources; kept alive for the whole process.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// The temporary files of `out` in its folder, with the writer's pid (nil when the tag is not
    /// `<pid>-<n>`).
    static func temporaries(of out: String) -> [(path: String, pid: Int32?)] {
        let folder = Path.directory(of: out), target = Path.basename(of: out)
        return FileSystem.list(folder).compactMap { name in
            guard AtomicFile.target(ofTemporary: name) == target else { return nil }
            let tag = name.utf8.suffix(name.utf8.count - target.utf8.count - ".tmp-".utf8.count)
            let pid = tag.split(separator: UInt8(ascii: "-")).first.flatMap {
                Int32(String(decoding: $0, as: UTF8.self))
            }
            return (Path.join(folder, name), pid)
        }
    }

    /// Deletes the temporary files of `out` whose writing process no longer runs; returns their paths.
    @discardableResult
    static func removeLeftovers(of out: String) -> [String] {
        temporaries(of: out).compactMap { file in
            guard let pid = file.pid, pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { return nil }
            return unlink(file.path) == 0 ? file.path : nil
        }
    }

    /// On SIGINT or SIGTERM, deletes this process's temporary files of `out`, says so on stderr
    /// and exits with 128 + the signal.
    static func removeOnSignal(of out: String) {
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler {
                let mine = temporaries(of: out).filter { $0.pid == getpid() }
                for file in mine where unlink(file.path) == 0 {
                    FileHandle.standardError.write(
                        Data("extract: stopped by signal \(signo); removed \(file.path)\n".utf8))
                }
                _exit(128 + signo)
            }
            source.resume()
            sources.append(source)
        }
    }
}
