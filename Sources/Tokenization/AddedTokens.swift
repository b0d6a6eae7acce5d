/// One entry of tokenizer.json's `added_tokens`.
public struct AddedToken: Sendable, Equatable {
    public internal(set) var id: Int
    public let content: String
    public let special: Bool
    public let lstrip: Bool
    public let rstrip: Bool
    public let normalized: Bool
    public let singleWord: Bool
}

/// A stretch of input: an added token already resolved to its id, or text still to tokenize.
enum Segment {
    case token(Int)
    case text(TextPiece)
}

/// Splits added tokens out of a text before the model sees it, as the Rust crate's
/// `AddedVocabulary::extract_and_normalize` does: first the tokens with `normalized: false` on the
/// raw text, then, in each remaining stretch after normalization, the `normalized: true` ones
/// (matched in their normalized form). Matching is leftmost-longest, then `single_word`, `lstrip`
/// and `rstrip` apply.
struct AddedTokenMatcher: Sendable {
    /// The added tokens with the ids the crate gives them, one per text.
    let tokens: [AddedToken]
    /// The texts of the tokens that are special (a text stays special once a file said so).
    let specialContents: Set<[UInt8]>
    private let rawTrie: Trie
    private let normalizedTrie: Trie
    private let normalizer: Normalizer?
    /// The text each token decodes as: its normalized form when it is matched normalized.
    let decodedForms: [Int: String]

    /// `entries` in file order. As the Rust crate loads them, the ids written in the file are not
    /// used: a text in the model's vocabulary gets its id there, a repeated text keeps its first
    /// id (with the later entry's options), and any other text gets the next id after the
    /// vocabulary's size.
    init(entries: [AddedToken], vocabulary: Vocabulary, normalizer: Normalizer?) throws {
        var resolved: [AddedToken] = []
        var indexByContent: [[UInt8]: Int] = [:]
        var special: Set<[UInt8]> = []
        var nextID = vocabulary.count
        for var entry in entries where !entry.content.isEmpty {
            let key = Array(entry.content.utf8)
            if entry.special { special.insert(key) }
            if let i = indexByContent[key] {
                entry.id = resolved[i].id
                resolved[i] = entry
                continue
            }
            if let id = vocabulary.id(bytes: key) {
                entry.id = id
            } else {
                entry.id = nextID
                nextID += 1
            }
            indexByContent[key] = resolved.count
            resolved.append(entry)
        }
        let tokens = resolved
        self.tokens = tokens
        specialContents = special
        self.normalizer = normalizer
        var raw = Trie(), normalizedForms = Trie()
        var decoded: [Int: String] = [:]
        for (index, token) in tokens.enumerated() where !token.content.isEmpty {
            let scalars = Array(token.content.unicodeScalars)
            if token.normalized {
                let form = try normalizer?.normalize(scalars) ?? scalars
                normalizedForms.insert(form, value: index)
                decoded[token.id] = String(String.UnicodeScalarView(form))
            } else {
                raw.insert(scalars, value: index)
                decoded[token.id] = token.content
            }
        }
        rawTrie = raw
        normalizedTrie = normalizedForms
        decodedForms = decoded
    }

    func segments(of text: String) throws -> [Segment] {
        var out: [Segment] = []
        let scalars = Array(text.unicodeScalars)
        for (piece, tokenIndex) in split(scalars, with: rawTrie) {
            if let tokenIndex {
                out.append(.token(tokens[tokenIndex].id))
                continue
            }
            let atStart = piece.lowerBound == 0
            let normalized = try normalizer?.normalize(Array(scalars[piece])) ?? Array(scalars[piece])
            for (inner, innerToken) in split(normalized, with: normalizedTrie) {
                if let innerToken {
                    out.append(.token(tokens[innerToken].id))
                } else if !inner.isEmpty {
                    out.append(.text(TextPiece(scalars: Array(normalized[inner]), atTextStart: atStart && inner.lowerBound == 0)))
                }
            }
        }
        return out
    }

    /// The stretches of `text` with the index of the token each one is, or nil for plain text.
    private func split(_ text: [Unicode.Scalar], with trie: Trie) -> [(Range<Int>, Int?)] {
        if text.isEmpty || trie.isEmpty { return text.isEmpty ? [] : [(0..<text.count, nil)] }
        var out: [(Range<Int>, Int?)] = []
        var startOffset = 0
        var searchFrom = 0
        while let (matchStart, matchEnd, index) = trie.leftmostLongest(in: text, from: searchFrom) {
            searchFrom = matchEnd
            let token = tokens[index]
            var start = matchStart, stop = matchEnd
            if token.singleWord {
                let wordBefore = start > 0 && text[start - 1].isWordCharacter
                let wordAfter = stop < text.count && text[stop].isWordCharacter
                if wordBefore || wordAfter { continue }
            }
            if token.lstrip {
                var s = start
                while s > 0, text[s - 1].isWhiteSpace { s -= 1 }
                start = max(s, startOffset)
            }
            if token.rstrip {
                while stop < text.count, text[stop].isWhiteSpace { stop += 1 }
            }
            if startOffset < start { out.append((startOffset..<start, nil)) }
            out.append((start..<stop, index))
            startOffset = stop
        }
        if startOffset < text.count { out.append((startOffset..<text.count, nil)) }
        return out
    }
}

/// A character trie over the added tokens' texts.
private struct Trie: Sendable {
    private var children: [[Unicode.Scalar: Int]] = [[:]]
    private var values: [Int?] = [nil]

    var isEmpty: Bool { children[0].isEmpty }

    mutating func insert(_ key: [Unicode.Scalar], value: Int) {
        var node = 0
        for c in key {
            if let child = children[node][c] {
                node = child
            } else {
                children.append([:])
                values.append(nil)
                children[node][c] = children.count - 1
                node = children.count - 1
            }
        }
        // The first of two tokens with the same text wins, as the crate keeps one per text.
        if values[node] == nil { values[node] = value }
    }

    /// The leftmost match at or after `from`, the longest one starting there.
    func leftmostLongest(in text: [Unicode.Scalar], from: Int) -> (Int, Int, Int)? {
        var start = from
        while start < text.count {
            var node = 0
            var best: (Int, Int)?
            var i = start
            while i < text.count, let child = children[node][text[i]] {
                node = child
                i += 1
                if let v = values[node] { best = (i, v) }
            }
            if let (end, value) = best { return (start, end, value) }
            start += 1
        }
        return nil
    }
}
