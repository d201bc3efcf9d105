import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing
import Transport

/// Bad job and cluster files, and a busy port, stop `tagood launch` with an error naming the file and
/// key, before anything is written or started.
@Suite struct LaunchErrorTests {
    func setUp(cluster: String) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: "tagood-launch")
        try FileManager.default.createDirectory(atPath: dir.path + "/data/x", withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: dir.path + "/data/x/a.jpg"))
        try "job: j\noutput: out\nmodel: {config: decode-only}\ndatasets:\n  - {name: x, role: ood, root: data}\n"
            .write(toFile: dir.path + "/job.yaml", atomically: true, encoding: .utf8)
        try cluster.write(toFile: dir.path + "/cluster.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func aBadClusterFileIsNamedAndNothingStarts() throws {
        let dir = try setUp(cluster: "workers:\n  - {cores: \"0\", colour: red}\n")
        let result = try TagoodProcess.run(["launch", "job.yaml", "--cluster", "cluster.yaml"], cwd: dir.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("cluster.yaml:2: workers[0].colour: unknown key"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out"))
    }

    @Test func aBadJobFileIsNamedAndNothingStarts() throws {
        let dir = try setUp(cluster: "workers: [{cores: \"0\"}]\n")
        try "job: j\nmodel: {config: decode-only}\ndatasets:\n  - {name: x, role: ood, root: missing}\n"
            .write(toFile: dir.path + "/job.yaml", atomically: true, encoding: .utf8)
        let result = try TagoodProcess.run(["launch", "job.yaml", "--cluster", "cluster.yaml"], cwd: dir.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("job.yaml:4: datasets[0].root: dataset root"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out"))
    }

    @Test func aBusyPortIsNamedAndNothingStarts() throws {
        let context = ZMQContext()
        let holder = try ZMQSocket(context, .router)
        let endpoint = try holder.bind("tcp://127.0.0.1:*")
        let port = endpoint.split(separator: ":").last!
        let dir = try setUp(cluster: "coordinator: {port: \(port)}\nworkers: [{cores: \"0\"}]\n")
        let result = try TagoodProcess.run(["launch", "job.yaml", "--cluster", "cluster.yaml"], cwd: dir.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("cluster.yaml: coordinator.port: cannot bind"), "\(result.stderr)")
        #expect(result.stderr.contains("another process"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out"))
    }
}
