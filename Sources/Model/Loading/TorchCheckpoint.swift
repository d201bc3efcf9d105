/// PyTorch's `torch.save` zip format: `<archive>/data.pkl` (a pickle whose tensors name storages by
/// persistent id) and one STORED member `<archive>/data/<key>` per storage. The archive prefix is the
/// saved file's stem, so it is found, not assumed. A top-level `{"model": state_dict}` (or
/// `"state_dict"`) wrapper is unwrapped, and a DataParallel `module.` prefix is removed. The authors' training
/// checkpoint `{"projector": state_dict, "ema": centers, "optimizer": …, "scheduler": …}` gives the projector's
/// tensors under their names and its top-level tensors (`ema`) under theirs; the optimizer and scheduler
/// dicts are not read.
enum TorchCheckpoint {
    static func read(_ file: MappedFile) throws(ModelError) -> StateDict {
        let path = file.path
        let zip = try ZipArchive(file)
        guard let pickleMember = zip.members.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") })
        else {
            throw .malformed(file: path, reason: "zip without data.pkl: not a torch.save checkpoint")
        }
        let prefix = String(pickleMember.name.dropLast("data.pkl".count))
        var byName: [String: ZipArchive.Member] = [:]
        for m in zip.members { byName[m.name] = m }
        if let order = byName[prefix + "byteorder"], let b = file.bytes(at: order.dataOffset, count: order.size),
            String(decoding: b, as: UTF8.self) != "little"
        {
            throw .malformed(file: path, reason: "big-endian checkpoint")
        }
        guard pickleMember.method == 0,
            let pickleBytes = file.bytes(at: pickleMember.dataOffset, count: pickleMember.size)
        else {
            throw .malformed(file: path, reason: "data.pkl is compressed; torch.save stores it uncompressed")
        }
        let root: PickleValue
        do { root = try PickleReader.load(pickleBytes) } catch {
            throw .malformed(file: path, reason: "data.pkl: \(error.reason)")
        }
        guard case .dict(var dict) = root else {
            throw .malformed(file: path, reason: "the checkpoint's top level is not a dict")
        }
        // Unwrap {"model": sd} / {"state_dict": sd} when the top level holds no tensors itself.
        let hasTensors = dict.items.contains {
            if case .tensor = $0.1 { return true }; return false
        }
        let projector = dict.items.first { $0.0.stringValue == "projector" }?.1
        if case .dict(let inner) = projector {
            let merged = PickleDict()
            merged.items = inner.items + dict.items.filter { if case .tensor = $0.1 { true } else { false } }
            dict = merged
        } else if !hasTensors {
            for key in ["model", "state_dict", "model_state_dict", "module"] {
                if let inner = dict.items.first(where: { $0.0.stringValue == key })?.1, case .dict(let d) = inner {
                    dict = d
                    break
                }
            }
        }
        var tensors: [String: StoredTensor] = [:]
        var names: [String] = []
        let stripModule = dict.items.allSatisfy { ($0.0.stringValue ?? "").hasPrefix("module.") }
        for (k, v) in dict.items {
            guard var name = k.stringValue, case .tensor(let t) = v else { continue }
            if stripModule { name.removeFirst("module.".count) }
            guard let dtype = t.storage.dtype else {
                throw .malformed(
                    file: path, reason: "tensor \(name): unsupported storage type torch.\(t.storage.typeName)")
            }
            guard let member = byName[prefix + "data/" + t.storage.key] else {
                throw .malformed(
                    file: path, reason: "tensor \(name): storage \(t.storage.key) missing from the archive")
            }
            guard member.method == 0 else {
                throw .malformed(file: path, reason: "storage \(t.storage.key) is compressed")
            }
            guard t.shape.count == t.strides.count, t.offset >= 0 else {
                throw .malformed(file: path, reason: "tensor \(name): size \(t.shape) and stride \(t.strides) disagree")
            }
            let start = t.offset * dtype.byteCount
            guard start <= member.size else {
                throw .malformed(file: path, reason: "tensor \(name): offset past its storage")
            }
            tensors[name] = StoredTensor(
                dtype: dtype, shape: t.shape, strides: t.strides,
                storageOffset: member.dataOffset + start, storageBytes: member.size - start, file: file)
            names.append(name)
        }
        guard !tensors.isEmpty else {
            throw .malformed(file: path, reason: "no tensors found (expected a state dict or {\"model\": state_dict})")
        }
        return StateDict(path: path, format: .pytorch, tensors: tensors, names: names, metadata: [:], file: file)
    }
}
