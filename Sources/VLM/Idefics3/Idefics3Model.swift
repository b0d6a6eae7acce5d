import Foundation
import Interchange
import JSON
import Tensor

/// Idefics3ForConditionalGeneration: vision tower, connector (pixel shuffle + projection), LLaMA
/// decoder and LM head. Module paths equal transformers' checkpoint keys.
public final class Idefics3Model: VisionLanguageModel, @unchecked Sendable {
    public let config: Idefics3Config
    public let parameters: ParameterSet
    public let vision: VisionTower
    let connector: LinearLayer
    let embedTokens: Tensor, dEmbedTokens: Tensor?
    let layers: [DecoderLayer]
    let norm: RMSNormLayer
    let lmHead: Tensor, dLmHead: Tensor?

    // Module paths: transformers' checkpoint keys.
    static let connectorPath = "model.connector.modality_projection.proj"
    static let decoderPath = "model.text_model"
    static let embedPath = "\(decoderPath).embed_tokens.weight"
    static let normPath = "\(decoderPath).norm"
    static let headPath = "lm_head.weight"
    static func layerPath(_ i: Int) -> String { "\(decoderPath).layers.\(i)" }

    /// Every parameter with its checkpoint name and shape, in checkpoint order.
    public static func specs(_ config: Idefics3Config) -> [ParameterSet.Spec] {
        let t = config.text, d = t.hiddenSize, s = config.scaleFactor
        var specs = VisionTower.specs(config.vision)
        specs.append(.init("\(connectorPath).weight", [d, config.vision.hiddenSize * s * s]))
        specs.append(.init(embedPath, [t.vocabSize, d]))
        for i in 0..<t.layers { specs += DecoderLayer.specs(path: layerPath(i), config: t) }
        specs.append(.init("\(normPath).weight", [d]))
        if !config.tieWordEmbeddings { specs.append(.init(headPath, [t.vocabSize, d])) }
        return specs
    }

    /// Builds the model over `parameters` (which must hold `specs(config)`); layers keep views.
    public init(config: Idefics3Config, parameters: ParameterSet) {
        self.config = config
        self.parameters = parameters
        vision = VisionTower(config: config.vision, parameters: parameters)
        connector = LinearLayer(path: Self.connectorPath, parameters: parameters, bias: false)
        embedTokens = parameters[Self.embedPath]
        dEmbedTokens = parameters.gradient(Self.embedPath)
        layers = (0..<config.text.layers).map {
            DecoderLayer(path: Self.layerPath($0), config: config.text, parameters: parameters)
        }
        norm = RMSNormLayer(path: Self.normPath, eps: config.text.rmsNormEps, parameters: parameters)
        lmHead = config.tieWordEmbeddings ? embedTokens : parameters[Self.headPath]
        dLmHead = config.tieWordEmbeddings ? dEmbedTokens : parameters.gradient(Self.headPath)
    }

    /// Loads config.json and the weights; every mismatch is reported by name. With
    /// `quantize`, the linear weights it names are stored in NF4 as they are read (QLoRA's base).
    public static func load(_ folder: URL, quantize: Quantization? = nil) throws -> Idefics3Model {
        let config = try Idefics3Config(contentsOf: folder.appendingPathComponent("config.json"))
        let parameters = parameterSet(config, quantize: quantize)
        try WeightFiles(folder: folder).load(into: parameters, aliases: sanitizeAliases(config))
        return Idefics3Model(config: config, parameters: parameters)
    }

    /// The model of `config` described without weights.
    public static func shape(_ config: Idefics3Config) -> ModelShape {
        let t = config.text, v = config.vision
        return ModelShape(
            parameters: specs(config),
            decoder: .init(layers: t.layers, hidden: t.hiddenSize, intermediate: t.intermediateSize, heads: t.heads, kvHeads: t.kvHeads,
                           headDim: t.headDim, vocabulary: t.vocabSize),
            vision: .init(layers: v.layers, hidden: v.hiddenSize, intermediate: v.intermediateSize, heads: v.heads, patches: v.patches,
                          tileSize: v.imageSize),
            imageTokensPerTile: config.imageSeqLen, imageTokenId: Int32(config.imageTokenId), partOf: { part(of: $0) }, quantizes: { quantizes($0, $1) },
            targets: { loraTargets($0, includeVision: $1) })
    }

