/// WordLevel: each word is one vocabulary entry, or the unknown token.
struct WordLevelModel: TokenModel {
    let vocabulary: Vocabulary
    let unknownToken: String

    func tokenize(_ word: [Unicode.Scalar]) throws -> [Int] {
        if let id = vocabulary.id(word) { return [id] }
        guard let unk = vocabulary.id(unknownToken) else {
            throw TokenizerError("WordLevel: \(quoted(String(String.UnicodeScalarView(word)))) is not in the vocabulary and the unknown token \(quoted(unknownToken)) is not either")
        }
        return [unk]
    }
}
