import Foundation

/// The `normalizer` of a tokenizer.json, applied to the text between added tokens.
indirect enum Normalizer: Sendable {
    enum UnicodeForm: Sendable { case nfc, nfd, nfkc, nfkd }

    case unicode(UnicodeForm)
    case lowercase
    case stripAccents
    case bert(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool, lowercase: Bool)
    case replace(TokenRegex, content: String)
    case prepend(String)
    case strip(left: Bool, right: Bool)
    case byteLevel
    case sequence([Normalizer])

    func normalize(_ text: [Unicode.Scalar]) throws -> [Unicode.Scalar] {
        switch self {
        case .unicode(let form):
            let string = String(String.UnicodeScalarView(text))
            let result: String
            switch form {
            case .nfc: result = string.precomposedStringWithCanonicalMapping
            case .nfd: result = string.decomposedStringWithCanonicalMapping
            case .nfkc: result = string.precomposedStringWithCompatibilityMapping
            case .nfkd: result = string.decomposedStringWithCompatibilityMapping
            }
            return Array(result.unicodeScalars)
        case .lowercase:
            return Self.lowercased(text)
        case .stripAccents:
            return text.filter { !$0.isMark }
        case let .bert(cleanText, handleChineseChars, stripAccents, lowercase):
            var out = text
            if cleanText {
                out = out.compactMap { c in
                    if c.value == 0 || c.value == 0xFFFD { return nil }
                    if c == "\t" || c == "\n" || c == "\r" { return " " }
                    if c.isOther { return nil }
                    return c.isWhiteSpace ? " " : c
                }
            }
            if handleChineseChars {
                var spaced: [Unicode.Scalar] = []
                spaced.reserveCapacity(out.count)
                for c in out {
                    if c.isChineseCharacter { spaced += [" ", c, " "] } else { spaced.append(c) }
                }
                out = spaced
            }
            if stripAccents {
                // BERT drops only non-spacing marks after the canonical decomposition.
                out = try Normalizer.unicode(.nfd).normalize(out).filter { $0.properties.generalCategory != .nonspacingMark }
            }
            if lowercase { out = Self.lowercased(out) }
            return out
        case let .replace(regex, content):
            return try Self.replacing(regex, in: text, with: Array(content.unicodeScalars))
        case .prepend(let prefix):
            return text.isEmpty ? text : Array(prefix.unicodeScalars) + text
        case let .strip(left, right):
            var lower = 0, upper = text.count
            if left { while lower < upper, text[lower].isWhiteSpace { lower += 1 } }
            if right { while upper > lower, text[upper - 1].isWhiteSpace { upper -= 1 } }
            return Array(text[lower..<upper])
        case .byteLevel:
            return ByteLevelAlphabet.encode(text)
        case .sequence(let normalizers):
            return try normalizers.reduce(text) { try $1.normalize($0) }
        }
    }

    /// Rust's `char::to_lowercase` per scalar (full mappings, no context: 'Σ' is always 'σ').
    static func lowercased(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for c in text {
            if c.isASCII {
                out.append(c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 32)! : c)
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    static func replacing(_ regex: TokenRegex, in text: [Unicode.Scalar], with content: [Unicode.Scalar]) throws -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var last = 0
        for m in try regex.matches(in: text) {
            out += text[last..<m.lowerBound]
            out += content
            last = m.upperBound
        }
        out += text[last...]
        return out
    }
}
