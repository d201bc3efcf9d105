import TagoodSupport
import Yams

/// A YAML node with its file and key path, so every error can say exactly where it is
/// (`jobs/imagenet-val.yaml:12: datasets[1].root: …`). cluster.yaml (``ClusterSpec``) and job files
/// (Cluster's `JobSpec`) are read through it.
public struct ConfigNode {
    /// The file the node was read from.
    public let file: String
    /// Its key path (`datasets[1].root`).
    public let path: String
    let node: Node?

    /// The most bytes a job or cluster file may have.
    public static let maxFileBytes = 64 << 20

    /// Reads a job or cluster file (`what`: "cluster file", "job file") as text. It must be a regular file
    /// (``FileBytes/readRegular(_:limit:)``: a FIFO or a device is refused at once instead of blocking)
    /// of at most ``maxFileBytes``.
    public static func readText(_ path: String, what: String) throws(ConfigError) -> String {
        do {
            return String(decoding: try FileBytes.readRegular(path, limit: maxFileBytes), as: UTF8.self)
        } catch {
            throw ConfigError(file: path, line: nil, key: "", problem: "cannot read the \(what): \(error)")
        }
    }

    /// Parses a YAML document. Its nesting is bounded first (``ConfigNesting``, a non-recursive scan),
    /// since Yams composes nodes recursively and thousands of levels overflow the stack.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        try ConfigNesting.check(text, file: file)
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(file: file, line: nil, key: "", problem: "the file is empty")
            }
            return ConfigNode(file: file, path: "", node: node)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: file, line: nil, key: "", problem: "not valid YAML: \(error)")
        }
    }

    /// The node's line in the file, when YAML gave one.
    public var line: Int? { node?.mark?.line }

    /// An error about this node: its file, line and key, and `problem`.
    public func error(_ problem: String) -> ConfigError {
        ConfigError(file: file, line: line, key: path, problem: problem)
    }

    private func child(_ key: String, _ node: Node?) -> ConfigNode {
        ConfigNode(file: file, path: path.isEmpty ? key : "\(path).\(key)", node: node)
    }

    /// The node as a mapping whose keys must all be in `allowed`.
    public func mapping(allowed: [String]) throws(ConfigError) -> Mapping {
        guard case .mapping(let mapping)? = node else {
            throw error("expected a mapping of keys (\(allowed.joined(separator: ", ")))")
        }
        var values: [String: Node] = [:]
        var keys: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw error("keys must be strings") }
            let at = ConfigNode(file: file, path: path.isEmpty ? name : "\(path).\(name)", node: key)
            guard allowed.contains(name) else {
                throw at.error("unknown key; allowed here: \(allowed.joined(separator: ", "))")
            }
            if let first = keys[name] {
                let lines = [first.mark?.line, key.mark?.line].map { $0.map(String.init) ?? "?" }
                throw at.error("the key appears twice (lines \(lines[0]) and \(lines[1])); keep one")
            }
            keys[name] = key
            values[name] = value
        }
        return Mapping(owner: self, values: values)
    }

    /// The node as a sequence.
    public func sequence() throws(ConfigError) -> [ConfigNode] {
        guard case .sequence(let seq)? = node else { throw error("expected a list") }
        return seq.enumerated().map { ConfigNode(file: file, path: "\(path)[\($0.offset)]", node: $0.element) }
    }

    public func string() throws(ConfigError) -> String {
        guard case .scalar(let scalar)? = node, !scalar.string.isEmpty else {
            throw error("expected a non-empty string")
        }
        return scalar.string
    }

    /// A plain decimal integer. Not Yams' `node.int`: that also reads YAML 1.1 forms (`0x1f`, `1:30` =
    /// 90) and traps on a sexagesimal overflow (found by fuzz-config).
    public func int() throws(ConfigError) -> Int {
        guard case .scalar(let scalar)? = node, let value = Int(scalar.string) else {
            throw error("expected an integer, found '\(node?.string ?? "nothing")'")
        }
        return value
    }

    /// `true` or `false` (not YAML 1.1's `yes`, `on`, …, which read as strings elsewhere in this file).
    public func bool() throws(ConfigError) -> Bool {
        guard case .scalar(let scalar)? = node, ["true", "false"].contains(scalar.string) else {
            throw error("expected true or false, found '\(node?.string ?? "nothing")'")
        }
        return scalar.string == "true"
    }

    /// A finite decimal number (`2`, `0.5`, `1e-3`); not `nan`, `inf` or YAML 1.1 sexagesimal forms.
    public func double() throws(ConfigError) -> Double {
        guard case .scalar(let scalar)? = node, let value = Double(scalar.string), value.isFinite else {
            throw error("expected a number, found '\(node?.string ?? "nothing")'")
        }
        return value
    }

    /// The keys of one mapping, read one by one.
    public struct Mapping {
        let owner: ConfigNode
        let values: [String: Node]

        public func has(_ key: String) -> Bool { values[key] != nil }

        public func optional(_ key: String) -> ConfigNode? {
            values[key].map { owner.child(key, $0) }
        }

        public func required(_ key: String) throws(ConfigError) -> ConfigNode {
            guard let value = values[key] else { throw owner.error("missing required key '\(key)'") }
            return owner.child(key, value)
        }
    }
}
