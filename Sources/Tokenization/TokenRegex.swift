import Foundation

/// A backtracking regular-expression matcher over Unicode scalars, for the patterns tokenizer files
/// give to `Split` pre-tokenizers and `Replace` normalizers and decoders. The Rust `tokenizers`
/// crate compiles those with Oniguruma (Ruby syntax); this follows Oniguruma's meaning of each
/// construct it accepts (`\s` is Unicode White_Space, `\p{L}` a general category, `^`/`$` are
/// line anchors, `.` stops at "\n", `x{1,3}+` repeats the interval rather than being possessive)
/// and rejects, naming it, any construct it does not implement.
struct TokenRegex: Sendable {
    private let root: Node
    /// The pattern as written, for errors.
    private let pattern: String

    /// A pattern in Oniguruma syntax.
    init(pattern: String) throws {
        var parser = Parser(scalars: Array(pattern.unicodeScalars), pattern: pattern)
        root = try parser.parseWhole()
        self.pattern = pattern
    }

    /// A pattern that matches `literal` exactly (a `{"String": …}` pattern).
    init(literal: String) {
        root = .sequence(literal.unicodeScalars.map { .scalar($0, caseInsensitive: false) })
        pattern = literal
    }

    /// The non-overlapping matches, leftmost first, as half-open ranges of scalar offsets. A
    /// pattern that backtracks past its step budget, or nests repetitions deeper than the stack
    /// allows, is an error naming it: tokenizer.json is input, and a crafted pattern must not
    /// hang or crash the process.
    func matches(in text: [Unicode.Scalar]) throws -> [Range<Int>] {
        let matcher = Matcher(text: text)
        var result: [Range<Int>] = []
        var start = 0
        while start <= text.count {
            var found: Range<Int>?
            for s in start...text.count {
                var end = -1
                if matcher.match(root, s, { end = $0; return true }) {
                    found = s..<end
                    break
                }
                if let exhausted = matcher.exhausted {
                    throw TokenizerError("the pattern \(quoted(pattern)) \(exhausted) on a text of \(text.count) characters")
                }
            }
            guard let match = found else { break }
            result.append(match)
            start = match.isEmpty ? match.upperBound + 1 : match.upperBound
        }
        return result
    }

    // MARK: - Syntax tree

    indirect enum Node: Sendable {
        case scalar(Unicode.Scalar, caseInsensitive: Bool)
        case set(CharacterSet, caseInsensitive: Bool)
        case anyButNewline
        case sequence([Node])
        case alternation([Node])
        case repetition(Node, min: Int, max: Int?, mode: RepeatMode)
        case lookahead(Node, negative: Bool)
        case atomic(Node)
        case lineStart, lineEnd, textStart, textEnd, textEndBeforeFinalNewline
        case wordBoundary(negative: Bool)

        /// Whether the node always consumes exactly one scalar (the fast path for repetitions).
        var isSingleScalar: Bool {
            switch self {
            case .scalar, .set, .anyButNewline: return true
            default: return false
            }
        }
    }

    enum RepeatMode: Sendable { case greedy, lazy, possessive }

    /// A bracket expression or escape class: ranges and properties, possibly negated.
    struct CharacterSet: Sendable {
        var ranges: [ClosedRange<UInt32>] = []
        var properties: [(Property, negated: Bool)] = []
        var subsets: [CharacterSet] = []
        var negated = false

        func contains(_ c: Unicode.Scalar) -> Bool {
            var hit = false
            for r in ranges where r.contains(c.value) { hit = true; break }
            if !hit { for (p, neg) in properties where p.contains(c) != neg { hit = true; break } }
            if !hit { for s in subsets where s.contains(c) { hit = true; break } }
            return hit != negated
        }
    }

    enum Property: Sendable {
        case whiteSpace, word, decimalDigit, any
        case categories([Unicode.GeneralCategory])