    /// A model with fresh weights, drawn as transformers draws them (`InitialWeights`), for
    /// training a small model from scratch (e.g. on ShapesWorld).
    public static func initialize(_ config: Idefics3Config, seed: UInt64) -> Idefics3Model {
        let parameters = ParameterSet(specs(config))
        InitialWeights.fill(parameters, config: config, seed: seed)
        return Idefics3Model(config: config, parameters: parameters)
    }

    public static func initialize(folder: URL, seed: UInt64) throws -> Idefics3Model {
        initialize(try Idefics3Config(contentsOf: folder.appendingPathComponent("config.json")), seed: seed)
    }

    /// The parameters of a model of `config`, those that `quantize` names declared NF4.
    public static func parameterSet(_ config: Idefics3Config, quantize: Quantization?) -> ParameterSet {
        let specs = specs(config)
        guard let quantize else { return ParameterSet(specs) }
        return ParameterSet(specs, nf4: Set(specs.map(\.name).filter { quantizes($0, quantize) }))
    }

    /// Which linear weights are kept in NF4: the decoder's projections; with `nf4-vision` also
    /// the vision tower's projections and MLPs and the connector. Norms, biases, embeddings, the
    /// patch embedding and the LM head stay fp32, as with bitsandbytes' 4-bit loading.
    static func quantizes(_ name: String, _ quantization: Quantization) -> Bool {
        if name.hasPrefix("\(decoderPath).layers."), name.hasSuffix("_proj.weight") { return true }
        guard quantization == .nf4WithVision else { return false }
        if name == "\(connectorPath).weight" { return true }
        return name.hasPrefix("\(VisionTower.prefix).encoder.layers.")
            && (name.hasSuffix("_proj.weight") || name.hasSuffix(".fc1.weight") || name.hasSuffix(".fc2.weight"))
    }

    /// Checkpoint quirks, in one place: a tied model's files may carry `lm_head.weight` as well
    /// (older writers saved both); it is then an alias, not an unexpected tensor.
    static func sanitizeAliases(_ config: Idefics3Config) -> [String: String] {
        config.tieWordEmbeddings ? [embedPath: headPath] : [:]
    }

    // MARK: VisionLanguageModel

    public var linearLayers: [LinearLayer] {
        vision.layers.flatMap(\.linears) + [connector] + layers.flatMap(\.linears)
    }

    public var vocabularySize: Int { config.text.vocabSize }
    public var imageTokenId: Int32 { Int32(config.imageTokenId) }
    public var isVisionTrainable: Bool { vision.isTrainable }

    public var configJSON: JSONValue {
        config.raw.setting("architectures", to: .array([.string("Idefics3ForConditionalGeneration")]))
    }

    public func part(of name: String) -> ModelPart { Self.part(of: name) }

    static func part(of name: String) -> ModelPart {
        if name.hasPrefix(VisionTower.prefix + ".") { return .vision }
        if name.hasPrefix(Self.connectorPath) { return .connector }
        return .language
    }

    public func rebuilt() -> any VisionLanguageModel { Idefics3Model(config: config, parameters: parameters) }

    public func loraTargets(_ names: [String], includeVision: Bool) -> LoRAConfig.Targets {
        Self.loraTargets(names, includeVision: includeVision)
    }

    static func loraTargets(_ names: [String], includeVision: Bool) -> LoRAConfig.Targets {
        .projections(names, decoder: "text_model", includeVision: includeVision)
    }

    public func processor(folder: URL) throws -> any Processor { try Idefics3Processor(folder: folder, config: config) }

    public func makeCaches(batch: Int, capacity: Int) -> [KVCache] {
        let text = config.text
        return (0..<text.layers).map { _ in KVCache(batch: batch, capacity: capacity, kvHeads: text.kvHeads, headDim: text.headDim) }
    }

    // MARK: forward

    /// What backward needs of one forward pass.
    public struct Pass: ForwardPass {
        public let hidden: Tensor  // [batch, length, D], after the final norm
        let batch: TextBatch
        let rotary: RotaryTable
        let images: ImageBatch?
        let visionSaved: VisionTower.Saved?
        let visionOut: Tensor?
        let shuffled: Tensor?
        let connectorSaved: LinearLayer.Saved?
        let imageFeatures: Tensor?  // [N, image tokens, D]: the connector's output
        let layers: [DecoderLayer.Saved]
        let finalNorm: RMSNormLayer.Saved
    }

