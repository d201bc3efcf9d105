import Foundation
import TagoodSupport

#if canImport(Glibc)
import Glibc
#endif

/// The exclusive lock a coordinator holds on its job directory for as long as it runs: `flock` on
/// `<job>/coordinator.lock`, so a second `launch` or `resume` of the same job fails at once, naming the
/// holder, instead of leasing the same shards twice and deleting the first run's staging files. Readers
/// (`tagood status`, `tagood reduce`) take no lock.
///
/// The kernel drops the lock when the process dies, however it dies, so a `kill -9` never leaves a stale
/// lock. The file also records who holds it (pid, host, since), written after the lock is taken. On NFS,
/// `flock` is emulated with POSIX byte-range locks through `lockd` (Linux ≥ 2.6.12), which works across
/// clients when every host mounts with locking on (the default; `nolock` or `local_lock=flock` turn it
/// off and then only one host is protected).
public final class JobLock {
    /// The lock file.
    public let path: String
    private let fd: Int32

    /// Who holds a job's lock, as its holder wrote it.
    public struct Holder: Codable, Sendable, Equatable {
        public var pid: Int32
        public var host: String
        /// Wall-clock seconds since 1970.
        public var since: Double
    }

    /// Takes the lock of `directory` (which must exist), or throws ``JobErrorKind/locked`` naming the holder.
    public init(directory: JobDirectory, host: String, time: any TimeSource = SystemTime()) throws(JobError) {
        path = directory.lockFile
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw JobError(
                .invalid, "cannot open the job's lock file \(path): \(String(cString: strerror(errno)))", subject: path,
                remedy: "check that the job directory exists and is writable")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(fd)
            guard error == EWOULDBLOCK else {
                throw JobError(
                    .invalid, "cannot lock \(path): \(String(cString: strerror(error)))", subject: path,
                    remedy: "on NFS, mount with locking on (not `nolock`)")
            }
            let holder = Self.holder(of: directory)
            let who =
                holder.map { "pid \($0.pid) on host \($0.host) (since \(Self.format($0.since)))" } ?? "another process"
            throw JobError(
                .locked, "job \(directory.path) is being run by \(who)", subject: directory.path,
                remedy:
                    "wait for it to finish, or stop it (Ctrl-C, or `kill \(holder?.pid ?? 0)` on \(holder?.host ?? "its host")) and then `tagood resume`; `tagood status \(directory.path)` shows its progress"
            )
        }
        self.fd = fd
        let holder = Holder(pid: getpid(), host: host, since: time.wall())
        var text = Array((try? JSONEncoder().encode(holder)) ?? Data())
        text.append(UInt8(ascii: "\n"))
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        _ = fsync(fd)
    }

    deinit { close(fd) } // closing the last descriptor releases the lock

    /// Who holds (or last held) the lock of `directory`, from the lock file.
    public static func holder(of directory: JobDirectory) -> Holder? {
        guard let bytes = try? FileBytes.read(directory.lockFile) else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: Data(bytes))
    }

    /// Whether some process holds the lock of `directory` now (a test `flock` that is given back at once).
    public static func isHeld(_ directory: JobDirectory) -> Bool {
        let fd = open(directory.lockFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    static func format(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: false))
    }
}