        func contains(_ c: Unicode.Scalar) -> Bool {
            switch self {
            case .whiteSpace: return c.isWhiteSpace
            case .word: return c.isWordCharacter
            case .decimalDigit: return c.properties.generalCategory == .decimalNumber
            case .any: return true
            case .categories(let list): return list.contains(c.properties.generalCategory)
            }
        }
    }

    // MARK: - Matching

    private final class Matcher {
        let text: [Unicode.Scalar]
        /// Match steps allowed for the whole text: ample for tokenizers' patterns, which take a
        /// few per character, and a bound on catastrophic backtracking.
        let budget: Int
        /// Nested match calls allowed (each repetition of a group recurses).
        static let maximumDepth = 2_000
        private var steps = 0, depth = 0
        /// Why matching gave up, once it has.
        private(set) var exhausted: String?

        init(text: [Unicode.Scalar]) {
            self.text = text
            budget = 1_000_000 + 1_000 * text.count
        }

        func matchesOne(_ node: Node, _ c: Unicode.Scalar) -> Bool {
            switch node {
            case let .scalar(s, ci): return s == c || (ci && Matcher.foldEqual(s, c))
            case let .set(set, ci):
                if set.contains(c) { return true }
                guard ci else { return false }
                let p = c.properties
                for v in [p.lowercaseMapping, p.uppercaseMapping] {
                    let scalars = v.unicodeScalars
                    if scalars.count == 1, let o = scalars.first, o != c, set.contains(o) { return true }
                }
                return false
            case .anyButNewline: return c != "\n"
            default: return false
            }
        }

        /// Simple case folding: equal after mapping both to lower or both to upper case.
        static func foldEqual(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Bool {
            let pa = a.properties, pb = b.properties
            return pa.lowercaseMapping == pb.lowercaseMapping || pa.uppercaseMapping == pb.uppercaseMapping
        }

        func isWord(_ i: Int) -> Bool { i >= 0 && i < text.count && text[i].isWordCharacter }

        /// Calls `next` with each end position `node` can reach from `pos`, in backtracking order,
        /// until `next` accepts one.
        func match(_ node: Node, _ pos: Int, _ next: (Int) -> Bool) -> Bool {
            steps += 1
            if exhausted == nil, steps > budget { exhausted = "takes more than \(budget) steps" }
            if exhausted == nil, depth >= Self.maximumDepth { exhausted = "nests more than \(Self.maximumDepth) repetitions deep" }
            if exhausted != nil { return false }
            depth += 1
            defer { depth -= 1 }
            switch node {
            case .scalar, .set, .anyButNewline:
                return pos < text.count && matchesOne(node, text[pos]) && next(pos + 1)
            case .sequence(let items):
                return matchSequence(items, 0, pos, next)
            case .alternation(let options):
                for option in options where match(option, pos, next) { return true }
                return false
            case let .repetition(inner, min, max, mode):
                if inner.isSingleScalar { return repeatSingle(inner, min, max, mode, pos, next) }
                switch mode {
                case .greedy: return repeatGreedy(inner, min, max, 0, pos, next)
                case .lazy: return repeatLazy(inner, min, max, 0, pos, next)
                case .possessive:
                    var end = -1
                    guard repeatGreedy(inner, min, max, 0, pos, { end = $0; return true }) else { return false }
                    return next(end)
                }
            case let .lookahead(inner, negative):
                let found = match(inner, pos) { _ in true }
                return found != negative && next(pos)
            case .atomic(let inner):
                var end = -1
                guard match(inner, pos, { end = $0; return true }) else { return false }
                return next(end)
            case .lineStart: return (pos == 0 || text[pos - 1] == "\n") && next(pos)
            case .lineEnd: return (pos == text.count || text[pos] == "\n") && next(pos)
            case .textStart: return pos == 0 && next(pos)
            case .textEnd: return pos == text.count && next(pos)
            case .textEndBeforeFinalNewline:
                return (pos == text.count || (pos == text.count - 1 && text[pos] == "\n")) && next(pos)
            case .wordBoundary(let negative):
                return (isWord(pos - 1) != isWord(pos)) != negative && next(pos)
            }
        }

        private func matchSequence(_ items: [Node], _ i: Int, _ pos: Int, _ next: (Int) -> Bool) -> Bool {
            if i == items.count { return next(pos) }
            return match(items[i], pos) { matchSequence(items, i + 1, $0, next) }
        }

        private func repeatSingle(_ inner: Node, _ min: Int, _ max: Int?, _ mode: RepeatMode, _ pos: Int,
                                  _ next: (Int) -> Bool) -> Bool {
            var end = pos
            let limit = max.map { Swift.min(text.count, pos + $0) } ?? text.count
            if mode == .lazy {
                while end < pos + min {
                    guard end < limit, matchesOne(inner, text[end]) else { return false }
                    end += 1
                }
                while true {
                    if next(end) { return true }
                    guard end < limit, matchesOne(inner, text[end]) else { return false }
                    end += 1
                }
            }
            while end < limit, matchesOne(inner, text[end]) { end += 1 }
            if end - pos < min { return false }
            if mode == .possessive { return next(end) }
            while end >= pos + min {
                if next(end) { return true }
                end -= 1
            }
            return false
        }

        private func repeatGreedy(_ inner: Node, _ min: Int, _ max: Int?, _ count: Int, _ pos: Int,
                                  _ next: (Int) -> Bool) -> Bool {
            if max.map({ count < $0 }) ?? true {
                // An iteration that consumes nothing ends the loop, as in Oniguruma.
                let more = match(inner, pos) { end in
                    end != pos && repeatGreedy(inner, min, max, count + 1, end, next)
                }
                if more { return true }
            }
            return count >= min && next(pos)
        }

        private func repeatLazy(_ inner: Node, _ min: Int, _ max: Int?, _ count: Int, _ pos: Int,
                                _ next: (Int) -> Bool) -> Bool {
            if count >= min && next(pos) { return true }
            guard max.map({ count < $0 }) ?? true else { return false }
            return match(inner, pos) { end in
                end != pos && repeatLazy(inner, min, max, count + 1, end, next)
            }
        }
    }

