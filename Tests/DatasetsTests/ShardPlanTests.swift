import Foundation
import Testing

@testable import Datasets

@Suite struct ShardPlanTests {
    func makeTree() throws -> TreeBuilder {
        let tree = try TreeBuilder()
        try tree.files((0..<7).map { "train/c\($0 % 3)/img\($0).JPEG" } + (0..<5).map { "ood/deep/x\($0).png" })
        return tree
    }

    func specs(_ tree: TreeBuilder) -> [DatasetSpec] {
        [
            DatasetSpec(name: "train", role: .idTrain, layout: .imageFolder, root: tree.root + "/train"),
            DatasetSpec(name: "far-ood", role: .ood, layout: .nested, root: tree.root + "/ood")
        ]
    }

    @Test func cutsFixedSizeShardsWithStableIds() throws {
        let tree = try makeTree()
        let plan = try ShardPlan.make(datasets: specs(tree), imagesPerShard: 3)
        let train = try #require(plan.dataset(named: "train"))
        #expect(train.shards.map(\.count) == [3, 3, 1])
        #expect(train.shards.map(\.start) == [0, 3, 6])
        #expect(train.shards[2].fileName == "shard-00002.h5")
        #expect(plan.dataset(named: "far-ood")!.shards.map(\.count) == [3, 2])
        #expect(plan.imageCount == 12 && plan.shardCount == 5)
    }

    @Test func planIsDeterministic() throws {
        let tree = try makeTree()
        let a = try ShardPlan.make(datasets: specs(tree), imagesPerShard: 3)
        let b = try ShardPlan.make(datasets: specs(tree), imagesPerShard: 3)
        #expect(a == b)
        #expect(a.jsonBytes() == b.jsonBytes())
    }

    @Test func hashChangesWithShardSizeAndList() throws {
        let tree = try makeTree()
        let base = try ShardPlan.make(datasets: specs(tree), imagesPerShard: 3)
        let resized = try ShardPlan.make(datasets: specs(tree), imagesPerShard: 4)
        #expect(base.hash != resized.hash)
        try tree.files(["ood/deep/x9.png"])
        let grown = try ShardPlan.make(datasets: specs(tree), imagesPerShard: 3)
        #expect(base.hash != grown.hash)
        // Only the changed dataset's hash moves.
        #expect(base.dataset(named: "train")!.hash == grown.dataset(named: "train")!.hash)
        #expect(base.dataset(named: "far-ood")!.hash != grown.dataset(named: "far-ood")!.hash)
    }

    @Test func planJSONRoundTripsAndDetectsTampering() throws {
        let tree = try makeTree()
        let plan = try ShardPlan.make(datasets: specs(tree), imagesPerShard: 3)
        let path = tree.root + "/plan.json"
        try plan.write(to: path)
        #expect(try ShardPlan.load(path: path) == plan)
        // The file is valid JSON for other tools too.
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        #expect(json["plan_hash"] as? String == plan.hash)

        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "img3.JPEG", with: "img3b.JPEG")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try ShardPlan.load(path: path)
        } throws: { error in
            (error as! DatasetError).description.contains("does not match")
        }
        try "{ not json".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.self) { try ShardPlan.load(path: path) }
    }

    @Test func rejectsBadShardSizeNamesAndDuplicates() throws {
        let tree = try makeTree()
        #expect(throws: DatasetError.self) { try ShardPlan.make(datasets: specs(tree), imagesPerShard: 0) }
        var bad = specs(tree)
        bad[0].name = "../escape"
        #expect(throws: DatasetError.self) { try ShardPlan.make(datasets: bad, imagesPerShard: 3) }
        var twice = specs(tree)
        twice[1].name = "train"
        #expect(throws: DatasetError.self) { try ShardPlan.make(datasets: twice, imagesPerShard: 3) }
    }

    @Test func listLayoutPlansFromTheListFile() throws {
        let tree = try makeTree()
        try tree.write("deep/x4.png\ndeep/x0.png\n", to: "ood.txt")
        let spec = DatasetSpec(
            name: "listed", role: .ood, layout: .list, root: tree.root + "/ood", listFile: tree.root + "/ood.txt")
        let plan = try ShardPlan.make(datasets: [spec], imagesPerShard: 10)
        #expect(plan.datasets[0].images.paths == ["deep/x4.png", "deep/x0.png"])
        #expect(
            try ShardPlan.load(
                path: {
                    try plan.write(to: tree.root + "/p.json"); return tree.root + "/p.json"
                }()) == plan)
    }
}
