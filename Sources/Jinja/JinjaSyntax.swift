/// The syntax tree of the Jinja subset chat templates use.
indirect enum JinjaExpression {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpression])
    case dict([(JinjaExpression, JinjaExpression)])
    case attribute(JinjaExpression, String)
    case item(JinjaExpression, JinjaExpression)
    case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
    case call(JinjaExpression, arguments: [JinjaExpression], keywords: [(String, JinjaExpression)])
    case filter(JinjaExpression, name: String, arguments: [JinjaExpression], keywords: [(String, JinjaExpression)])
    case test(JinjaExpression, name: String, arguments: [JinjaExpression], negated: Bool)
    case unary(String, JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    /// `a < b <= c`: each comparison with the operand before it, all of which must hold (Python's chaining).
    case comparison(JinjaExpression, [(String, JinjaExpression)])
    case conditional(JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
}

enum JinjaSetTarget {
    case names([String])
    case attribute(String, String)
}

indirect enum JinjaStatement {
    case text(String)
    case output(JinjaExpression, line: Int)
    case conditional([(JinjaExpression, [JinjaStatement])], otherwise: [JinjaStatement], line: Int)
    case loop(targets: [String], iterable: JinjaExpression, filter: JinjaExpression?, body: [JinjaStatement],
              otherwise: [JinjaStatement], line: Int)
    case set(JinjaSetTarget, JinjaExpression, line: Int)
    case setBlock(String, body: [JinjaStatement], line: Int)
    case macro(JinjaMacro)
    case loopBreak(line: Int)
    case loopContinue(line: Int)
    /// transformers' `{% generation %}` marks assistant text; it renders its body unchanged.
    case generation([JinjaStatement])
}

/// Splits template source into text and tags, applying Jinja's whitespace control as
/// transformers configures it (`trim_blocks`, `lstrip_blocks`, `-` and `+` modifiers, newlines
/// normalised to "\n" and one trailing newline dropped).
struct JinjaLexer {
    enum TagKind { case output, statement }

    enum Token: Equatable {
        case name(String)
        case string(String)
        case int(Int)
        case double(Double)
        case symbol(String)
    }

    enum Piece {
        case text(String)
        case tag(TagKind, [Token], line: Int)
    }

    static func pieces(_ template: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) throws -> [Piece] {
        var source = Array(template.replacingOccurrencesOfNewlines().unicodeScalars)
        if source.last == "\n" { source.removeLast() }
        var pieces: [Piece] = []
        var text: [Unicode.Scalar] = []
        var i = 0
        var line = 1
        var lineStarting = true
        var stripNextWhitespace = false

        func flushText() {
            if !text.isEmpty { pieces.append(.text(String(String.UnicodeScalarView(text)))) }
            text = []
        }

        while i < source.count {
            let c = source[i]
            guard c == "{", i + 1 < source.count, "{%#".unicodeScalars.contains(source[i + 1]) else {
                if stripNextWhitespace && c.properties.isWhitespace {
                    // Whether the whitespace a '-' tag swallowed ended a line (Jinja's `line_starting`).
                    lineStarting = c == "\n"
                    if c == "\n" { line += 1 }
                    i += 1
                    continue
                }
                stripNextWhitespace = false
                if c == "\n" { line += 1 }
                text.append(c)
                i += 1
                continue
            }
            stripNextWhitespace = false
            let opener = source[i + 1]
            let closer: Unicode.Scalar = opener == "{" ? "}" : opener
            let tagLine = line
            var j = i + 2
            let modifier = j < source.count && (source[j] == "-" || source[j] == "+") ? source[j] : nil
            if modifier != nil { j += 1 }
            // Whitespace control before the tag.
            if modifier == "-" {
                while let last = text.last, last.properties.isWhitespace { text.removeLast() }
            } else if lstripBlocks && opener != "{" && modifier != "+" {
                let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                if (lineStart > 0 || lineStarting) && lineStart < text.count
                    && text[lineStart...].allSatisfy({ $0.properties.isWhitespace }) {
                    text.removeSubrange(lineStart...)
                }
            }
            // Find the end of the tag, skipping string literals inside expressions.
            var inner: [Unicode.Scalar] = []
            var end: Int?
            var quote: Unicode.Scalar?
            var k = j
            while k < source.count {
                let s = source[k]
                if let q = quote {
                    if s == "\\" && k + 1 < source.count { inner += [s, source[k + 1]]; k += 2; continue }
                    if s == q { quote = nil }
                } else if opener != "#" && (s == "'" || s == "\"") {
                    quote = s
                } else if s == closer, k + 1 < source.count, source[k + 1] == "}" {
                    end = k
                    break
                } else if s == "-" || s == "+", k + 2 < source.count, source[k + 1] == closer, source[k + 2] == "}" {
                    end = k
                    break
                }
                if s == "\n" { line += 1 }
                inner.append(s)
                k += 1
            }
            guard let tagEnd = end else {
                throw JinjaError("line \(tagLine): unclosed '{\(opener)' tag")
            }
            let rightModifier = source[tagEnd] == closer ? nil : source[tagEnd]
            i = tagEnd + (rightModifier == nil ? 2 : 3)
            flushText()
            if rightModifier == "-" {
                stripNextWhitespace = true
                lineStarting = false
            } else if trimBlocks && opener != "{" && i < source.count && source[i] == "\n" {
                i += 1
                line += 1
                lineStarting = true
            } else {
                lineStarting = false
            }
            if opener == "#" { continue }
            let tokens = try tokenize(inner, line: tagLine)
            pieces.append(.tag(opener == "{" ? .output : .statement, tokens, line: tagLine))
        }
        flushText()
        return pieces
    }

    static func tokenize(_ s: [Unicode.Scalar], line: Int) throws -> [Token] {
        var tokens: [Token] = []
        var i = 0
        let symbols = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "|", ".", ",", ":",
                       "(", ")", "[", "]", "{", "}"]
        while i < s.count {
            let c = s[i]
            if c.properties.isWhitespace { i += 1; continue }
            if c.properties.isAlphabetic || c == "_" {
                var name = String.UnicodeScalarView()
                while i < s.count, s[i].properties.isAlphabetic || s[i] == "_" || s[i].properties.numericType == .decimal {
                    name.append(s[i]); i += 1
                }
                tokens.append(.name(String(name)))
                continue
            }
            if ("0"..."9").contains(c) {
                var digits = ""
                var isDouble = false
                while i < s.count, ("0"..."9").contains(s[i]) || s[i] == "_"
                    || (s[i] == "." && !isDouble && i + 1 < s.count && ("0"..."9").contains(s[i + 1])) {
                    if s[i] == "." { isDouble = true }
                    if s[i] != "_" { digits.unicodeScalars.append(s[i]) }
                    i += 1
                }
                if isDouble, let d = Double(digits) { tokens.append(.double(d)) } else if let n = Int(digits) { tokens.append(.int(n)) } else {
                    throw JinjaError("line \(line): bad number '\(digits)'")
                }
                continue
            }
            if c == "'" || c == "\"" {
                tokens.append(.string(try stringLiteral(s, &i, line: line)))
                continue
            }
            guard let symbol = symbols.first(where: { sym in
                let u = Array(sym.unicodeScalars)
                return i + u.count <= s.count && Array(s[i..<(i + u.count)]) == u
            }) else {
                throw JinjaError("line \(line): unexpected character '\(c)' in a tag")
            }
            tokens.append(.symbol(symbol))
            i += symbol.unicodeScalars.count
        }
        return tokens
    }

    /// A quoted literal with Python's escapes, starting at the quote at `i`.
    static func stringLiteral(_ s: [Unicode.Scalar], _ i: inout Int, line: Int) throws -> String {
        let quote = s[i]
        i += 1
        var out = String.UnicodeScalarView()
        while i < s.count, s[i] != quote {
            guard s[i] == "\\", i + 1 < s.count else { out.append(s[i]); i += 1; continue }
            let e = s[i + 1]
            i += 2
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\", "'", "\"": out.append(e)
            case "0": out.append("\u{0}")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "x", "u", "U":
                let count = e == "x" ? 2 : e == "u" ? 4 : 8
                guard i + count <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + count)])), radix: 16),
                      let scalar = Unicode.Scalar(v) else { throw JinjaError("line \(line): bad \\\(e) escape in a string") }
                out.append(scalar)
                i += count
            case "\n": break
            default: out.append("\\"); out.append(e)
            }
        }
        guard i < s.count else { throw JinjaError("line \(line): unterminated string literal") }
        i += 1
        return String(out)
    }
}

extension String {
    /// "\r\n" and "\r" become "\n", as Jinja normalises template source.
    fileprivate func replacingOccurrencesOfNewlines() -> String {
        guard unicodeScalars.contains("\r") else { return self }
        var out = String.UnicodeScalarView()
        var previousCR = false
        for c in unicodeScalars {
            if c == "\r" { out.append("\n"); previousCR = true; continue }
            if c == "\n" && previousCR { previousCR = false; continue }
            previousCR = false
            out.append(c)
        }
        return String(out)
    }
}
