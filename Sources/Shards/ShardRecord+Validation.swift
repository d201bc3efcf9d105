extension ShardRecord {
    /// Checks the record against the shard's shape; returns the first problem as a `.record` error.
    func validate(metadata: ShardMetadata, index: Int, shardPath: String) throws(ShardError) {
        func reject(_ detail: String) -> ShardError {
            ShardError(.record, path: shardPath, part: "image #\(index) (\(path.debugDescription))", detail: detail)
        }
        let width = metadata.embedDim
        if path.isEmpty { throw reject("the path is empty") }
        if path.utf8.contains(0) { throw reject("the path contains a NUL character") }
        switch metadata.role {
        case .ood where label != -1:
            throw reject("label is \(label) but OOD shards store -1 for every image")
        case .idTrain, .idVal:
            if label < 0 { throw reject("label is \(label) but in-distribution images need a class index >= 0") }
        default: break
        }
        if status.isOK {
            if !error.isEmpty { throw reject("status is ok but an error message is set (\(error.debugDescription))") }
            if tokens.count != tokenIndex.count * width {
                throw reject(
                    "tokens has \(tokens.count) values for \(tokenIndex.count) token positions; "
                        + "expected \(tokenIndex.count) rows of embed_dim \(width) = \(tokenIndex.count * width)")
            }
            if let bad = tokenIndex.firstIndex(where: { $0 < 0 || Int($0) >= metadata.imageTokens }) {
                throw reject(
                    "token_index[\(bad)] = \(tokenIndex[bad]) is outside 0..<\(metadata.imageTokens) (image_tokens)")
            }
            if globalEmbed.count != width {
                throw reject("global_embed has \(globalEmbed.count) values; expected embed_dim \(width)")
            }
            if attention.count != metadata.imageTokens {
                throw reject("attention has \(attention.count) values; expected image_tokens \(metadata.imageTokens)")
            }
            if tagIDs.count != tagProbs.count {
                throw reject("\(tagIDs.count) tag ids but \(tagProbs.count) tag probabilities")
            }
            if let bad = tagIDs.firstIndex(where: { $0 < 0 }) {
                throw reject("tag_ids[\(bad)] = \(tagIDs[bad]) is negative")
            }
            if allTagProbs.count != (metadata.allTags ?? 0) {
                throw reject(
                    metadata.allTags.map { "all_tag_probs has \(allTagProbs.count) values; expected all_tags \($0)" }
                        ?? "all_tag_probs has \(allTagProbs.count) values but the shard stores none (its metadata has no all_tags)"
                )
            }
        } else {
            if error.isEmpty { throw reject("status is \(status) but the error message is empty") }
            if !tokens.isEmpty || !tokenIndex.isEmpty {
                throw reject("a failed image (status \(status)) must have no tokens")
            }
            if !tagIDs.isEmpty || !tagProbs.isEmpty || !allTagProbs.isEmpty {
                throw reject("a failed image (status \(status)) must have no tags")
            }
            if !globalEmbed.isEmpty && globalEmbed.count != width {
                throw reject("global_embed has \(globalEmbed.count) values; expected 0 or embed_dim \(width)")
            }
            if !attention.isEmpty && attention.count != metadata.imageTokens {
                throw reject(
                    "attention has \(attention.count) values; expected 0 or image_tokens \(metadata.imageTokens)")
            }
        }
    }
}
