import Foundation
import Interchange
import Tensor

/// The half of a vision-language model every family shares: token embeddings with the image
/// features in place of the image tokens, the decoder layers, the final norm and the LM head.
/// A family runs its tower and connector, hands their features here, and gets back their
/// gradient; the rotary table (1-D, or Qwen's multimodal one) is the family's to make.
struct LanguageModel {
    let imageToken: Int32
    let embedTokens: Tensor, dEmbedTokens: Tensor?
    let layers: [DecoderLayer]
    let norm: RMSNormLayer
    let lmHead: Tensor, dLmHead: Tensor?

    /// The weights under `decoder` (`model.text_model`, …) and the head at `lm_head.weight`, or
    /// the embeddings again when tied.
    init(decoder: String, config: TextConfig, tied: Bool, imageToken: Int32, parameters: ParameterSet) {
        self.imageToken = imageToken
        embedTokens = parameters[Self.embedPath(decoder)]
        dEmbedTokens = parameters.gradient(Self.embedPath(decoder))
        layers = (0..<config.layers).map { DecoderLayer(path: Self.layerPath(decoder, $0), config: config, parameters: parameters) }
        norm = RMSNormLayer(path: "\(decoder).norm", eps: config.rmsNormEps, parameters: parameters)
        lmHead = tied ? embedTokens : parameters[Self.headPath]
        dLmHead = tied ? dEmbedTokens : parameters.gradient(Self.headPath)
    }

    static let headPath = "lm_head.weight"

    /// The weights' names and shapes, in checkpoint order.
    static func specs(decoder: String, config t: TextConfig, tied: Bool) -> [ParameterSet.Spec] {
        var specs: [ParameterSet.Spec] = [.init(embedPath(decoder), [t.vocabSize, t.hiddenSize])]
        for i in 0..<t.layers { specs += DecoderLayer.specs(path: layerPath(decoder, i), config: t) }
        specs.append(.init("\(decoder).norm.weight", [t.hiddenSize]))
        if !tied { specs.append(.init(headPath, [t.vocabSize, t.hiddenSize])) }
        return specs
    }
    /// Empty key-value caches, one per decoder layer.
    func makeCaches(batch: Int, capacity: Int) -> [KVCache] {
        layers.map { KVCache(batch: batch, capacity: capacity, kvHeads: $0.attention.kvHeads, headDim: $0.attention.headDim) }
    }

    static func embedPath(_ decoder: String) -> String { "\(decoder).embed_tokens.weight" }
    static func layerPath(_ decoder: String, _ i: Int) -> String { "\(decoder).layers.\(i)" }

    /// What backward needs of one pass.
    struct Saved {
        let tokens: [Int32]
        let hidden: Tensor  // [batch, length, D], after the final norm
        let rotary: RotaryTable
        let layers: LayerActivations<DecoderLayer.Saved>
        let finalNorm: RMSNormLayer.Saved
    }

    /// The final hidden states [batch, length, D] of the tokens, `imageFeatures` [image tokens, D]
    /// (flat rows, images in order) standing in for the image tokens.
    func forward(_ batch: TextBatch, imageFeatures: Tensor?, rotary: RotaryTable, caches: [KVCache]?, training: Bool,
                 rng: inout SeededGenerator) throws -> Saved {
        let d = embedTokens.dim(1)
        var h = Tensor(shape: [batch.batch, batch.length, d])
        Embedding.forward(ids: batch.tokens, table: embedTokens, into: h)
        let imageRows = batch.tokens.indices.filter { batch.tokens[$0] == imageToken }
        let features = imageFeatures?.rows ?? 0
        guard imageRows.count == features else {
            throw ModelError(file: "input", "\(imageRows.count) image tokens in the text but \(features) image features")
        }
        if let imageFeatures {
            for (i, row) in imageRows.enumerated() { (h.data + row * d).update(from: imageFeatures.data + i * d, count: d) }
        }
        var saved: [DecoderLayer.Saved] = []
        let keepTables = caches == nil && layers.first.map {
            AttentionTables.kept($0.attention, layers: layers.count, batch: batch.batch, tokens: batch.length, training: training)
        } ?? false
        for (i, layer) in layers.enumerated() {
            let (out, s) = layer.forward(h, rotary: rotary, mask: batch.mask, cache: caches?[i], training: training,
                                         keepingTable: keepTables, rng: &rng)
            if training, let s { saved.append(s) }  // inference lets each layer's activations go
            h = out
        }
        let (hidden, finalNorm) = norm.forward(h)
        return Saved(tokens: batch.tokens, hidden: hidden, rotary: rotary, layers: LayerActivations(saved), finalNorm: finalNorm)
    }

    /// Logits [rows.count, vocabulary] of the given token rows (flat indices batch·length + t):
    /// the LM head runs only where a prediction is needed.
    func logits(_ hidden: Tensor, rows: [Int]) -> Tensor {
        let selected = hidden.gatheringRows(rows)
        let out = Tensor(shape: [rows.count, lmHead.dim(0)])
        Linear.forward(selected, weight: lmHead, bias: nil, into: out)
        return out
    }

    /// Image features [image tokens, D] read through the LM head.
    func imageTokenLogits(_ features: Tensor) -> Tensor {
        let flat = features.reshapedView([features.rows, lmHead.dim(1)])
        let out = Tensor(shape: [flat.rows, lmHead.dim(0)])
        Linear.forward(flat, weight: lmHead, bias: nil, into: out)
        return out
    }

    /// Accumulates the decoder's gradients from dLogits of `logits(rows:)` and, when given,
    /// dImageTokenLogits of `imageTokenLogits`; returns the gradient of the image features
    /// [image tokens, D], nil without them.
    func backward(_ saved: Saved, rows: [Int], dLogits: Tensor, imageFeatures: Tensor?, dImageTokenLogits: Tensor?) -> Tensor? {
        let d = lmHead.dim(1)
        let selected = saved.hidden.gatheringRows(rows)
        let dSelected = Tensor(shape: selected.shape)
        Linear.backward(dLogits, x: selected, weight: lmHead, dX: dSelected, dWeight: dLmHead, dBias: nil)
        let dHidden = Tensor(shape: saved.hidden.shape)
        for (i, r) in rows.enumerated() {
            let dst = dHidden.data + r * d, src = dSelected.data + i * d
            for j in 0..<d { dst[j] += src[j] }
        }
        var dH = norm.backward(dHidden, saved: saved.finalNorm)
        for layer in layers.reversed() {
            dH = layer.backward(dH, saved: saved.layers.takeLast(), rotary: saved.rotary)
        }
        // token embeddings get the gradient of the text tokens; image tokens' go to the connector
        let tokens = saved.tokens
        if let dEmbedTokens {
            let textRows = tokens.indices.filter { tokens[$0] != imageToken }
            Embedding.backward(dH.gatheringRows(textRows), ids: textRows.map { tokens[$0] }, dTable: dEmbedTokens)
        }
        guard let imageFeatures else { return nil }
        let dFeatures = dH.gatheringRows(tokens.indices.filter { tokens[$0] == imageToken })
        if let dImageTokenLogits {
            Linear.backward(dImageTokenLogits, x: imageFeatures.reshapedView([imageFeatures.rows, d]), weight: lmHead,
                            dX: dFeatures, dWeight: dLmHead, dBias: nil)
        }
        return dFeatures
    }
}
