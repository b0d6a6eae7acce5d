import Foundation
import Tensor
import Tokenization
import VLM

/// all-MiniLM-L6-v2 as sentence-transformers runs it (its modules.json: Transformer, Pooling,
/// Normalize): the WordPiece tokenizer of tokenizer.json with [CLS] … [SEP], truncated to 256
/// tokens (`max_seq_length`), the BERT encoder's last layer, the mean over the tokens, L2
/// normalised. Token states serve BERTScore, sentence embeddings the rounds' clustering.
public final class SentenceEncoder: @unchecked Sendable {
    public let tokenizer: Tokenizer
    public let model: BERTEncoder
    public let folder: URL
    /// sentence-transformers' `max_seq_length` for this model (sentence_bert_config.json).
    public let maxSequenceLength: Int
    let cls: Int, sep: Int
    /// Sequences encoded together (sorted by length, so padding stays small).
    public var batchSize = 32

    /// The model in `folder` (see `MiniLMFiles.locate`).
    public init(folder: URL) throws {
        self.folder = folder
        tokenizer = try Tokenizer(directory: folder)
        model = try BERTEncoder(folder: folder)
        guard let cls = tokenizer.id(of: "[CLS]"), let sep = tokenizer.id(of: "[SEP]") else {
            throw ModelError(file: folder.appendingPathComponent("tokenizer.json").path, "no [CLS] or [SEP] token")
        }
        (self.cls, self.sep) = (cls, sep)
        var length = 256
        let settings = folder.appendingPathComponent("sentence_bert_config.json")
        if let data = try? Data(contentsOf: settings),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let n = object["max_seq_length"] as? Int {
            length = n
        }
        maxSequenceLength = min(length, model.config.maxPositions)
    }

    /// The model that `MiniLMFiles.locate(given)` finds.
    public convenience init(locating given: String? = nil) throws {
        try self.init(folder: try MiniLMFiles.locate(given))
    }

    /// [CLS] + the text's ids + [SEP], the text's ids cut so the whole is at most `maxLength`
    /// (transformers' `truncation=True, max_length=…`).
    public func ids(_ text: String, maxLength: Int) throws -> [Int] {
        let body = try tokenizer.encode(text, addSpecialTokens: false)
        return [cls] + body.prefix(max(maxLength - 2, 0)) + [sep]
    }

    /// The last layer's token states of each id sequence ([length, hidden] each), in batches of
    /// similar lengths.
    public func tokenStates(_ sequences: [[Int]]) throws -> [Tensor] {
        var states = [Tensor?](repeating: nil, count: sequences.count)
        let order = sequences.indices.sorted { sequences[$0].count < sequences[$1].count }
        for start in stride(from: 0, to: order.count, by: max(batchSize, 1)) {
            let batch = Array(order[start..<min(order.count, start + max(batchSize, 1))])
            for (i, s) in zip(batch, try model.lastHiddenStates(batch.map { sequences[$0] })) { states[i] = s }
        }
        return states.map { $0! }
    }

    /// Sentence embeddings: mean-pooled last-layer states, L2 normalised (unit length).
    public func embed(_ texts: [String]) throws -> [[Float]] {
        let states = try tokenStates(texts.map { try ids($0, maxLength: maxSequenceLength) })
        let h = model.config.hiddenSize
        return states.map { s in
            let rows = s.dim(0)
            var mean = [Double](repeating: 0, count: h)
            for r in 0..<rows { for k in 0..<h { mean[k] += Double(s.data[r * h + k]) } }
            for k in 0..<h { mean[k] /= Double(max(rows, 1)) }
            let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return mean.map { Float($0 / norm) }
        }
    }
}
