import Datasets
import Foundation
import TagoodSupport
import TagoodTestSupport
import Testing

/// `tagood plan` on tars: the index is written beside plan.json and loads with it; a damaged tar stops
/// the plan with an error naming the tar and the member.
@Suite struct PlanArchiveCommandTests {
    @Test func planIndexesTarsBesideThePlan() throws {
        let dir = try TemporaryDirectory(prefix: "tagood-cli-tar")
        for f in ["n01/a.JPEG", "n02/b.JPEG", "s0.jpg", "s1.png"] {
            try TarMaker.write(Array(f.utf8), to: dir.path + "/src/" + f)
        }
        try TarMaker.pack(
            dir.path + "/train.tar", writer: .gnuTarGNU, base: dir.path + "/src",
            members: ["n01.tar=n01", "n02.tar=n02"])
        try TarMaker.pack(
            dir.path + "/wds/shard-0.tar", writer: .pythonPax, base: dir.path + "/src",
            members: ["s0.jpg", "s0.cls@=1", "s1.png"])
        let result = try TagoodProcess.run([
            "plan", "--dataset", "train:id-train:tar:\(dir.path)/train.tar",
            "--dataset", "wds:ood:webdataset:\(dir.path)/wds/*.tar", "-o", dir.path + "/out/plan.json"
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.contains("wrote \(dir.path)/out/tar-index/train.tarindex: 2 images in 1 tars"),
            "\(result.stdout)")
        let plan = try ShardPlan.load(path: dir.path + "/out/plan.json")
        #expect(plan.dataset(named: "train")?.images.paths == ["train.tar/n01.tar/a.JPEG", "train.tar/n02.tar/b.JPEG"])
        #expect(plan.dataset(named: "wds")?.images.paths == ["shard-0.tar/s0.jpg", "shard-0.tar/s1.png"])

        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/train.tar")))
        bytes.removeLast(bytes.count - 2048)
        try Data(bytes).write(to: URL(fileURLWithPath: dir.path + "/train.tar"))
        let damaged = try TagoodProcess.run([
            "plan", "--dataset", "t:id-train:tar:\(dir.path)/train.tar", "-o", dir.path + "/p.json"
        ])
        #expect(damaged.status != 0)
        #expect(
            damaged.stderr.contains("tar \(dir.path)/train.tar") && damaged.stderr.contains("truncated"),
            "\(damaged.stderr)")
    }
}
