import Foundation
import JSON

/// A Hugging Face tokenizer loaded from `tokenizer.json`, encoding and decoding as the Rust
/// `tokenizers` crate does (no truncation or padding: the file's settings for those are ignored).
public final class Tokenizer: Sendable {
    private let model: TokenModel
    private let preTokenizer: PreTokenizer?
    private let postProcessor: PostProcessor
    private let decoder: Decoder?
    private let addedTokens: AddedTokenMatcher
    private let addedByID: [Int: AddedToken]
    private let addedByContent: [[UInt8]: AddedToken]

    /// The tokenizer of a model folder: its `tokenizer.json`.
    public convenience init(directory: URL) throws {
        try self.init(tokenizerJSON: directory.appendingPathComponent("tokenizer.json"))
    }

    public convenience init(tokenizerJSON url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw TokenizerError(exists ? "cannot read the file" : "no such file").inFile(url.path)
        }
        do {
            try self.init(json: try JSONValue(parsing: data))
        } catch let error as TokenizerError {
            throw error.inFile(url.path)
        } catch let error as JSONError {
            throw TokenizerError(error.description).inFile(url.path)
        }
    }

    public init(json: JSONValue) throws {
        let parts = try TokenizerJSON(json)
        model = parts.model
        preTokenizer = parts.preTokenizer
        postProcessor = parts.postProcessor
        decoder = parts.decoder
        addedTokens = try AddedTokenMatcher(entries: parts.addedTokens, vocabulary: parts.model.vocabulary, normalizer: parts.normalizer)
        var byID: [Int: AddedToken] = [:], byContent: [[UInt8]: AddedToken] = [:]
        for token in addedTokens.tokens {
            byID[token.id] = token
            byContent[Array(token.content.utf8)] = token
        }
        addedByID = byID
        addedByContent = byContent
    }

    /// The ids of `text`. With `addSpecialTokens`, the post-processor's tokens (BOS, [CLS] …) are
    /// added around them, as `tokenizers`' `encode(text, add_special_tokens=True)` does.
    public func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int] {
        var ids: [Int] = []
        for segment in try addedTokens.segments(of: text) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let piece):
                let words = try preTokenizer?.preTokenize([piece]) ?? [piece]
                for word in words { ids += try model.tokenize(word.scalars) }
            }
        }
        return postProcessor.apply(ids, addSpecialTokens: addSpecialTokens)
    }

    /// The text of `ids`, without the special added tokens when `skipSpecialTokens` is set.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = addedByID[id].map({ addedTokens.decodedForms[id] ?? $0.content }) ?? model.vocabulary.token(id) else {
                throw TokenizerError("cannot decode id \(id): it is neither in the vocabulary nor an added token")
            }
            // As in the crate, any token whose text is a special token's is skipped.
            if skipSpecialTokens && addedTokens.specialContents.contains(Array(token.utf8)) { continue }
            tokens.append(token)
        }
        return try decoder?.decode(tokens) ?? tokens.joined(separator: " ")
    }

    /// The id of a token text (an added token or a vocabulary entry).
    public func id(of token: String) -> Int? {
        addedByContent[Array(token.utf8)]?.id ?? model.vocabulary.id(token)
    }

    /// The text of an id, as the vocabulary or the added tokens spell it.
    public func token(of id: Int) -> String? {
        addedByID[id]?.content ?? model.vocabulary.token(id)
    }

    /// Every id is below this: the model's vocabulary and the added tokens together.
    public var vocabularySize: Int {
        max(model.vocabulary.largestID, addedByID.keys.max() ?? -1) + 1
    }

    /// The `added_tokens` of the file, in its order.
    public var added: [AddedToken] { addedTokens.tokens }
}