    // MARK: - Parsing

    private struct Parser {
        let scalars: [Unicode.Scalar]
        let pattern: String
        var index = 0
        var caseInsensitive = false

        init(scalars: [Unicode.Scalar], pattern: String) {
            self.scalars = scalars
            self.pattern = pattern
        }

        func unsupported(_ what: String) -> TokenizerError {
            TokenizerError("unsupported regex construct \(what) in pattern \(quoted(pattern))")
        }

        func invalid(_ what: String) -> TokenizerError {
            TokenizerError("invalid regex \(quoted(pattern)): \(what)")
        }

        var atEnd: Bool { index >= scalars.count }
        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        mutating func parseWhole() throws -> Node {
            let node = try parseAlternation()
            if !atEnd { throw invalid("unmatched ')'") }
            return node
        }

        mutating func parseAlternation() throws -> Node {
            var options = [try parseSequence()]
            while peek() == "|" {
                index += 1
                options.append(try parseSequence())
            }
            return options.count == 1 ? options[0] : .alternation(options)
        }

        mutating func parseSequence() throws -> Node {
            var items: [Node] = []
            while let c = peek(), c != "|", c != ")" {
                if c == "(", peek(1) == "?", let flagEnd = inlineFlagsEnd(), scalars[flagEnd] == ")" {
                    // `(?i)` turns case-insensitivity on for the rest of the enclosing group.
                    caseInsensitive = scalars[index + 2] == "i"
                    index = flagEnd + 1
                    continue
                }
                var atom = try parseAtom()
                atom = try parseQuantifiers(atom)
                items.append(atom)
            }
            return items.count == 1 ? items[0] : .sequence(items)
        }

