/// Token text ↔ id. Keys are the UTF-8 bytes, not Swift Strings: String equality merges canonically
/// equivalent texts ("é" and "e\u{301}"), which a vocabulary must keep apart.
struct Vocabulary: Sendable {
    private(set) var ids: [[UInt8]: Int] = [:]
    private(set) var tokens: [Int: String] = [:]

    init(_ entries: [(String, Int)]) {
        ids.reserveCapacity(entries.count)
        tokens.reserveCapacity(entries.count)
        for (token, id) in entries {
            ids[Array(token.utf8)] = id
            tokens[id] = token
        }
    }

    var count: Int { ids.count }
    var largestID: Int { tokens.keys.max() ?? -1 }

    func id(_ token: String) -> Int? { ids[Array(token.utf8)] }
    func id(bytes: [UInt8]) -> Int? { ids[bytes] }
    func id(_ scalars: [Unicode.Scalar]) -> Int? { ids[utf8(scalars)] }
    func token(_ id: Int) -> String? { tokens[id] }
}

/// The `model` of a tokenizer.json: one pre-tokenized word to ids.
protocol TokenModel: Sendable {
    var vocabulary: Vocabulary { get }
    func tokenize(_ word: [Unicode.Scalar]) throws -> [Int]
}
