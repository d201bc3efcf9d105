import Foundation
import TagoodSupport
import Testing

@testable import Shards

/// The module assumes the linked HDF5 is the thread-safe build (Debian's libhdf5-103 1.10.8 is).
@Suite struct ShardConcurrencyTests {
    @Test func linkedHDF5IsThreadSafe() {
        #expect(HDF5.isThreadSafe == true, "ShardWriter/ShardReader on several threads need the thread-safe HDF5 build")
    }

    @Test func writersAndReadersOnSeveralThreads() throws {
        let dir = try TemporaryDirectory()
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 4) { n in
            do {
                let path = dir.path + "/shard-\(n).h5"
                let summary = try ShardFixtures.write(
                    (0..<(100 + n)).map { ShardFixtures.record($0) }, to: path,
                    options: .init(bufferBytes: 2048))
                let verification = try ShardReader(path: path, expectedFileChecksum: summary.fileChecksum).verify()
                results.add(verification.images)
            } catch {
                results.add(-1)
            }
        }
        #expect(results.sorted == [100, 101, 102, 103])
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []
    func add(_ value: Int) { lock.lock(); values.append(value); lock.unlock() }
    var sorted: [Int] { lock.lock(); defer { lock.unlock() }; return values.sorted() }
}