        /// The index of the ')' or ':' closing `(?i` / `(?-i`, if that is what starts at the '(' here.
        func inlineFlagsEnd() -> Int? {
            var i = index + 2
            guard i < scalars.count else { return nil }
            if scalars[i] == "-" { i += 1 }
            guard i < scalars.count, scalars[i] == "i" else { return nil }
            i += 1
            guard i < scalars.count, scalars[i] == ")" || scalars[i] == ":" else { return nil }
            return i
        }

        mutating func parseQuantifiers(_ atom: Node) throws -> Node {
            var node = atom
            while let c = peek() {
                var min = 0, max: Int? = nil
                var isInterval = false
                switch c {
                case "*": min = 0; max = nil
                case "+": min = 1; max = nil
                case "?": min = 0; max = 1
                case "{":
                    guard let interval = try parseInterval() else { return node }
                    (min, max) = interval
                    isInterval = true
                default: return node
                }
                if !isInterval { index += 1 }
                var mode = RepeatMode.greedy
                if peek() == "?" {
                    mode = .lazy
                    index += 1
                } else if peek() == "+", !isInterval {
                    mode = .possessive
                    index += 1
                }
                if case .lookahead = node { throw unsupported("quantifier after a look-ahead") }
                node = .repetition(node, min: min, max: max, mode: mode)
            }
            return node
        }

        /// `{n}`, `{n,}`, `{n,m}`, `{,m}`; nil (a literal '{') when the braces do not form one.
        mutating func parseInterval() throws -> (Int, Int?)? {
            var i = index + 1
            func number() -> Int? {
                var value: Int?
                while i < scalars.count, let d = Int(String(scalars[i])), scalars[i].isASCII {
                    value = (value ?? 0) * 10 + d
                    i += 1
                }
                return value
            }
            let low = number()
            var high: Int?
            if i < scalars.count, scalars[i] == "," {
                i += 1
                high = number()
                guard low != nil || high != nil else { return nil }
            } else {
                guard low != nil else { return nil }
                high = low
            }
            guard i < scalars.count, scalars[i] == "}" else { return nil }
            if let l = low, let h = high, l > h { throw invalid("interval {\(l),\(h)} has its bounds reversed") }
            index = i + 1
            return (low ?? 0, high)
        }

        mutating func parseAtom() throws -> Node {
            let c = scalars[index]
            switch c {
            case "(": return try parseGroup()
            case "[":
                index += 1
                return .set(try parseBracket(), caseInsensitive: caseInsensitive)
            case ".":
                index += 1
                return .anyButNewline
            case "^":
                index += 1
                return .lineStart
            case "$":
                index += 1
                return .lineEnd
            case "\\":
                return try parseEscape()
            case "*", "+", "?":
                throw invalid("quantifier '\(c)' with nothing to repeat")
            default:
                index += 1
                return .scalar(c, caseInsensitive: caseInsensitive)
            }
        }

        mutating func parseGroup() throws -> Node {
            let flagsEnd = inlineFlagsEnd()
            index += 1
            let saved = caseInsensitive
            defer { caseInsensitive = saved }
            var wrap: (Node) -> Node = { $0 }
            if peek() == "?" {
                switch peek(1) {
                case ":": index += 2
                case "=": index += 2; wrap = { .lookahead($0, negative: false) }
                case "!": index += 2; wrap = { .lookahead($0, negative: true) }
                case ">": index += 2; wrap = { .atomic($0) }
                case "i", "-":
                    guard let end = flagsEnd, scalars[end] == ":" else { throw unsupported("inline option group") }
                    caseInsensitive = scalars[index + 1] == "i"
                    index = end + 1
                case "<":
                    if peek(2) == "=" || peek(2) == "!" { throw unsupported("look-behind '(?\(peek(2)!)'") }
                    // A named group: the name does not matter here.
                    while let s = peek(), s != ">" { index += 1 }
                    guard !atEnd else { throw invalid("unterminated group name") }
                    index += 1
                default:
                    throw unsupported("group '(?\(peek(1).map { String($0) } ?? "")'")
                }
            }
            let inner = try parseAlternation()
            guard peek() == ")" else { throw invalid("missing ')'") }
            index += 1
            return wrap(inner)
        }