    /// The vision tower's output [N, patches, Dv] for the images; cacheable when it is frozen.
    public func visionFeatures(_ images: ImageBatch) -> Tensor {
        var rng = SeededGenerator(seed: 0)
        return vision.forward(pixels: images.pixels, patchMask: images.patchMask, training: false, rng: &rng).0
    }

    /// The tower's pass alone: its output and what its backward needs.
    struct VisionPass: ForwardPass {
        let hidden: Tensor  // [N, patches, Dv]
        let saved: VisionTower.Saved
        let patchMask: Tensor
    }

    public func forwardVision(_ images: ImageBatch, rng: inout SeededGenerator) -> any ForwardPass {
        let (out, saved) = vision.forward(pixels: images.pixels, patchMask: images.patchMask, training: true, rng: &rng)
        return VisionPass(hidden: out, saved: saved, patchMask: images.patchMask)
    }

    public func backwardVision(_ pass: any ForwardPass, dFeatures: Tensor) {
        let pass = pass as! VisionPass  // only this model makes its passes
        vision.backward(dFeatures, saved: pass.saved, keyMask: pass.patchMask)
    }

    public func centerVisionFeatures(on mean: [Float]) {
        vision.center(on: mean)
    }

    /// The decoder's input embeddings: token embeddings, with the connector's image features in
    /// place of the image tokens, in order.
    private func embed(_ batch: TextBatch, imageFeatures: Tensor?) throws -> Tensor {
        let d = config.text.hiddenSize
        let x = Tensor(shape: [batch.batch, batch.length, d])
        Embedding.forward(ids: batch.tokens, table: embedTokens, into: x)
        let imageRows = batch.tokens.indices.filter { batch.tokens[$0] == Int32(config.imageTokenId) }
        let features = imageFeatures?.rows ?? 0
        guard imageRows.count == features else {
            throw ModelError(file: "input", "\(imageRows.count) image tokens in the text but \(features) image features (\(features / max(config.imageSeqLen, 1)) images of \(config.imageSeqLen) tokens)")
        }
        if let imageFeatures {
            for (i, row) in imageRows.enumerated() {
                (x.data + row * d).update(from: imageFeatures.data + i * d, count: d)
            }
        }
        return x
    }

    /// Runs the model over a batch. `visionOut` may carry cached vision features for `images`.
    /// With `caches` (one per layer) the keys and values are appended for decoding. Only a
    /// `training` pass keeps the activations that `backward` needs.
    public func forward(
        _ batch: TextBatch, images: ImageBatch? = nil, visionOut cachedVision: Tensor? = nil,
        caches: [KVCache]? = nil, training: Bool = false, rng: inout SeededGenerator
    ) throws -> any ForwardPass {
        var visionSaved: VisionTower.Saved? = nil
        var visionOut = cachedVision
        if let images, visionOut == nil {
            if training && vision.isTrainable {
                let (out, saved) = vision.forward(pixels: images.pixels, patchMask: images.patchMask, training: true, rng: &rng)
                visionOut = out
                visionSaved = saved
            } else {
                visionOut = visionFeatures(images)
            }
        }
        var shuffled: Tensor? = nil, connectorSaved: LinearLayer.Saved? = nil, imageFeatures: Tensor? = nil
        if let visionOut {
            let (n, p, dv) = (visionOut.dim(0), visionOut.dim(1), visionOut.dim(2)), s = config.scaleFactor
            let shuffledOut = Tensor(shape: [n, p / (s * s), dv * s * s])
            PixelShuffle.forward(visionOut, scale: s, into: shuffledOut)
            let (features, saved) = connector.forward(shuffledOut, training: training, rng: &rng)
            shuffled = shuffledOut
            connectorSaved = saved
            imageFeatures = features
        }
        var h = try embed(batch, imageFeatures: imageFeatures)
        let rotary = RotaryEmbedding(headDim: config.text.headDim, theta: config.text.ropeTheta).table(positions: batch.positions)
        var saved: [DecoderLayer.Saved] = []
        for (i, layer) in layers.enumerated() {
            let (out, s) = layer.forward(h, rotary: rotary, mask: batch.mask, cache: caches?[i], training: training, rng: &rng)
            if training, let s { saved.append(s) }  // inference lets each layer's activations go
            h = out
        }
        let (hidden, finalNorm) = norm.forward(h)
        return Pass(hidden: hidden, batch: batch, rotary: rotary, images: images, visionSaved: visionSaved,
                    visionOut: visionOut, shuffled: shuffled, connectorSaved: connectorSaved, imageFeatures: imageFeatures, layers: saved,
                    finalNorm: finalNorm)
    }

