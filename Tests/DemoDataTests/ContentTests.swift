import DemoData
import Imaging
import TagoodSupport
import Testing

@Suite struct ContentTests {
    /// Enough images per kind for statistics, decoded from the files as the pipeline will see them.
    static func decodedTree() throws -> (tree: GeneratedTree, images: [String: RGBImage]) {
        let dataset = DemoDataset(
            seed: 2024, classes: 8, trainPerClass: 8, valPerClass: 6, oodNear: 10, oodFar: 25,
            size: 96)
        let tree = try GeneratedTree(dataset, name: "content")
        var images: [String: RGBImage] = [:]
        for file in tree.manifest.files {
            images[file] = try ImageDecoder().decode(file: tree.root + "/" + file).image
        }
        return (tree, images)
    }

    @Test func classesHaveDistinctColoursThatIdentifyThem() throws {
        let (tree, images) = try Self.decodedTree()
        let classes = tree.manifest.classes
        // Each class's mean object colour, from train.
        var centroids: [[Double]] = []
        for item in classes {
            let vivid = tree.manifest.files.filter { $0.hasPrefix("train/\(item.folder)/") }
                .compactMap { ImageStatistics(images[$0]!).vividMean }
            #expect(vivid.count >= 7, "\(item.folder): too few images with a coloured object")
            centroids.append(ImageStatistics.mean(vivid))
        }
        for a in 0..<classes.count {
            for b in (a + 1)..<classes.count {
                let d = ImageStatistics.distance(centroids[a], centroids[b])
                #expect(d > 50, "\(classes[a].folder) and \(classes[b].folder) are only \(d) apart in colour")
            }
        }
        // Nearest-centroid classification of val by object colour alone.
        var right = 0, total = 0
        for (label, item) in classes.enumerated() {
            for file in tree.manifest.files where file.hasPrefix("val/\(item.folder)/") {
                total += 1
                guard let colour = ImageStatistics(images[file]!).vividMean else { continue }
                let guess = centroids.indices.min {
                    ImageStatistics.distance(colour, centroids[$0]) < ImageStatistics.distance(colour, centroids[$1])
                }
                if guess == label { right += 1 }
            }
        }
        #expect(Double(right) >= 0.9 * Double(total), "\(right) of \(total) val images classified by colour")
    }

    @Test func farOODIsBusierAndMoreColourfulThanInDistribution() throws {
        let (tree, images) = try Self.decodedTree()
        func statistics(_ prefix: String) -> [ImageStatistics] {
            tree.manifest.files.filter { $0.hasPrefix(prefix) }.map { ImageStatistics(images[$0]!) }
        }
        let id = statistics("train/") + statistics("val/"), near = statistics("ood-near/"), far = statistics("ood-far/")
        func mean(_ s: [ImageStatistics], _ key: (ImageStatistics) -> Double) -> Double {
            s.map(key).reduce(0, +) / Double(s.count)
        }
        let idEdges = mean(id, \.edgeEnergy), farEdges = mean(far, \.edgeEnergy), nearEdges = mean(near, \.edgeEnergy)
        let idMuted = mean(id, \.mutedFraction), farMuted = mean(far, \.mutedFraction),
            nearMuted = mean(near, \.mutedFraction)
        // In-distribution images are mostly muted background around one coloured object; far-OOD images
        // are saturated from edge to edge, with no background for an object to stand out from.
        #expect(farMuted < idMuted - 0.4, "muted fraction: far \(farMuted), in-distribution \(idMuted)")
        let idMedianMuted = id.map(\.mutedFraction).sorted()[id.count / 2]
        #expect(far.allSatisfy { $0.mutedFraction < idMedianMuted })
        // And busier: stripes, checks and fine noise.
        #expect(farEdges > 2 * idEdges, "edge energy: far \(farEdges), in-distribution \(idEdges)")
        // Near-OOD images are drawn in the in-distribution style.
        #expect(
            abs(nearMuted - idMuted) < 0.1 && abs(nearEdges - idEdges) < 1.5,
            "near: muted \(nearMuted) edges \(nearEdges); in-distribution: muted \(idMuted) edges \(idEdges)")
    }

    @Test func renderingIsTheSameEverywhere() {
        // The pixels before JPEG encoding depend on IEEE arithmetic only, so they are pinned here; a change
        // to the drawing code changes these on purpose (update them then). The JPEG bytes also depend on
        // the libjpeg build, so they are not pinned.
        let dataset = DemoDataset(seed: 42, size: 96)
        let items: [DemoItem] = [
            .inDistribution(.train, 0, 0), .inDistribution(.val, 5, 3), .nearOOD(1), .farOOD(0),
            .farOOD(1), .farOOD(2), .farOOD(3), .farOOD(4)
        ]
        let hashes = items.map { String(XXH64.hash(dataset.render($0).pixels), radix: 16) }
        #expect(
            hashes == [
                "58617d83134d8cb4", "de56ca999050eb4a", "83d95afa8d73ff19", "b33c89bb0930fedd",
                "a46a6af9202ad986", "34f237f26b0a36ae", "3aaf7f693e449ec7", "b5c27008a5a5dd42"
            ])
        #expect(dataset.render(items[0]) == dataset.render(items[0]))
    }
}
