/// The `decoder` of a tokenizer.json: turns the token texts of some ids back into text.
/// Each step maps a list of strings to a list of strings (`decode_chain` in the Rust crate); the
/// result is their concatenation.
indirect enum Decoder: Sendable {
    case byteLevel
    case wordPiece(prefix: String, cleanup: Bool)
    case metaspace(replacement: Unicode.Scalar, prependScheme: PreTokenizer.PrependScheme)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case replace(TokenRegex, content: String)
    case bpe(suffix: String)
    case sequence([Decoder])

    func decode(_ tokens: [String]) throws -> String {
        try decodeChain(tokens).joined()
    }

    func decodeChain(_ tokens: [String]) throws -> [String] {
        switch self {
        case .sequence(let steps):
            return try steps.reduce(tokens) { try $1.decodeChain($0) }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                let mapped = token.unicodeScalars.map(ByteLevelAlphabet.byte(for:))
                if mapped.allSatisfy({ $0 != nil }) {
                    bytes += mapped.map { $0! }
                } else {
                    bytes += Array(token.utf8)
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .wordPiece(prefix, cleanup):
            return tokens.enumerated().map { i, token in
                var t = token
                if i != 0 {
                    if t.utf8.starts(with: prefix.utf8) {
                        t = String(decoding: Array(t.utf8).dropFirst(prefix.utf8.count), as: UTF8.self)
                    } else {
                        t = " " + t
                    }
                }
                return cleanup ? Self.cleanUp(t) : t
            }
        case let .metaspace(replacement, scheme):
            return tokens.enumerated().map { i, token in
                var out = String.UnicodeScalarView()
                for c in token.unicodeScalars {
                    if c == replacement {
                        if i == 0 && scheme != .never { continue }
                        out.append(" ")
                    } else {
                        out.append(c)
                    }
                }
                return String(out)
            }
        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let s = String(validating: pending, as: UTF8.self) {
                    out.append(s)
                } else {
                    out += Array(repeating: "\u{FFFD}", count: pending.count)
                }
                pending = []
            }
            for token in tokens {
                let u = Array(token.utf8)
                if u.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">"),
                   let b = UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16) {
                    pending.append(b)
                } else {
                    flush()
                    out.append(token)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { token in
                let chars = Array(token.unicodeScalars)
                var lower = 0
                while lower < min(start, chars.count), chars[lower] == content { lower += 1 }
                var upper = chars.count
                while chars.count - upper < stop, upper > lower, chars[upper - 1] == content { upper -= 1 }
                return String(String.UnicodeScalarView(chars[lower..<upper]))
            }
        case let .replace(regex, content):
            let replacement = Array(content.unicodeScalars)
            return try tokens.map {
                String(String.UnicodeScalarView(try Normalizer.replacing(regex, in: Array($0.unicodeScalars), with: replacement)))
            }
        case .bpe(let suffix):
            return tokens.enumerated().map { i, token in
                replacingLiteral(suffix, with: i == tokens.count - 1 ? "" : " ", in: token)
            }
        }
    }

    /// The WordPiece decoder's clean-up of spaces before punctuation and English contractions.
    static func cleanUp(_ s: String) -> String {
        var out = s
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            out = replacingLiteral(from, with: to, in: out)
        }
        return out
    }
}
