/// WordPiece (BERT): greedy longest-match-first subwords, later pieces carrying the
/// continuing-subword prefix ("##"); a word with any unmatched rest, or longer than
/// `maxInputCharsPerWord`, becomes the single unknown token.
struct WordPieceModel: TokenModel {
    let vocabulary: Vocabulary
    let unknownToken: String
    let continuingSubwordPrefix: String
    let maxInputCharsPerWord: Int

    func tokenize(_ word: [Unicode.Scalar]) throws -> [Int] {
        if word.count > maxInputCharsPerWord { return [try unknownID()] }
        let prefix = Array(continuingSubwordPrefix.utf8)
        var ids: [Int] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int?
            while start < end {
                var candidate = start > 0 ? prefix : []
                candidate += utf8(word[start..<end])
                if let id = vocabulary.id(bytes: candidate) {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [try unknownID()] }
            ids.append(id)
            start = end
        }
        return ids
    }

    private func unknownID() throws -> Int {
        guard let id = vocabulary.id(unknownToken) else {
            throw TokenizerError("WordPiece: the unknown token \(quoted(unknownToken)) is not in the vocabulary")
        }
        return id
    }
}
