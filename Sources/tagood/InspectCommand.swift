import ArgumentParser
import Foundation
import Shards
import TagoodSupport

/// `tagood inspect SHARD.h5`: verifies one shard and prints what is in it.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Verify a shard and print its attributes, counts, checksums and first images.",
        discussion: """
            Runs the same verification as `tagood resume` and exits non-zero with the reason when it fails: \
            first the file's bytes against its seal (the first 512 bytes, written by tagood after HDF5 closed \
            the file), before HDF5 parses anything; then the schema, the complete flag, the counts and the \
            content checksum. The file checksum is always computed and printed; with --file-checksum it must \
            match (use the value from the job journal).

            Shards written by tagood 0.1.0 have no seal: give their --file-checksum from the journal, or \
            --allow-unsealed to open a file you trust without one.
            """
    )

    @Argument(help: "The shard file (.h5).") var shard: String

    @Option(help: "How many images to list.") var images: Int = 5

    @Option(help: "The file checksum the journal recorded (16 hex digits); verification fails if it differs.")
    var fileChecksum: String?

    @Flag(
        help:
            "Open a file that has no seal even without --file-checksum (tagood 0.1.0's shards); HDF5 then parses bytes nobody checked."
    )
    var allowUnsealed = false

    @Flag(help: "Print one JSON object instead of text.") var json = false

    mutating func run() throws {
        let verification: ShardVerification
        let listed: [ShardImage]
        do throws(ShardError) {
            let reader = try ShardReader(path: shard, expectedFileChecksum: fileChecksum, allowUnsealed: allowUnsealed)
            verification = try reader.verify()
            var first: [ShardImage] = []
            if images > 0 {
                let cursor = try reader.images(blockImages: min(images, 256))
                while first.count < images, let image = try cursor.next() { first.append(image) }
            }
            listed = first
        } catch {
            if json {
                printJSON(Failure(shard: shard, code: error.code, error: error.description))
            } else {
                FileHandle.standardError.write(
                    Data("tagood inspect: verification FAILED [\(error.code)]\n\(error)\n".utf8))
            }
            throw ExitCode(1)
        }
        if json {
            printJSON(jsonReport(verification, images: listed))
        } else {
            print(textReport(verification, images: listed))
        }
    }

    // MARK: Text

    private func textReport(_ v: ShardVerification, images: [ShardImage]) -> String {
        let m = v.header.metadata
        var lines: [String] = []
        lines.append("shard \(v.path)  (\(Format.bytes(v.fileBytes)))")
        lines.append(
            "verified: ok  content checksum \(v.contentChecksum)  file checksum \(v.fileChecksum)"
                + (fileChecksum != nil ? " (matches the journal)" : ""))
        lines.append(
            v.isSealed
                ? "sealed: yes, every byte matches the seal"
                : "sealed: no (written before tagood 0.2); its bytes were "
                    + (fileChecksum != nil ? "checked against the journal" : "not checked"))
        lines.append("")
        var attributes = TextTable("attribute", "value")
        for (name, value) in attributeList(v) { attributes.add(name, value) }
        lines.append(attributes.render())
        lines.append("")
        let failures = v.statusCounts.filter { !$0.key.isOK }.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key) \(Format.count($0.value))" }.joined(separator: ", ")
        lines.append(
            "images  \(Format.count(v.images))  ok \(Format.count(v.okImages))  failed \(Format.count(v.failedImages))"
                + (failures.isEmpty ? "" : " (\(failures))"))
        lines.append(
            "tokens  \(Format.count(v.tokens))  per ok image min \(v.tokensPerImage.min) / mean "
                + "\(Format.fixed(v.tokensPerImage.mean, 1)) / max \(v.tokensPerImage.max)  (\(m.embedDim) × \(v.header.tokenDType.rawValue))"
        )
        lines.append(
            "tags    \(Format.count(v.tags))  per ok image min \(v.tagsPerImage.min) / mean "
                + "\(Format.fixed(v.tagsPerImage.mean, 1)) / max \(v.tagsPerImage.max)")
        if !images.isEmpty {
            lines.append("")
            lines.append("first \(images.count) image\(images.count == 1 ? "" : "s"):")
            var table = TextTable(
                "#", "path", "label", "tokens", "top tags (id:prob)", "status / error", rightAligned: [0, 2, 3])
            for image in images {
                table.add(
                    String(image.index), image.path, String(image.label), String(image.tokenCount),
                    topTags(image).map { "\($0.id):\(Format.fixed(Double($0.prob), 2))" }.joined(separator: " "),
                    image.status.isOK ? "ok" : "\(image.status): \(image.error)")
            }
            lines.append(table.render())
        }
        return lines.joined(separator: "\n")
    }

    private func attributeList(_ v: ShardVerification) -> [(String, String)] {
        let m = v.header.metadata
        return [
            ("schema_version", String(v.header.schemaVersion)), ("job_id", m.jobID), ("plan_hash", m.datasetHash),
            ("shard_index", String(m.shardIndex)), ("dataset", m.dataset), ("role", m.role.rawValue),
            ("model_name", m.modelName), ("model_hash", m.modelHash), ("preprocessing", m.preprocessing),
            ("tag_threshold", String(m.tagThreshold)), ("attention_threshold", String(m.attentionThreshold)),
            ("created_by", m.createdBy), ("token_dtype", v.header.tokenDType.rawValue),
            ("embed_dim", String(m.embedDim)),
            ("image_tokens", String(m.imageTokens)), ("content_checksum", v.contentChecksum),
            ("complete", v.header.isComplete ? "1" : "0")
        ]
    }

    /// The image's three most probable tags.
    private func topTags(_ image: ShardImage) -> [(id: Int32, prob: Float)] {
        Array(zip(image.tagIDs, image.tagProbs).map { (id: $0, prob: $1) }.sorted { $0.prob > $1.prob }.prefix(3))
    }

    // MARK: JSON

    /// `inspect --json`: one object, through `Codable`.
    struct Report: Encodable {
        struct Attributes: Encodable {
            var schema_version: Int, job_id: String, plan_hash: String, shard_index: Int, dataset: String, role: String
            var model_name: String, model_hash: String, preprocessing: String, tag_threshold: Double
            var attention_threshold: Double, created_by: String, token_dtype: String, embed_dim: Int, image_tokens: Int
            var content_checksum: String, complete: Int
        }
        struct Spread: Encodable { var min: Int, mean: Double, max: Int }
        struct Tag: Encodable { var id: Int, prob: Double }
        struct Image: Encodable {
            var index: Int, path: String, label: Int, status: String, error: String, tokens: Int, top_tags: [Tag]
        }

        var shard: String
        var ok = true
        var file_bytes: Int, file_checksum: String, file_checksum_checked: Bool, sealed: Bool, content_checksum: String
        var attributes: Attributes
        var images: Int, ok_images: Int, failed_images: Int, status_counts: [String: Int], tokens: Int, tags: Int
        var tokens_per_image: Spread, tags_per_image: Spread
        var first_images: [Image]
    }

    /// `inspect --json` of a shard that did not verify.
    struct Failure: Encodable {
        var shard: String
        var ok = false
        var code: String, error: String
    }

    private func jsonReport(_ v: ShardVerification, images: [ShardImage]) -> Report {
        let m = v.header.metadata
        let attributes = Report.Attributes(
            schema_version: v.header.schemaVersion, job_id: m.jobID, plan_hash: m.datasetHash,
            shard_index: m.shardIndex,
            dataset: m.dataset, role: m.role.rawValue, model_name: m.modelName, model_hash: m.modelHash,
            preprocessing: m.preprocessing, tag_threshold: m.tagThreshold, attention_threshold: m.attentionThreshold,
            created_by: m.createdBy, token_dtype: v.header.tokenDType.rawValue, embed_dim: m.embedDim,
            image_tokens: m.imageTokens, content_checksum: v.contentChecksum, complete: v.header.isComplete ? 1 : 0)
        func spread(_ s: ShardVerification.Spread) -> Report.Spread {
            Report.Spread(min: s.min, mean: s.mean, max: s.max)
        }
        var statuses: [String: Int] = [:]
        for (status, count) in v.statusCounts { statuses[status.description] = count }
        return Report(
            shard: v.path, file_bytes: v.fileBytes, file_checksum: v.fileChecksum,
            file_checksum_checked: fileChecksum != nil,
            sealed: v.isSealed,
            content_checksum: v.contentChecksum, attributes: attributes, images: v.images, ok_images: v.okImages,
            failed_images: v.failedImages, status_counts: statuses, tokens: v.tokens, tags: v.tags,
            tokens_per_image: spread(v.tokensPerImage), tags_per_image: spread(v.tagsPerImage),
            first_images: images.map { image in
                Report.Image(
                    index: image.index, path: image.path, label: Int(image.label), status: image.status.description,
                    error: image.error, tokens: image.tokenCount,
                    top_tags: topTags(image).map { Report.Tag(id: Int($0.id), prob: Double($0.prob)) })
            })
    }

    private func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }
}
