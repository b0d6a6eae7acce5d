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
    let language: LanguageModel

    // Module paths: transformers' checkpoint keys.
    static let connectorPath = "model.connector.modality_projection.proj"
    static let decoderPath = "model.text_model"
    static let embedPath = LanguageModel.embedPath(decoderPath)

    /// Every parameter with its checkpoint name and shape, in checkpoint order.
    public static func specs(_ config: Idefics3Config) -> [ParameterSet.Spec] {
        let t = config.text, d = t.hiddenSize, s = config.scaleFactor
        var specs = VisionTower.specs(config.vision)
        specs.append(.init("\(connectorPath).weight", [d, config.vision.hiddenSize * s * s]))
        return specs + LanguageModel.specs(decoder: decoderPath, config: t, tied: config.tieWordEmbeddings)
    }

    /// Builds the model over `parameters` (which must hold `specs(config)`); layers keep views.
    public init(config: Idefics3Config, parameters: ParameterSet) {
        self.config = config
        self.parameters = parameters
        vision = VisionTower(config: config.vision, parameters: parameters)
        connector = LinearLayer(path: Self.connectorPath, parameters: parameters, bias: false)
        language = LanguageModel(decoder: Self.decoderPath, config: config.text, tied: config.tieWordEmbeddings,
                                 imageToken: Int32(config.imageTokenId), parameters: parameters)
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
        config.tieWordEmbeddings ? [embedPath: LanguageModel.headPath] : [:]
    }

    // MARK: VisionLanguageModel

    public var linearLayers: [LinearLayer] {
        vision.layers.flatMap(\.linears) + [connector] + language.layers.flatMap(\.linears)
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

    public func makeCaches(batch: Int, capacity: Int) -> [KVCache] { language.makeCaches(batch: batch, capacity: capacity) }

    // MARK: forward

    /// What backward needs of one forward pass.
    public struct Pass: ForwardPass {
        let images: ImageBatch?
        let visionSaved: VisionTower.Saved?
        let visionOut: Tensor?
        let shuffled: Tensor?
        let connectorSaved: LinearLayer.Saved?
        let imageFeatures: Tensor?  // [N, image tokens, D]: the connector's output
        let language: LanguageModel.Saved
        public var hidden: Tensor { language.hidden }
    }

    /// The vision tower's output [N, patches, Dv] for the images; cacheable when it is frozen.
    public func visionFeatures(_ images: ImageBatch) -> Tensor {
        images.encodedInRuns { run in
            var rng = SeededGenerator(seed: 0)
            return vision.forward(pixels: run.pixels, patchMask: run.patchMask, training: false, rng: &rng).0
        }
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
        let rotary = RotaryEmbedding(headDim: config.text.headDim, theta: config.text.ropeTheta).table(positions: batch.positions)
        let language = try self.language.forward(batch, imageFeatures: imageFeatures, rotary: rotary, caches: caches,
                                                 training: training, rng: &rng)
        return Pass(images: images, visionSaved: visionSaved, visionOut: visionOut, shuffled: shuffled, connectorSaved: connectorSaved,
                    imageFeatures: imageFeatures, language: language)
    }

    public func logits(_ pass: any ForwardPass, rows: [Int]) -> Tensor { language.logits(pass.hidden, rows: rows) }

    public func imageTokenLogits(_ pass: any ForwardPass) -> Tensor? {
        (pass as! Pass).imageFeatures.map(language.imageTokenLogits)  // only this model makes its passes
    }

    // MARK: backward

    /// Accumulates every trained parameter's gradient from dLogits [rows.count, vocab] of
    /// `logits(pass, rows:)` and dImageTokenLogits [image tokens, vocab] of `imageTokenLogits`.
    public func backward(_ pass: any ForwardPass, rows: [Int], dLogits: Tensor, dImageTokenLogits: Tensor?) {
        let pass = pass as! Pass  // only this model makes its passes
        let dImages = language.backward(pass.language, rows: rows, dLogits: dLogits, imageFeatures: pass.imageFeatures,
                                        dImageTokenLogits: dImageTokenLogits)
        guard let dImages, let shuffled = pass.shuffled, let connectorSaved = pass.connectorSaved, let visionOut = pass.visionOut else { return }
        let dFeatures = dImages.reshapedView([shuffled.dim(0), shuffled.dim(1), config.text.hiddenSize])
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
