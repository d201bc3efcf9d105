import Foundation
import TagoodSupport

/// Reads and writes the reducer's JSON files (sorted keys, so equal values give equal bytes).
enum JSONFiles {
    static func write<T: Encodable>(_ value: T, to path: String, pretty: Bool = true) throws(ReduceError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(value)) + [UInt8(ascii: "\n")] } catch {
            throw ReduceError(.write, "cannot encode \(path): \(error)")
        }
        do { try AtomicFile.write(bytes, to: path) } catch {
            throw ReduceError(.write, "cannot write \(path): \(error); check free space and permissions")
        }
    }

    static func read<T: Decodable>(_ type: T.Type, from path: String, missing: ReduceError) throws(ReduceError) -> T {
        guard FileSystem.exists(path) else { throw missing }
        do {
            return try JSONDecoder().decode(type, from: Data(try FileBytes.read(path)))
        } catch {
            throw ReduceError(.damaged, "\(path) cannot be read (\(error)); re-run `tagood reduce`")
        }
    }
}
