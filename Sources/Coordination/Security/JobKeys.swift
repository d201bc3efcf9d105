import Job
import TagoodSupport
import Transport

#if canImport(Glibc)
import Glibc
#endif

/// The job's CURVE keys (`keys/` in the job directory, docs/DESIGN.md "Security"): the coordinator's key
/// pair and the one worker key pair it accepts. `launch` and `resume` make them once; deleting `keys/`
/// and resuming makes new ones (the old workers can no longer connect).
public struct JobKeys: Sendable, Equatable {
    /// The coordinator's key pair (its server key).
    public let coordinator: CurveKeyPair
    /// What a worker needs to connect: the coordinator's public key and the worker key pair.
    public let worker: WorkerCredential

    /// The job's keys, made and written (``save(to:)``) if the job has none yet.
    public static func loadOrCreate(_ directory: JobDirectory) throws -> JobKeys {
        if FileSystem.exists(directory.coordinatorKeyFile) { return try load(directory) }
        let keys = try generate()
        try keys.save(to: directory)
        return keys
    }

    /// Fresh keys, in memory only.
    public static func generate() throws -> JobKeys {
        let coordinator = try CurveKeyPair.generate(), worker = try CurveKeyPair.generate()
        return JobKeys(
            coordinator: coordinator, worker: WorkerCredential(coordinatorKey: coordinator.publicKey, keys: worker))
    }

    /// Writes `keys/worker.key`, then `keys/coordinator.key` (each 0600, atomically) in a 0700 `keys/`.
    public func save(to directory: JobDirectory) throws {
        try FileSystem.makeDirectories(directory.keysFolder, mode: 0o700)
        guard chmod(directory.keysFolder, 0o700) == 0 else {
            throw CredentialError(
                .write, "cannot make \(directory.keysFolder) private (chmod 700): \(String(cString: strerror(errno)))",
                subject: directory.keysFolder)
        }
        try worker.write(to: directory.workerCredentialFile)
        try KeyFile.write(
            [
                ("public", coordinator.publicKey), ("secret", coordinator.secretKey),
                ("worker_public", worker.keys.publicKey)
            ],
            comment: "tagood coordinator key of this job: its CURVE key pair and the worker key it accepts.\n"
                + "Secret: keep it 0600; never copy or log it. Delete keys/ and `tagood resume` to rotate.",
            to: directory.coordinatorKeyFile)
    }

    /// The job's existing keys; fails naming the file when one is missing, exposed or damaged.
    public static func load(_ directory: JobDirectory) throws -> JobKeys {
        let path = directory.coordinatorKeyFile, what = "the coordinator key"
        let entries = try KeyFile.read(path: path, what: what)
        guard
            let coordinator = CurveKeyPair(
                publicKey: try KeyFile.entry(entries, "public", path: path, what: what),
                secretKey: try KeyFile.entry(entries, "secret", path: path, what: what))
        else {
            throw CredentialError(.malformed, "\(what) \(path) does not hold a valid key pair", subject: path)
        }
        let credential = try WorkerCredential.load(path: directory.workerCredentialFile)
        guard credential.keys.publicKey == (try KeyFile.entry(entries, "worker_public", path: path, what: what)),
            credential.coordinatorKey == coordinator.publicKey
        else {
            throw CredentialError(
                .malformed,
                "\(directory.workerCredentialFile) is not the credential of \(path) (the keys do not match)",
                subject: directory.workerCredentialFile,
                remedy: "delete the job's keys/ folder and `tagood resume` to make new keys")
        }
        return JobKeys(coordinator: coordinator, worker: credential)
    }
}

/// A worker's credential: the coordinator's public key (so the worker knows it talks to its job's
/// coordinator) and the worker key pair the coordinator accepts. Whoever holds it can run workers
/// for the job; nobody else completes a handshake.
public struct WorkerCredential: Sendable, Equatable {
    /// The coordinator's public key, Z85.
    public let coordinatorKey: String
    /// The worker key pair.
    public let keys: CurveKeyPair

    public init(coordinatorKey: String, keys: CurveKeyPair) {
        self.coordinatorKey = coordinatorKey
        self.keys = keys
    }

    /// The environment variable that may hold a credential file's text, for nodes that do not see the
    /// job directory (``resolve(file:environment:directory:)``).
    public static let environmentVariable = "TAGOOD_WORKER_CREDENTIAL"

    /// The socket role of a worker holding this credential.
    public var curveRole: CurveRole { .client(serverKey: coordinatorKey, keys: keys) }

    /// Reads a credential file (0600 or stricter).
    public static func load(path: String) throws(CredentialError) -> WorkerCredential {
        let what = "the worker credential"
        return try parse(KeyFile.read(path: path, what: what), path: path, what: what)
    }

    /// The credential a worker uses: the file given (`--credential`), else the text of
    /// ``environmentVariable``, else the job directory's `keys/worker.key`.
    public static func resolve(
        file: String?, environment: [String: String], directory: JobDirectory
    ) throws -> WorkerCredential {
        if let file { return try load(path: file) }
        if let text = environment[environmentVariable] {
            var entries: [String: String] = [:]
            for line in text.split(whereSeparator: { $0 == "\n" || $0 == ";" }) {
                let parts = line.trimmingWhitespace.split(separator: " ")
                if parts.count == 2 { entries[String(parts[0])] = String(parts[1]) }
            }
            return try parse(entries, path: "$\(environmentVariable)", what: "the worker credential")
        }
        guard FileSystem.exists(directory.workerCredentialFile) else {
            throw CredentialError(
                .missing,
                "no worker credential: \(directory.workerCredentialFile) does not exist, and neither "
                    + "--credential nor $\(environmentVariable) is given", subject: directory.workerCredentialFile,
                remedy:
                    "start the job with `tagood launch` first (it makes the keys), or copy keys/worker.key to this node"
            )
        }
        return try load(path: directory.workerCredentialFile)
    }

    private static func parse(
        _ entries: [String: String], path: String, what: String
    ) throws(CredentialError) -> WorkerCredential {
        let server = try KeyFile.entry(entries, "coordinator_public", path: path, what: what)
        guard CurveKeyPair.decode(server) != nil,
            let keys = CurveKeyPair(
                publicKey: try KeyFile.entry(entries, "public", path: path, what: what),
                secretKey: try KeyFile.entry(entries, "secret", path: path, what: what))
        else {
            throw CredentialError(.malformed, "\(what) \(path) does not hold valid keys", subject: path)
        }
        return WorkerCredential(coordinatorKey: server, keys: keys)
    }

    /// Writes the credential file, mode 0600.
    func write(to path: String) throws(CredentialError) {
        try KeyFile.write(
            [("coordinator_public", coordinatorKey), ("public", keys.publicKey), ("secret", keys.secretKey)],
            comment: "tagood worker credential of this job: whoever holds it can run workers for the job.\n"
                + "Keep it 0600; copy it only to nodes that run this job's workers.",
            to: path)
    }
}