        mutating func parseEscape() throws -> Node {
            index += 1
            guard let c = peek() else { throw invalid("trailing backslash") }
            index += 1
            switch c {
            case "A": return .textStart
            case "z": return .textEnd
            case "Z": return .textEndBeforeFinalNewline
            case "b": return .wordBoundary(negative: false)
            case "B": return .wordBoundary(negative: true)
            default:
                index -= 1
                if let set = try parseClassEscape() { return .set(set, caseInsensitive: caseInsensitive) }
                return .scalar(try parseScalarEscape(), caseInsensitive: caseInsensitive)
            }
        }

        /// `\s \S \d \D \w \W \p{…} \P{…}` after the backslash, or nil (index unchanged) for others.
        mutating func parseClassEscape() throws -> CharacterSet? {
            guard let c = peek() else { return nil }
            var set = CharacterSet()
            switch c {
            case "s", "S": set.properties = [(.whiteSpace, c == "S")]
            case "d", "D": set.properties = [(.decimalDigit, c == "D")]
            case "w", "W": set.properties = [(.word, c == "W")]
            case "p", "P":
                index += 1
                guard peek() == "{" else { throw unsupported("'\\\(c)' without braces") }
                index += 1
                var name = ""
                while let s = peek(), s != "}" { name.unicodeScalars.append(s); index += 1 }
                guard peek() == "}" else { throw invalid("unterminated \\\(c){") }
                var negated = c == "P"
                if name.hasPrefix("^") { negated.toggle(); name.removeFirst() }
                set.properties = [(try Self.property(named: name, parser: self), negated)]
            default: return nil
            }
            index += 1
            return set
        }

        static func property(named name: String, parser: Parser) throws -> Property {
            let key = name.lowercased().replacingOccurrences(of: "_", with: "").replacingOccurrences(of: " ", with: "")
            let table: [String: [Unicode.GeneralCategory]] = [
                "l": [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter],
                "letter": [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter],
                "lu": [.uppercaseLetter], "uppercaseletter": [.uppercaseLetter],
                "ll": [.lowercaseLetter], "lowercaseletter": [.lowercaseLetter],
                "lt": [.titlecaseLetter], "lm": [.modifierLetter], "lo": [.otherLetter],
                "m": [.nonspacingMark, .spacingMark, .enclosingMark], "mark": [.nonspacingMark, .spacingMark, .enclosingMark],
                "mn": [.nonspacingMark], "mc": [.spacingMark], "me": [.enclosingMark],
                "n": [.decimalNumber, .letterNumber, .otherNumber], "number": [.decimalNumber, .letterNumber, .otherNumber],
                "nd": [.decimalNumber], "nl": [.letterNumber], "no": [.otherNumber],
                "p": [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                      .initialPunctuation, .finalPunctuation, .otherPunctuation],
                "punctuation": [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                                .initialPunctuation, .finalPunctuation, .otherPunctuation],
                "pc": [.connectorPunctuation], "pd": [.dashPunctuation], "ps": [.openPunctuation],
                "pe": [.closePunctuation], "pi": [.initialPunctuation], "pf": [.finalPunctuation], "po": [.otherPunctuation],
                "s": [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol],
                "symbol": [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol],
                "sm": [.mathSymbol], "sc": [.currencySymbol], "sk": [.modifierSymbol], "so": [.otherSymbol],
                "z": [.spaceSeparator, .lineSeparator, .paragraphSeparator],
                "separator": [.spaceSeparator, .lineSeparator, .paragraphSeparator],
                "zs": [.spaceSeparator], "zl": [.lineSeparator], "zp": [.paragraphSeparator],
                "c": [.control, .format, .surrogate, .privateUse, .unassigned],
                "other": [.control, .format, .surrogate, .privateUse, .unassigned],
                "cc": [.control], "cf": [.format], "cs": [.surrogate], "co": [.privateUse], "cn": [.unassigned],
            ]
            if let categories = table[key] { return .categories(categories) }
            switch key {
            case "space", "whitespace": return .whiteSpace
            case "word": return .word
            case "digit": return .decimalDigit
            case "any": return .any
            default: throw parser.unsupported("Unicode property \\p{\(name)}")
            }
        }

