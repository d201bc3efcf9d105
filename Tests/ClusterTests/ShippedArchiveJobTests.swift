import Datasets
import Foundation
import Testing

@testable import Cluster

/// `jobs/openood-imagenet.yaml` parses, with OpenOOD v1.5's ImageNet-1k sets, groups and lists; and job
/// files take the tar layouts, `list:` with `tar`, and `group:`, and write them back into job.yaml.
@Suite struct ShippedArchiveJobTests {
    @Test func theOpenOODJobHasItsSetsGroupsAndLists() throws {
        let spec = try JobSpec.load(
            path: ShippedConfigTests.repository + "/jobs/openood-imagenet.yaml", checkPaths: false)
        #expect(spec.name == "openood-imagenet")
        #expect(
            spec.datasets.map(\.name) == ["imagenet-val", "ssb-hard", "ninco", "inaturalist", "textures", "openimage-o"]
        )
        #expect(spec.datasets.map(\.group) == [nil, "near", "near", "far", "far", "far"])
        #expect(
            spec.datasets.allSatisfy { $0.layout == .list && $0.listFile!.contains("benchmark_imglist/imagenet/test_") }
        )
        #expect(spec.datasets[4].root.hasSuffix("images_classic"))
    }

    @Test func jobFilesTakeTarLayoutsListsAndGroups() throws {
        let text = """
            job: t
            model: {config: decode-only}
            datasets:
              - {name: a, role: ood, layout: tar, root: /data/val.tar, list: /data/val.txt, group: near}
              - {name: b, role: ood, layout: webdataset, root: "/data/wds/shard-*.tar", group: far}
            """
        let spec = try JobSpec.parse(text, file: "/jobs/t.yaml", checkPaths: false)
        #expect(spec.datasets.map(\.layout) == [.tar, .webdataset])
        #expect(spec.datasets[0].listFile == "/data/val.txt" && spec.datasets.map(\.group) == ["near", "far"])
        let again = try JobSpec.parse(spec.yamlText(), file: "/jobs/t.yaml", checkPaths: false)
        #expect(again.datasets == spec.datasets, "job.yaml keeps the layouts, the list and the groups")
        for (bad, why) in [
            ("layout: webdataset, root: /d, list: /l", "'list' is only used with layout 'list' or 'tar'"),
            ("layout: tar, root: /d, group: \"near, far\"", "must be a name on one line")
        ] {
            let yaml = "job: t\nmodel: {config: decode-only}\ndatasets:\n  - {name: a, role: ood, \(bad)}\n"
            do {
                _ = try JobSpec.parse(yaml, file: "/jobs/t.yaml", checkPaths: false)
                Issue.record("\(bad) was accepted")
            } catch { #expect("\(error)".contains(why), "\(error)") }
        }
    }
}
