import Datasets
import Foundation
import Launch

extension JobSpec {
    /// The resolved spec as YAML, with absolute paths: `job.yaml` in the job directory, which workers
    /// read so that every process runs with exactly what was launched.
    public func yamlText() -> String {
        func q(_ s: String) -> String {
            let data = try! JSONEncoder().encode(s) // a JSON string is a valid YAML scalar
            return String(decoding: data, as: UTF8.self)
        }
        func absolute(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.path
        }
        var lines = [
            "# The job as launched (tagood resolves every path). Workers read this file.",
            "job: \(q(name))",
            "output: \(q(absolute(output)))",
            "model:",
            "  config: \(q(model.config.hasSuffix(".json") ? absolute(model.config) : model.config))"
        ]
        if !isDecodeOnly {
            lines += ["  weights: \(q(absolute(model.weights)))", "  tags: \(q(absolute(model.tags)))"]
        }
        if let classTags { lines.append("class_tags: \(q(absolute(classTags)))") }
        lines.append("datasets:")
        for d in datasets {
            var entry =
                "  - {name: \(q(d.name)), role: \(d.role.rawValue), layout: \(d.layout.rawValue), root: \(q(absolute(d.root)))"
            if let list = d.listFile { entry += ", list: \(q(absolute(list)))" }
            if let group = d.group { entry += ", group: \(q(group))" }
            lines.append(entry + "}")
        }
        let e = extract
        lines += [
            "extract:",
            "  images_per_shard: \(e.imagesPerShard)",
            "  token_dtype: \(e.tokenDType == .float16 ? "f16" : "f32")",
            "  compression: \(e.gzipLevel.map { "gzip-\($0)" } ?? "none")",
            "  tag_threshold: \(e.tagThreshold)",
            "  attention_threshold: \(e.attentionThreshold)",
            "  batch_size: \(e.batchSize)",
            "  decode_threads: \(e.decodeThreads)",
            "  max_pixels: \(e.maxPixels)",
            "  all_tag_probs: \(e.allTagProbs)"
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
