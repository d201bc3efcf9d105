import Foundation
import TagoodSupport
import TagoodTestSupport

@testable import Cluster
@testable import Launch

/// A real OpenSSH server for a test: `sshd -D -f <generated config>` on a free port of 127.0.0.1, with a
/// generated host key and a generated user key, and an ssh client config that reaches it under the host
/// aliases `node-1`, `node-2`, … Stopped when released.
final class LocalSSHD {
    let dir: TemporaryDirectory
    let port: Int
    private var process: ChildProcess?
    /// The client config (`ssh -F <file>`).
    var clientConfig: String { dir.path + "/ssh_config" }

    init(hosts: Int = 2) throws {
        dir = try TemporaryDirectory(prefix: "tagood-sshd")
        chmod(dir.path, 0o700)
        port = try Self.freePort()
        for key in ["host_key", "user_key"] {
            let keygen = try TagoodProcess.runProgram(
                "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir.path + "/" + key])
            guard keygen.status == 0 else { throw Failure("ssh-keygen failed: \(keygen.stdout)") }
        }
        try FileManager.default.copyItem(atPath: dir.path + "/user_key.pub", toPath: dir.path + "/authorized_keys")
        // Privilege separation.
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(dir.path)/host_key
        AuthorizedKeysFile \(dir.path)/authorized_keys
        PidFile \(dir.path)/sshd.pid
        PermitRootLogin prohibit-password
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes no
        LogLevel ERROR
        """.write(toFile: dir.path + "/sshd_config", atomically: true, encoding: .utf8)
        var client = ""
        for i in 1...hosts {
            client += """
                Host node-\(i)
                  HostName 127.0.0.1
                  Port \(port)
                  User \(String(cString: getpwuid(getuid())!.pointee.pw_name))
                  IdentityFile \(dir.path)/user_key
                  IdentitiesOnly yes
                  StrictHostKeyChecking no
                  UserKnownHostsFile /dev/null
                  LogLevel ERROR

                """
        }
        try client.write(toFile: clientConfig, atomically: true, encoding: .utf8)
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            throw Failure("/usr/sbin/sshd is missing: `make deps` installs openssh-server")
        }
        // posix_spawn, not Foundation's Process: its waitUntilExit can miss later children's exits meanwhile.
        process = try ChildProcess(
            executable: "/usr/sbin/sshd", arguments: ["-D", "-e", "-f", dir.path + "/sshd_config"],
            logFile: dir.path + "/sshd.log")
        // Ready when a client gets in.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let probe = try? TagoodProcess.runProgram(
                "/usr/bin/ssh", ["-F", clientConfig, "-o", "BatchMode=yes", "node-1", "true"]),
                probe.status == 0
            {
                return
            }
            usleep(100_000)
        }
        throw Failure("sshd on 127.0.0.1:\(port) did not accept the test's key within 10 s")
    }

    deinit {
        process?.signal(SIGTERM)
        _ = process?.wait(seconds: 5)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A TCP port that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw Failure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
