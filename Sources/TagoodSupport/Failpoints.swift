#if canImport(Glibc)
import Glibc
#endif

/// Fault injection for the fault-tolerance tests, read once from `TAGOOD_FAILPOINTS`: comma-separated
/// `name=value` items. Never set it in production. The names in use:
///
/// - `crash-on-image=<text>`: an extraction worker aborts (SIGABRT) at an image whose path contains
///   `<text>`, as a decoder crash would.
/// - `delay-per-image-ms=<n>`: extraction sleeps `n` ms per image, so a test can act mid-shard.
/// - `delay-per-shard-ms=<n>`: a reduce worker sleeps `n` ms (cancellably) before each shard.
/// - `worker-exit-once=<path>`: `tagood worker` exits with status 3 at once if it can create `<path>`
///   (so only the first worker started does), as a worker that cannot start would.
/// - `delay-per-train-step-ms=<n>`: `tagood train` sleeps `n` ms after each step, so a test can kill it mid-epoch.
public enum Failpoints {
    /// The parsed items of `TAGOOD_FAILPOINTS` (empty when unset).
    public static let items: [String: String] = parse(getenv("TAGOOD_FAILPOINTS").map { String(cString: $0) } ?? "")

    /// Parses `a=1,b=x`; items without `=` are ignored.
    public static func parse(_ text: String) -> [String: String] {
        var items: [String: String] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { items[parts[0]] = parts[1] }
        }
        return items
    }

    /// The text of failpoint `name`, if set.
    public static func text(_ name: String) -> String? { items[name] }

    /// The integer value of failpoint `name`, or 0.
    public static func integer(_ name: String) -> Int { items[name].flatMap { Int($0) } ?? 0 }
}