    /// Logits [rows.count, vocab] of the given token rows (flat indices batch·length + t): the
    /// LM head runs only where a prediction is needed.
    public func logits(_ pass: any ForwardPass, rows: [Int]) -> Tensor {
        let selected = gatherRows(pass.hidden, rows: rows)
        let out = Tensor(shape: [rows.count, config.text.vocabSize])
        Linear.forward(selected, weight: lmHead, bias: nil, into: out)
        return out
    }

    public func imageTokenLogits(_ pass: any ForwardPass) -> Tensor? {
        guard let features = (pass as! Pass).imageFeatures else { return nil }  // only this model makes its passes
        let out = Tensor(shape: [features.rows, config.text.vocabSize])
        Linear.forward(features.reshapedView([features.rows, config.text.hiddenSize]), weight: lmHead, bias: nil, into: out)
        return out
    }

    func gatherRows(_ hidden: Tensor, rows: [Int]) -> Tensor {
        let d = hidden.dim(-1)
        let selected = Tensor(shape: [rows.count, d])
        for (i, r) in rows.enumerated() { (selected.data + i * d).update(from: hidden.data + r * d, count: d) }
        return selected
    }

    // MARK: backward

    /// Accumulates every trained parameter's gradient from dLogits [rows.count, vocab] of
    /// `logits(pass, rows:)` and dImageTokenLogits [image tokens, vocab] of `imageTokenLogits`.
    public func backward(_ pass: any ForwardPass, rows: [Int], dLogits: Tensor, dImageTokenLogits: Tensor?) {
        let pass = pass as! Pass  // only this model makes its passes
        let d = config.text.hiddenSize
        let selected = gatherRows(pass.hidden, rows: rows)
        let dSelected = Tensor(shape: selected.shape)
        Linear.backward(dLogits, x: selected, weight: lmHead, dX: dSelected, dWeight: dLmHead, dBias: nil)
        let dHidden = Tensor(shape: pass.hidden.shape)
        for (i, r) in rows.enumerated() {
            let dst = dHidden.data + r * d, src = dSelected.data + i * d
            for j in 0..<d { dst[j] += src[j] }
        }
        var dH = norm.backward(dHidden, saved: pass.finalNorm)
        for (layer, saved) in zip(layers, pass.layers).reversed() {
            dH = layer.backward(dH, saved: saved, rotary: pass.rotary)
        }
        // token embeddings get the gradient of the text tokens; image tokens' go to the connector
        let imageToken = Int32(config.imageTokenId)
        let textRows = pass.batch.tokens.indices.filter { pass.batch.tokens[$0] != imageToken }
        if let dEmbedTokens {
            let dText = gatherRows(dH, rows: textRows)
            Embedding.backward(dText, ids: textRows.map { pass.batch.tokens[$0] }, dTable: dEmbedTokens)
        }
        guard let shuffled = pass.shuffled, let connectorSaved = pass.connectorSaved, let visionOut = pass.visionOut else { return }
        let imageRows = pass.batch.tokens.indices.filter { pass.batch.tokens[$0] == imageToken }
        let dFeatures = gatherRows(dH, rows: imageRows).reshapedView([shuffled.dim(0), shuffled.dim(1), d])
        if let dImageTokenLogits, let features = pass.imageFeatures {
            let flat = features.reshapedView([features.rows, d])
            Linear.backward(dImageTokenLogits, x: flat, weight: lmHead, dX: dFeatures.reshapedView([features.rows, d]),
                            dWeight: dLmHead, dBias: nil)
        }
        let wantsShuffled = pass.visionSaved != nil
        let dShuffled = wantsShuffled ? Tensor(shape: shuffled.shape) : nil
        connector.backward(dFeatures, saved: connectorSaved, dX: dShuffled)
        if let dShuffled, let visionSaved = pass.visionSaved, let images = pass.images {
            let dVision = Tensor(shape: visionOut.shape)
            PixelShuffle.backward(dShuffled, scale: config.scaleFactor, dX: dVision)
            vision.backward(dVision, saved: visionSaved, keyMask: images.patchMask)
        }
    }
}