        /// One escaped scalar: `\n`, `\x41`, `\x{1F600}`, `\u00e9`, or an escaped literal.
        mutating func parseScalarEscape() throws -> Unicode.Scalar {
            let c = scalars[index]
            index += 1
            switch c {
            case "n": return "\n"
            case "r": return "\r"
            case "t": return "\t"
            case "f": return "\u{0C}"
            case "v": return "\u{0B}"
            case "a": return "\u{07}"
            case "e": return "\u{1B}"
            case "0": return "\u{00}"
            case "x":
                if peek() == "{" {
                    index += 1
                    return try hexScalar(until: "}")
                }
                return try hexScalar(count: 2)
            case "u": return try hexScalar(count: 4)
            default:
                if c.properties.isAlphabetic || c.properties.numericType != nil {
                    throw unsupported("escape '\\\(c)'")
                }
                return c
            }
        }

        mutating func hexScalar(count: Int) throws -> Unicode.Scalar {
            var digits = ""
            for _ in 0..<count {
                guard let s = peek(), s.properties.isASCIIHexDigit else { throw invalid("bad hexadecimal escape") }
                digits.unicodeScalars.append(s)
                index += 1
            }
            guard let v = UInt32(digits, radix: 16), let s = Unicode.Scalar(v) else { throw invalid("bad hexadecimal escape") }
            return s
        }

        mutating func hexScalar(until end: Unicode.Scalar) throws -> Unicode.Scalar {
            var digits = ""
            while let s = peek(), s != end { digits.unicodeScalars.append(s); index += 1 }
            guard peek() == end else { throw invalid("unterminated hexadecimal escape") }
            index += 1
            guard let v = UInt32(digits, radix: 16), let s = Unicode.Scalar(v) else { throw invalid("bad hexadecimal escape") }
            return s
        }

        /// A bracket expression after its '['.
        mutating func parseBracket() throws -> CharacterSet {
            var set = CharacterSet()
            if peek() == "^" {
                set.negated = true
                index += 1
            }
            var first = true
            while true {
                guard let c = peek() else { throw invalid("unterminated '['") }
                if c == "]" && !first { index += 1; return set }
                first = false
                if c == "[" {
                    if peek(1) == ":" { throw unsupported("POSIX bracket '[:'") }
                    index += 1
                    set.subsets.append(try parseBracket())
                    continue
                }
                if c == "&", peek(1) == "&" { throw unsupported("class intersection '&&'") }
                var low: Unicode.Scalar
                if c == "\\" {
                    index += 1
                    if let inner = try parseClassEscape() {
                        set.subsets.append(inner)
                        continue
                    }
                    low = try parseScalarEscape()
                } else {
                    low = c
                    index += 1
                }
                if peek() == "-", let after = peek(1), after != "]" {
                    index += 1
                    var high: Unicode.Scalar
                    if after == "\\" {
                        index += 1
                        high = try parseScalarEscape()
                    } else {
                        high = after
                        index += 1
                    }
                    guard low.value <= high.value else { throw invalid("range \(low)-\(high) is reversed") }
                    set.ranges.append(low.value...high.value)
                } else {
                    set.ranges.append(low.value...low.value)
                }
            }
        }
    }
}
