/// A bounded, non-recursive pre-scan of a YAML text for how deeply its collections nest, run before Yams
/// composes it: Yams builds nodes recursively, and 5,000 levels of `[` or of indented mappings overflowed
/// the stack (SIGSEGV, issue 25 item 8).
///
/// It follows libyaml's scanner closely enough to never count fewer levels than the parser will open:
/// a stack of block indentation columns (pushed where a `-`, `?` or key starts a collection, popped when a
/// line starts left of it, as libyaml unrolls its indents) and the flow depth (`[`, `{` outside quoted
/// scalars, plain scalars, comments, tags and block scalars). Each block level may hold an indentless
/// sequence and each flow level an implicit single-pair mapping, so the bound it checks is twice the sum.
/// It may count more than the parser would (a continuation line, a deeper key that libyaml refuses), never
/// fewer; every real config stays far below ``ConfigNesting/limit``.
enum ConfigNesting {
    /// The most nesting levels a job or cluster file may have (as bounded here): far beyond any real config.
    static let limit = 128

    /// Throws a ``ConfigError`` naming `file` and the line where the nesting passes ``limit``.
    static func check(_ text: String, file: String) throws(ConfigError) {
        var scanner = Scanner(bytes: Array(text.utf8))
        if let line = scanner.firstLineOverLimit() {
            throw ConfigError(
                file: file, line: line, key: "",
                problem: "the YAML nests more than \(limit) levels deep (lists and mappings inside each other); "
                    + "a job or cluster file needs a few: remove the nesting")
        }
    }

    struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var line = 1
        var lineStart = 0
        /// libyaml's block indents: columns where a block collection started, increasing.
        var indents: [Int] = []
        var flow = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        var column: Int { i - lineStart }
        func at(_ k: Int) -> UInt8? { k < bytes.count ? bytes[k] : nil }
        static func isBlank(_ c: UInt8?) -> Bool { c == nil || c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        static func isFlowIndicator(_ c: UInt8?) -> Bool {
            c == UInt8(ascii: ",") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]") || c == UInt8(ascii: "{")
                || c == UInt8(ascii: "}")
        }

        /// Whether the bound passed ``limit``; records the line.
        mutating func over() -> Bool { 2 * (indents.count + flow) > ConfigNesting.limit }

        mutating func newline() {
            i += 1
            line += 1
            lineStart = i
        }

        /// The first line at which the bound passes the limit, or nil.
        mutating func firstLineOverLimit() -> Int? {
            // Lines that continue a plain scalar or form a block scalar's content, while indented past this.
            var skipDeeperThan: Int?
            while i < bytes.count {
                // At the start of a line, in block context. Tabs count as columns: a larger column pops
                // fewer indents, so the count can only grow.
                var first = i
                while at(first) == 0x20 || at(first) == 0x09 { first += 1 }
                let c = at(first)
                if c == 0x0A || c == 0x0D || c == nil || c == UInt8(ascii: "#") {
                    skipLine()
                    continue
                }
                if let deeper = skipDeeperThan, first - lineStart > deeper {
                    skipLine()
                    continue
                }
                skipDeeperThan = nil
                i = first
                if column == 0, isDocumentMarker() {
                    indents.removeAll()
                    i += 3
                }
                while let last = indents.last, last > column { indents.removeLast() }
                switch blockLine() {
                case .over: return line
                case .plainMayContinue, .blockScalar: skipDeeperThan = indents.last ?? -1
                case .done: break
                }
            }
            return nil
        }

        func isDocumentMarker() -> Bool {
            guard i + 3 <= bytes.count else { return false }
            let three = bytes[i..<(i + 3)]
            return (three.elementsEqual("---".utf8) || three.elementsEqual("...".utf8)) && Self.isBlank(at(i + 3))
        }

        mutating func skipLine() {
            while i < bytes.count, bytes[i] != 0x0A { i += 1 }
            if i < bytes.count { newline() }
        }

        enum LineEnd { case done, plainMayContinue, blockScalar, over }

        /// Pushes a block collection at `column`, as libyaml's roll_indent does.
        mutating func roll(_ column: Int) {
            if indents.last.map({ $0 < column }) ?? true { indents.append(column) }
        }

        /// The tokens of one line in block context, from a token start; flow collections and quoted
        /// scalars may run onto later lines.
        mutating func blockLine() -> LineEnd {
            while true {
                while at(i) == 0x20 || at(i) == 0x09 { i += 1 }
                guard let c = at(i), c != 0x0A, c != 0x0D else {
                    skipLine()
                    return .done
                }
                let start = column
                switch c {
                case UInt8(ascii: "#"):
                    skipLine()
                    return .done
                case UInt8(ascii: "-") where Self.isBlank(at(i + 1)), UInt8(ascii: "?") where Self.isBlank(at(i + 1)),
                    UInt8(ascii: ":") where Self.isBlank(at(i + 1)):
                    if c != UInt8(ascii: ":") { roll(start) }
                    i += 1
                    if over() { return .over }
                case UInt8(ascii: "&"), UInt8(ascii: "*"):
                    i += 1
                    skipAnchor()
                    if c == UInt8(ascii: "*") { if keyFollows() { roll(start) } }
                case UInt8(ascii: "!"):
                    i += 1
                    skipTag()
                case UInt8(ascii: "|"), UInt8(ascii: ">"):
                    skipLine()
                    return .blockScalar
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    if !flowCollection() { return .over }
                    if keyFollows() { roll(start) }
                    if over() { return .over }
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    quoted(c)
                    if keyFollows() { roll(start) }
                    if over() { return .over }
                default:
                    // A plain scalar: up to ": ", " #" or the end of the line.
                    while let d = at(i), d != 0x0A, d != 0x0D {
                        if d == UInt8(ascii: ":") && Self.isBlank(at(i + 1)) { break }
                        if (d == 0x20 || d == 0x09) && at(i + 1) == UInt8(ascii: "#") { break }
                        i += 1
                    }
                    if at(i) == UInt8(ascii: ":") {
                        roll(start)
                        if over() { return .over }
                        i += 1
                    } else {
                        skipLine()
                        return .plainMayContinue
                    }
                }
            }
        }

        /// Whether a `:` (a mapping value) follows on this line after blanks: the token before was a key.
        func keyFollows() -> Bool {
            var k = i
            while at(k) == 0x20 || at(k) == 0x09 { k += 1 }
            return at(k) == UInt8(ascii: ":")
        }

        /// libyaml's anchor and alias names: `[0-9A-Za-z_-]`.
        mutating func skipAnchor() {
            while let c = at(i),
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
                    || c == 0x2D
            {
                i += 1
            }
        }

        /// A tag: libyaml's URI characters, `[` and `]` included (they are not flow indicators there).
        mutating func skipTag() {
            while let c = at(i),
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                    || Self.uriPunctuation.contains(c)
            {
                i += 1
            }
        }

        static let uriPunctuation = Set(";/?:@&=+$,.!~*'()[]%-_<>".utf8)

        /// A quoted scalar from its opening quote to its end (or the end of the text), across lines.
        mutating func quoted(_ quote: UInt8) {
            i += 1
            while let c = at(i) {
                if c == 0x0A {
                    newline()
                    continue
                }
                if quote == UInt8(ascii: "\"") && c == UInt8(ascii: "\\") {
                    if at(i + 1) == 0x0A {
                        i += 1
                        newline()
                    } else {
                        i += 2
                    }
                    continue
                }
                if c == quote {
                    if quote == UInt8(ascii: "'") && at(i + 1) == quote {
                        i += 2
                        continue
                    }
                    i += 1
                    return
                }
                i += 1
            }
        }

        /// A flow collection from its `[` or `{` to its close (or the end of the text); false when the
        /// bound passes the limit inside it.
        mutating func flowCollection() -> Bool {
            let outer = flow
            var tokenStart = true
            while let c = at(i) {
                if c == 0x0A {
                    newline()
                    continue
                }
                if c == 0x20 || c == 0x09 || c == 0x0D {
                    i += 1
                    if !tokenStart && at(i) == UInt8(ascii: "#") { skipToLineEnd() }
                    continue
                }
                switch c {
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    flow += 1
                    i += 1
                    tokenStart = true
                    if over() { return false }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    flow -= 1
                    i += 1
                    tokenStart = false
                    if flow == outer { return true }
                case UInt8(ascii: ","):
                    i += 1
                    tokenStart = true
                case UInt8(ascii: ":") where Self.isBlank(at(i + 1)) || Self.isFlowIndicator(at(i + 1)) || !tokenStart:
                    i += 1
                    tokenStart = true
                case _ where !tokenStart:
                    // Inside a plain scalar: quotes are ordinary characters.
                    i += 1
                case UInt8(ascii: "#"):
                    skipToLineEnd()
                case UInt8(ascii: "?") where Self.isBlank(at(i + 1)):
                    i += 1
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    quoted(c)
                    tokenStart = false
                case UInt8(ascii: "&"), UInt8(ascii: "*"):
                    i += 1
                    skipAnchor()
                case UInt8(ascii: "!"):
                    i += 1
                    skipTag()
                default:
                    i += 1
                    tokenStart = false
                }
            }
            return true
        }

        mutating func skipToLineEnd() {
            while let c = at(i), c != 0x0A { i += 1 }
        }
    }
}
