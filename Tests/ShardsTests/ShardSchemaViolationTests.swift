@preconcurrency import CHDF5
import CHDF5Shim
import Foundation
import TagoodSupport
import Testing

@testable import Shards

/// Shards edited with raw HDF5 calls into each kind of schema or count violation, then sealed again:
/// what a buggy writer would produce. The checks behind the seal must still catch each one.
@Suite struct ShardSchemaViolationTests {
    /// Writes a valid shard, then opens it read-write, lets `edit` damage it and (with `reseal`) seals it again.
    func damagedShard(reseal: Bool = true, _ edit: (hid_t) -> Void) throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/shard.h5"
        try ShardFixtures.write((0..<20).map { ShardFixtures.record($0) }, to: path)
        let file = H5Fopen(path, tagood_H5F_ACC_RDWR(), tagood_H5P_DEFAULT())
        try #require(file >= 0)
        edit(file)
        H5Fclose(file)
        if reseal { try ShardSeal.seal(path: path, reportAs: path) }
        return (dir, path)
    }

    @Test func anEditThatWasNotSealedAgainFailsTheSeal() throws {
        let (dir, path) = try damagedShard(reseal: false) { H5Adelete($0, "complete") }
        expectCode("shard.seal", ["changed or damaged"], path)
        _ = dir
    }

    func expectCode(
        _ code: String, _ fragments: [String], _ path: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(sourceLocation: sourceLocation) {
            _ = try ShardReader(path: path).verify()
        } throws: { error in
            guard let e = error as? ShardError else { return false }
            return e.code == code && fragments.allSatisfy { e.description.contains($0) }
        }
    }

    @Test func missingDatasetIsASchemaError() throws {
        let (dir, path) = try damagedShard { H5Ldelete($0, "labels", tagood_H5P_DEFAULT()) }
        expectCode("shard.schema", ["dataset `labels`", "is missing"], path)
        _ = dir
    }

    @Test func missingCompleteFlagIsIncomplete() throws {
        let (dir, path) = try damagedShard { H5Adelete($0, "complete") }
        expectCode("shard.incomplete", ["attribute `complete`"], path)
        _ = dir
    }

    @Test func wrongSchemaVersionIsASchemaError() throws {
        let (dir, path) = try damagedShard { file in
            var two: Int64 = 2
            let attribute = H5Aopen(file, "schema_version", tagood_H5P_DEFAULT())
            H5Awrite(attribute, tagood_H5T_NATIVE_INT64(), &two)
            H5Aclose(attribute)
        }
        expectCode("shard.schema", ["attribute `schema_version`", "is 2"], path)
        _ = dir
    }

    @Test func shortOffsetsAreACountsError() throws {
        let (dir, path) = try damagedShard { file in
            let dataset = H5Dopen2(file, "token_offsets", tagood_H5P_DEFAULT())
            var size: [hsize_t] = [20]
            H5Dset_extent(dataset, &size)
            H5Dclose(dataset)
        }
        expectCode("shard.counts", ["dataset `token_offsets`", "has 20 rows", "N + 1 = 21"], path)
        _ = dir
    }

    @Test func decreasingOffsetsAreACountsError() throws {
        let (dir, path) = try damagedShard { file in
            let dataset = H5Dopen2(file, "token_offsets", tagood_H5P_DEFAULT())
            var values: [Int64] = [0, 5, 2]
            let space = H5Dget_space(dataset)
            var start: [hsize_t] = [0], count: [hsize_t] = [3]
            H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nil, &count, nil)
            let memory = H5Screate_simple(1, &count, nil)
            H5Dwrite(dataset, tagood_H5T_NATIVE_INT64(), memory, space, tagood_H5P_DEFAULT(), &values)
            H5Sclose(memory); H5Sclose(space); H5Dclose(dataset)
        }
        expectCode("shard.counts", ["dataset `token_offsets`", "decreases at image #1"], path)
        // The streaming reader refuses the damaged offsets too, without crashing.
        #expect(throws: ShardError.self) { try ShardReader(path: path).forEach { _ in } }
        _ = dir
    }

    @Test func wrongDatasetTypeIsASchemaError() throws {
        let (dir, path) = try damagedShard { file in
            H5Ldelete(file, "status", tagood_H5P_DEFAULT())
            var dims: [hsize_t] = [20]
            let space = H5Screate_simple(1, &dims, nil)
            let dataset = H5Dcreate2(
                file, "status", tagood_H5T_STD_I32LE(), space, tagood_H5P_DEFAULT(),
                tagood_H5P_DEFAULT(), tagood_H5P_DEFAULT())
            H5Dclose(dataset); H5Sclose(space)
        }
        expectCode("shard.schema", ["dataset `status`", "int32", "expected uint8"], path)
        _ = dir
    }
}
