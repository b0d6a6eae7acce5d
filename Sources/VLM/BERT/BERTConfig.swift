import Foundation
import JSON

/// A BERT encoder's `config.json` (transformers' `BertConfig`): what `BERTEncoder` needs of it.
public struct BERTConfig: Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float

    public init(vocabSize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int,
                maxPositions: Int, typeVocabSize: Int, layerNormEps: Float) {
        (self.vocabSize, self.hiddenSize, self.layers, self.heads) = (vocabSize, hiddenSize, layers, heads)
        (self.intermediateSize, self.maxPositions, self.typeVocabSize, self.layerNormEps) = (intermediateSize, maxPositions, typeVocabSize, layerNormEps)
    }

    public var headDim: Int { hiddenSize / heads }

    /// Reads `config.json`; refuses what this encoder does not run (another activation, relative
    /// positions, sizes that do not fit together).
    public init(file url: URL) throws {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError(file: path, FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: data) } catch { throw ModelError(file: path, "not valid JSON: \(error)") }
        let r = JSONReader(json, file: path, path: "")
        func int(_ key: String) throws -> Int {
            guard let v = try r.optionalInt(key) else { throw ModelError(file: path, "missing \(key)") }
            guard v > 0 && v <= 1 << 20 else { throw ModelError(file: path, "\(key) is \(v), outside 1…\(1 << 20)") }
            return v
        }
        if let type = json["model_type"]?.stringValue, type != "bert" {
            throw ModelError(file: path, "model_type is \(type); the BERT encoder reads \"bert\"")
        }
        if let act = json["hidden_act"]?.stringValue, act != "gelu" {
            throw ModelError(file: path, "hidden_act is \(act); the BERT encoder runs \"gelu\" (exact, erf)")
        }
        if let kind = json["position_embedding_type"]?.stringValue, kind != "absolute" {
            throw ModelError(file: path, "position_embedding_type is \(kind); the BERT encoder runs \"absolute\"")
        }
        self.init(vocabSize: try int("vocab_size"), hiddenSize: try int("hidden_size"), layers: try int("num_hidden_layers"),
                  heads: try int("num_attention_heads"), intermediateSize: try int("intermediate_size"),
                  maxPositions: try int("max_position_embeddings"), typeVocabSize: try int("type_vocab_size"),
                  layerNormEps: Float(json["layer_norm_eps"]?.doubleValue ?? 1e-12))
        guard hiddenSize % heads == 0 else { throw ModelError(file: path, "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads)") }
    }
}
