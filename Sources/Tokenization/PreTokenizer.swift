/// A stretch of text on its way to the model: between added tokens, then cut by pre-tokenizers.
struct TextPiece: Sendable {
    var scalars: [Unicode.Scalar]
    /// Whether it begins at the start of the original text (Metaspace's `prepend_scheme: first`).
    var atTextStart: Bool
}

/// How a split keeps its delimiters, as the `behavior` field of tokenizer.json names them.
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// The pieces of a text of `count` scalars cut at `matches` (ascending, non-overlapping).
    /// Mirrors `NormalizedString::split` of the Rust crate, including its empty pieces, which the
    /// caller drops.
    func split(count: Int, matches: [Range<Int>], invert: Bool) -> [Range<Int>] {
        // Alternating (range, isMatch) covering the whole text, as the crate's Pattern produces it.
        var marked: [(Range<Int>, Bool)] = []
        if count == 0 {
            marked = [(0..<0, false)]
        } else {
            var previous = 0
            for m in matches {
                if previous != m.lowerBound { marked.append((previous..<m.lowerBound, false)) }
                marked.append((m, true))
                previous = m.upperBound
            }
            if previous != count { marked.append((previous..<count, false)) }
        }
        if invert { marked = marked.map { ($0.0, !$0.1) } }

        var pieces: [(Range<Int>, remove: Bool)] = []
        switch self {
        case .isolated:
            pieces = marked.map { ($0.0, false) }
        case .removed:
            pieces = marked.map { ($0.0, $0.1) }
        case .contiguous:
            var previousMatch = false
            for (range, isMatch) in marked {
                if isMatch == previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1].0 = last.0.lowerBound..<range.upperBound
                } else {
                    pieces.append((range, false))
                }
                previousMatch = isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for (range, isMatch) in marked {
                if isMatch && !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1].0 = last.0.lowerBound..<range.upperBound
                } else {
                    pieces.append((range, false))
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (range, isMatch) in marked.reversed() {
                if isMatch && !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1].0 = range.lowerBound..<last.0.upperBound
                } else {
                    pieces.append((range, false))
                }
                previousMatch = isMatch
            }
            pieces.reverse()
        }
        return pieces.filter { !$0.remove }.map(\.0)
    }
}

/// The `pre_tokenizer` of a tokenizer.json: cuts each text piece into the words the model sees.
indirect enum PreTokenizer: Sendable {
    enum PrependScheme: String, Sendable { case first, never, always }

    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(TokenRegex, behavior: SplitBehavior, invert: Bool)
    case digits(individual: Bool)
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)
    case whitespace
    case whitespaceSplit
    case punctuation(SplitBehavior)
    case bert
    case charDelimiter(Unicode.Scalar)
    case sequence([PreTokenizer])

    /// GPT-2's pattern, which the ByteLevel pre-tokenizer always uses.
    static let gpt2Pattern = try! TokenRegex(
        pattern: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#)

    func preTokenize(_ pieces: [TextPiece]) throws -> [TextPiece] {
        switch self {
        case .sequence(let steps):
            return try steps.reduce(pieces) { try $1.preTokenize($0) }
        case let .byteLevel(addPrefixSpace, useRegex):
            var out: [TextPiece] = []
            for var piece in pieces {
                if addPrefixSpace && piece.scalars.first != " " { piece.scalars.insert(" ", at: 0) }
                let parts = useRegex
                    ? Self.cut(piece, at: try Self.gpt2Pattern.matches(in: piece.scalars), .isolated)
                    : [piece]
                for part in parts {
                    out.append(TextPiece(scalars: ByteLevelAlphabet.encode(part.scalars), atTextStart: part.atTextStart))
                }
            }
            return out
        case let .split(regex, behavior, invert):
            return try pieces.flatMap { Self.cut($0, at: try regex.matches(in: $0.scalars), behavior, invert: invert) }
        case .digits(let individual):
            return pieces.flatMap { Self.cut($0, where: { $0.isNumber }, individual ? .isolated : .contiguous) }
        case let .metaspace(replacement, scheme, split):
            return pieces.flatMap { piece -> [TextPiece] in
                var p = piece
                p.scalars = p.scalars.map { $0 == " " ? replacement : $0 }
                let prepend: Bool
                switch scheme {
                case .always: prepend = p.scalars.first != replacement
                case .first: prepend = p.scalars.first != replacement && p.atTextStart
                case .never: prepend = false
                }
                if prepend { p.scalars.insert(replacement, at: 0) }
                return split ? Self.cut(p, where: { $0 == replacement }, .mergedWithNext) : [p]
            }
        case .whitespace:
            return pieces.flatMap(Self.whitespaceWords)
        case .whitespaceSplit:
            return pieces.flatMap { Self.cut($0, where: { $0.isWhiteSpace }, .removed) }
        case .punctuation(let behavior):
            return pieces.flatMap { Self.cut($0, where: { $0.isBertPunctuation }, behavior) }
        case .bert:
            return pieces
                .flatMap { Self.cut($0, where: { $0.isWhiteSpace }, .removed) }
                .flatMap { Self.cut($0, where: { $0.isBertPunctuation }, .isolated) }
        case .charDelimiter(let delimiter):
            return pieces.flatMap { Self.cut($0, where: { $0 == delimiter }, .removed) }
        }
    }

    /// The non-empty pieces of `piece` cut at `matches`.
    static func cut(_ piece: TextPiece, at matches: [Range<Int>], _ behavior: SplitBehavior, invert: Bool = false) -> [TextPiece] {
        behavior.split(count: piece.scalars.count, matches: matches, invert: invert).compactMap { range in
            range.isEmpty ? nil : TextPiece(scalars: Array(piece.scalars[range]),
                                            atTextStart: piece.atTextStart && range.lowerBound == 0)
        }
    }

    /// Cut where single characters satisfy `isDelimiter`.
    static func cut(_ piece: TextPiece, where isDelimiter: (Unicode.Scalar) -> Bool, _ behavior: SplitBehavior) -> [TextPiece] {
        var matches: [Range<Int>] = []
        for (i, c) in piece.scalars.enumerated() where isDelimiter(c) { matches.append(i..<(i + 1)) }
        return cut(piece, at: matches, behavior)
    }

    /// The Whitespace pre-tokenizer keeps the matches of `\w+|[^\w\s]+`.
    static func whitespaceWords(_ piece: TextPiece) -> [TextPiece] {
        let s = piece.scalars
        var out: [TextPiece] = []
        var i = 0
        while i < s.count {
            let start = i
            if s[i].isWordCharacter {
                while i < s.count, s[i].isWordCharacter { i += 1 }
            } else if !s[i].isWhiteSpace {
                while i < s.count, !s[i].isWordCharacter, !s[i].isWhiteSpace { i += 1 }
            } else {
                i += 1
                continue
            }
            out.append(TextPiece(scalars: Array(s[start..<i]), atTextStart: piece.atTextStart && start == 0))
        }
        return out
    }
}
