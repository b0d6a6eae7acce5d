import Foundation
import Tensor

/// A BERT encoder for inference (transformers' `BertModel` without its pooler): word, position
/// and token-type (0) embeddings, LayerNorm, then post-LayerNorm blocks — bidirectional
/// multi-head attention over the unpadded keys, residual, LayerNorm, a GELU (erf) MLP,
/// residual, LayerNorm. Evaluation runs sentence encoders such as all-MiniLM-L6-v2 on it.
/// Weights are fp32 in memory, read from `model.safetensors` under transformers' names (with or
/// without the `bert.` prefix); GEMMs go through BLAS.
public final class BERTEncoder: @unchecked Sendable {
    public let config: BERTConfig
    let words: Tensor, positions: Tensor, types: Tensor, embeddingNorm: (Tensor, Tensor)
    let layers: [Layer]

    struct Layer {
        let query: (Tensor, Tensor), key: (Tensor, Tensor), value: (Tensor, Tensor), output: (Tensor, Tensor)
        let attentionNorm: (Tensor, Tensor)
        let intermediate: (Tensor, Tensor), down: (Tensor, Tensor), outputNorm: (Tensor, Tensor)
    }

    /// A model folder: `config.json` and `model.safetensors`.
    public convenience init(folder: URL) throws {
        let config = try BERTConfig(file: folder.appendingPathComponent("config.json"))
        let path = folder.appendingPathComponent("model.safetensors").path
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError(file: path, "no such file") }
        try self.init(config: config, weights: SafetensorsFile(path: path, ignoring: ["embeddings.position_ids", "bert.embeddings.position_ids"]))
    }

    public init(config c: BERTConfig, weights file: SafetensorsFile) throws {
        config = c
        let prefix = file.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func load(_ name: String, _ shape: [Int]) throws -> Tensor {
            let full = prefix + name
            guard let entry = file.entries[full] else { throw ModelError(file: file.path, "no tensor named \(full)") }
            guard entry.shape == shape else { throw ModelError(file: file.path, "tensor \(full) has shape \(entry.shape), the config gives \(shape)") }
            return try file.tensor(full)
        }
        let h = c.hiddenSize
        func linear(_ name: String, _ out: Int, _ inF: Int) throws -> (Tensor, Tensor) {
            (try load("\(name).weight", [out, inF]), try load("\(name).bias", [out]))
        }
        func norm(_ name: String) throws -> (Tensor, Tensor) { (try load("\(name).weight", [h]), try load("\(name).bias", [h])) }
        words = try load("embeddings.word_embeddings.weight", [c.vocabSize, h])
        positions = try load("embeddings.position_embeddings.weight", [c.maxPositions, h])
        types = try load("embeddings.token_type_embeddings.weight", [c.typeVocabSize, h])
        embeddingNorm = try norm("embeddings.LayerNorm")
        layers = try (0..<c.layers).map { i in
            let p = "encoder.layer.\(i)"
            return Layer(query: try linear("\(p).attention.self.query", h, h), key: try linear("\(p).attention.self.key", h, h),
                         value: try linear("\(p).attention.self.value", h, h), output: try linear("\(p).attention.output.dense", h, h),
                         attentionNorm: try norm("\(p).attention.output.LayerNorm"),
                         intermediate: try linear("\(p).intermediate.dense", c.intermediateSize, h),
                         down: try linear("\(p).output.dense", h, c.intermediateSize), outputNorm: try norm("\(p).output.LayerNorm"))
        }
    }

    /// The last layer's token states of each sequence (ids with their special tokens, at most
    /// `maxPositions` long), as one [length, hidden] tensor each. Sequences run together in one
    /// batch padded to the longest; padding is masked out of attention, so a sequence's states
    /// do not depend on its batch.
    public func lastHiddenStates(_ sequences: [[Int]]) throws -> [Tensor] {
        guard !sequences.isEmpty else { return [] }
        let c = config, h = c.hiddenSize
        let b = sequences.count, t = sequences.map(\.count).max()!
        guard t > 0 else { throw ModelError(file: "BERT", "an empty id sequence (a sentence has at least [CLS] and [SEP])") }
        guard t <= c.maxPositions else { throw ModelError(file: "BERT", "a sequence of \(t) tokens, over the \(c.maxPositions) positions of the model") }
        for ids in sequences { for id in ids where id < 0 || id >= c.vocabSize { throw ModelError(file: "BERT", "token id \(id) outside the vocabulary of \(c.vocabSize)") } }
        let n = b * t
        let x = Tensor(shape: [n, h]), mask = Tensor(shape: [b, t])
        let wp = words.data, pp = positions.data, tp = types.data, xp = x.data
        for (s, ids) in sequences.enumerated() {
            for j in 0..<t {
                let row = xp + (s * t + j) * h
                let id = j < ids.count ? ids[j] : 0
                mask.data[s * t + j] = j < ids.count ? 1 : 0
                for k in 0..<h { row[k] = wp[id * h + k] + pp[j * h + k] + tp[k] }
            }
        }
        let mean = Tensor(shape: [n]), rstd = Tensor(shape: [n])
        let hidden = Tensor(shape: [n, h])
        LayerNorm.forward(x, weight: embeddingNorm.0, bias: embeddingNorm.1, eps: c.layerNormEps, into: hidden, mean: mean, rstd: rstd)
        let q = Tensor(shape: [b, t, c.heads, c.headDim]), k = Tensor(shape: [b, t, c.heads, c.headDim]), v = Tensor(shape: [b, t, c.heads, c.headDim])
        let context = Tensor(shape: [b, t, c.heads, c.headDim])
        let projected = Tensor(shape: [n, h]), sum = Tensor(shape: [n, h]), attended = Tensor(shape: [n, h])
        let inner = Tensor(shape: [n, c.intermediateSize]), activated = Tensor(shape: [n, c.intermediateSize])
        let attention = Attention(heads: c.heads, kvHeads: c.heads, headDim: c.headDim, causal: false)
        let flat = { (tensor: Tensor) in tensor.reshapedView([n, h]) }
        for layer in layers {
            Linear.forward(hidden, weight: layer.query.0, bias: layer.query.1, into: flat(q))
            Linear.forward(hidden, weight: layer.key.0, bias: layer.key.1, into: flat(k))
            Linear.forward(hidden, weight: layer.value.0, bias: layer.value.1, into: flat(v))
            attention.forward(q: q, k: k, v: v, keyMask: mask, into: context)
            Linear.forward(flat(context), weight: layer.output.0, bias: layer.output.1, into: projected)
            Residual.forward(projected, hidden, into: sum)
            LayerNorm.forward(sum, weight: layer.attentionNorm.0, bias: layer.attentionNorm.1, eps: c.layerNormEps, into: attended, mean: mean, rstd: rstd)
            Linear.forward(attended, weight: layer.intermediate.0, bias: layer.intermediate.1, into: inner)
            Self.gelu(inner, into: activated)
            Linear.forward(activated, weight: layer.down.0, bias: layer.down.1, into: projected)
            Residual.forward(projected, attended, into: sum)
            LayerNorm.forward(sum, weight: layer.outputNorm.0, bias: layer.outputNorm.1, eps: c.layerNormEps, into: hidden, mean: mean, rstd: rstd)
        }
        return sequences.enumerated().map { s, ids in
            let out = Tensor(shape: [ids.count, h])
            out.data.update(from: hidden.data + s * t * h, count: ids.count * h)
            return out
        }
    }

    /// GELU with erf, erf from Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7 in exact arithmetic;
    /// GELU's measured ≤ 4.7e-7 in fp32, BERTGELUTests, the size of its rounding there). glibc's `erff`, which the Tensor
    /// kernel calls, took a sixth of the encoder's time.
    static func gelu(_ x: Tensor, into out: Tensor) {
        precondition(out.count == x.count, "gelu shapes: \(x.shape) → \(out.shape)")
        let xp = x.data, o = out.data
        Parallel.forEach(x.count, cost: 12) { range in
            for i in range {
                let v = xp[i], z = abs(v) * 0.707_106_781_186_547_5
                let t = 1 / (1 + 0.327_591_1 * z)
                let poly = ((((1.061_405_429 * t - 1.453_152_027) * t + 1.421_413_741) * t - 0.284_496_736) * t + 0.254_829_592) * t
                let e = 1 - poly * expf(-z * z)
                o[i] = 0.5 * v * (1 + (v < 0 ? -e : e))
            }
        }
    }
}
