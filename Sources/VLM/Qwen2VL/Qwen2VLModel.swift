import Foundation
import Interchange
import JSON
import Tensor

/// Qwen2VLForConditionalGeneration and Qwen2_5_VLForConditionalGeneration: vision tower, patch
/// merger (the connector), Qwen2 decoder with multimodal RoPE, LM head. Module paths equal
/// transformers 5's (`model.visual.…`, `model.language_model.…`: what PEFT adapters name); the
/// checkpoints of the Hub, and those transformers 5 writes, keep 4.x's keys (`visual.…`,
/// `model.layers.…`), which load and are written back (`checkpointKey`).
public final class Qwen2VLModel: VisionLanguageModel, @unchecked Sendable {
    public let config: Qwen2VLConfig
    public let parameters: ParameterSet
    public let vision: Qwen2VLVisionTower
    let merger: Qwen2VLMerger
    let language: LanguageModel

    static let decoderPath = "model.language_model"

    /// Every parameter with its checkpoint name and shape.
    public static func specs(_ config: Qwen2VLConfig) -> [ParameterSet.Spec] {
        Qwen2VLVisionTower.specs(config.vision) + Qwen2VLMerger.specs(config.vision)
            + LanguageModel.specs(decoder: decoderPath, config: config.text, tied: config.tieWordEmbeddings)
    }

    public init(config: Qwen2VLConfig, parameters: ParameterSet) {
        self.config = config
        self.parameters = parameters
        vision = Qwen2VLVisionTower(config: config.vision, parameters: parameters)
        merger = Qwen2VLMerger(config: config.vision, parameters: parameters)
        language = LanguageModel(decoder: Self.decoderPath, config: config.text, tied: config.tieWordEmbeddings,
                                 imageToken: Int32(config.imageTokenId), parameters: parameters)
    }

    /// Loads config.json and the weights; every mismatch is reported by name. With `quantize`,
    /// the decoder's projections are stored in NF4 as they are read (QLoRA's base).
    public static func load(_ folder: URL, quantize: Quantization? = nil) throws -> Qwen2VLModel {
        let config = try Qwen2VLConfig(contentsOf: folder.appendingPathComponent("config.json"))
        let parameters = parameterSet(config, quantize: quantize)
        let files = try WeightFiles(folder: folder)
        try files.load(into: parameters, aliases: sanitizeAliases(config, specs: parameters.specs + parameters.quantizedSpecs),
                       ignoring: config.tieWordEmbeddings ? [LanguageModel.headPath] : [])
        return Qwen2VLModel(config: config, parameters: parameters)
    }

    /// The parameters of a model of `config`, those that `quantize` names declared NF4.
    public static func parameterSet(_ config: Qwen2VLConfig, quantize: Quantization?) -> ParameterSet {
        let specs = specs(config)
        guard let quantize else { return ParameterSet(specs) }
        return ParameterSet(specs, nf4: Set(specs.map(\.name).filter { quantizes($0, quantize) }))
    }

    /// Checkpoint quirks, in one place: checkpoints keep the tower under `visual.` and the decoder
    /// under `model.` (`model.layers.…`), transformers 4.x's keys; some writers use the module
    /// paths instead (read as they are); a tied model's files may carry `lm_head.weight` too
    /// (ignored).
    static func sanitizeAliases(_ config: Qwen2VLConfig, specs: [ParameterSet.Spec]) -> [String: String] {
        var aliases: [String: String] = [:]
        for spec in specs where legacyKey(spec.name) != spec.name { aliases[spec.name] = legacyKey(spec.name) }
        return aliases
    }

    /// transformers 4.x's key of a parameter: `visual.…` for the tower, `model.…` for the decoder.
    static func legacyKey(_ name: String) -> String {
        if name.hasPrefix(Qwen2VLVisionTower.prefix + ".") { return String(name.dropFirst("model.".count)) }
        if name.hasPrefix(decoderPath + ".") { return "model." + name.dropFirst(decoderPath.count + 1) }
        return name
    }

    public func checkpointKey(of name: String) -> String { Self.legacyKey(name) }

    public static func shape(_ config: Qwen2VLConfig) -> ModelShape {
        let t = config.text, v = config.vision
        // a 448 px square image: the size the benchmark and `plan` estimate with
        let side = 448 / v.patchSize
        return ModelShape(
            parameters: specs(config),
            decoder: .init(layers: t.layers, hidden: t.hiddenSize, intermediate: t.intermediateSize, heads: t.heads, kvHeads: t.kvHeads,
                           headDim: t.headDim, vocabulary: t.vocabSize),
            vision: .init(layers: v.depth, hidden: v.hiddenSize, intermediate: v.intermediateSize, heads: v.heads,
                          patches: side * side, tileSize: 448),
            imageTokensPerTile: side * side / v.mergeUnit, imageTokenId: Int32(config.imageTokenId), partOf: { part(of: $0) },
            quantizes: { quantizes($0, $1) }, targets: { loraTargets($0, includeVision: $1) })
    }

    /// A model with fresh weights (normal, std 0.02; norms one, biases zero), each tensor drawn
    /// from its own seeded generator, tensors in parallel.
    public static func initialize(_ config: Qwen2VLConfig, seed: UInt64) -> Qwen2VLModel {
        let parameters = ParameterSet(specs(config))
        let specs = parameters.specs
        Parallel.forEach(specs.count, cost: 1 << 20) { range in
            for index in range where !specs[index].name.hasSuffix(".bias") {
                let t = parameters[specs[index].name]
                if specs[index].shape.count == 1 {
                    for i in 0..<t.count { t[i] = 1 }
                    continue
                }
                var rng = SeededGenerator(seed: seed &+ UInt64(index))
                // Box–Muller: two normal draws per pair of uniforms
                for i in stride(from: 0, to: t.count, by: 2) {
                    let u = Float.random(in: Float.ulpOfOne..<1, using: &rng), w = Float.random(in: 0..<1, using: &rng)
                    let r = 0.02 * (-2 * logf(u)).squareRoot()
                    t[i] = r * cosf(2 * .pi * w)
                    if i + 1 < t.count { t[i + 1] = r * sinf(2 * .pi * w) }
                }
            }
        }
        return Qwen2VLModel(config: config, parameters: parameters)
    }

    /// Which linear weights are kept in NF4: the decoder's projections; with `nf4-vision` also
    /// the tower's and the merger's linear layers.
    static func quantizes(_ name: String, _ quantization: Quantization) -> Bool {
        if name.hasPrefix("\(decoderPath).layers."), name.hasSuffix("_proj.weight") { return true }
        guard quantization == .nf4WithVision, name.hasPrefix(Qwen2VLVisionTower.prefix + "."), name.hasSuffix(".weight") else { return false }
        return name.contains(".attn.") || name.contains(".mlp.")
    }

    // MARK: VisionLanguageModel

    public var linearLayers: [LinearLayer] { vision.blocks.flatMap(\.linears) + merger.linears + language.layers.flatMap(\.linears) }
    public var vocabularySize: Int { config.text.vocabSize }
    public var imageTokenId: Int32 { Int32(config.imageTokenId) }
    public var isVisionTrainable: Bool { vision.isTrainable }

    public var configJSON: JSONValue {
        let architecture = config.generation == .qwen2VL ? "Qwen2VLForConditionalGeneration" : "Qwen2_5_VLForConditionalGeneration"
        return config.raw.setting("architectures", to: .array([.string(architecture)]))
    }

    public func part(of name: String) -> ModelPart { Self.part(of: name) }

    static func part(of name: String) -> ModelPart {
        if name.hasPrefix(Qwen2VLMerger.prefix + ".") || name == Qwen2VLMerger.prefix { return .connector }
        if name.hasPrefix(Qwen2VLVisionTower.prefix + ".") { return .vision }
        return .language
    }

    public func rebuilt() -> any VisionLanguageModel { Qwen2VLModel(config: config, parameters: parameters) }

    public func loraTargets(_ names: [String], includeVision: Bool) -> LoRAConfig.Targets {
        Self.loraTargets(names, includeVision: includeVision)
    }

    /// The decoder's projections by PEFT's module names (`q_proj`, …); the tower's are `qkv`,
    /// `proj`, `fc1`, `fc2` (Qwen2-VL) or `gate_proj`, `up_proj`, `down_proj` (Qwen2.5-VL).
    static func loraTargets(_ names: [String], includeVision: Bool) -> LoRAConfig.Targets {
        .projections(names, decoder: "language_model", includeVision: includeVision)
    }

    public func processor(folder: URL) throws -> any Processor { try Qwen2VLProcessor(folder: folder, config: config) }

    public func makeCaches(batch: Int, capacity: Int) -> [KVCache] { language.makeCaches(batch: batch, capacity: capacity) }

    // MARK: forward

    public struct Pass: ForwardPass {
        let visionSaved: Qwen2VLVisionTower.Saved?
        let visionOut: Tensor?
        let mergerSaved: Qwen2VLMerger.Saved?
        let imageFeatures: Tensor?  // [image tokens, D]: the merger's output
        let language: LanguageModel.Saved
        public var hidden: Tensor { language.hidden }
    }

    /// The tower's output [patches, Dv] (before the merger); cacheable when it is frozen.
    public func visionFeatures(_ images: ImageBatch) -> Tensor {
        var rng = SeededGenerator(seed: 0)
        return images.encodedInRuns { run in
            vision.forward(patches: run.pixels, grids: run.grids, training: false, rng: &rng).0
        }
    }

    struct VisionPass: ForwardPass {
        let hidden: Tensor
        let saved: Qwen2VLVisionTower.Saved
    }

    public func forwardVision(_ images: ImageBatch, rng: inout SeededGenerator) -> any ForwardPass {
        let (out, saved) = vision.forward(patches: images.pixels, grids: images.grids, training: true, rng: &rng)
        return VisionPass(hidden: out, saved: saved)
    }

    public func backwardVision(_ pass: any ForwardPass, dFeatures: Tensor) {
        let pass = pass as! VisionPass  // only this model makes its passes
        vision.backward(dFeatures, saved: pass.saved)
    }

    /// Shifts the tower's output through the last block's MLP output bias.
    public func centerVisionFeatures(on mean: [Float]) {
        guard let bias = vision.blocks.last?.mlp.last?.bias else { return }
        precondition(mean.count == bias.count, "a mean of \(mean.count) for \(bias.count) features")
        for (i, m) in mean.enumerated() { bias[i] -= m }
    }

    public func forward(
        _ batch: TextBatch, images: ImageBatch? = nil, visionOut cachedVision: Tensor? = nil,
        caches: [KVCache]? = nil, training: Bool = false, rng: inout SeededGenerator
    ) throws -> any ForwardPass {
        var visionSaved: Qwen2VLVisionTower.Saved? = nil
        var visionOut = cachedVision
        if let images, visionOut == nil {
            if training && vision.isTrainable {
                let (out, saved) = vision.forward(patches: images.pixels, grids: images.grids, training: true, rng: &rng)
                (visionOut, visionSaved) = (out, saved)
            } else {
                visionOut = visionFeatures(images)
            }
        }
        var mergerSaved: Qwen2VLMerger.Saved? = nil, imageFeatures: Tensor? = nil
        if let visionOut {
            let (features, saved) = merger.forward(visionOut, training: training, rng: &rng)
            (imageFeatures, mergerSaved) = (features, saved)
        }
        // a cache that already holds a prompt carries its rows' position shifts
        let continuing = caches.map { $0[0].length > 0 } ?? false
        let positions = try Qwen2VLPositions.mrope(
            tokens: batch.tokens, batch: batch.batch, length: batch.length, positions: batch.positions, imageToken: imageTokenId,
            grids: images?.grids ?? [], merge: config.vision.spatialMergeSize, offsets: continuing ? caches![0].positionOffsets : nil)
        if let caches { caches[0].positionOffsets = positions.offsets }
        let rotary = Qwen2VLPositions.mropeTable(positions, section: config.mropeSection, headDim: config.text.headDim,
                                                 theta: config.text.ropeTheta)
        let language = try self.language.forward(batch, imageFeatures: imageFeatures, rotary: rotary, caches: caches,
                                                 training: training, rng: &rng)
        return Pass(visionSaved: visionSaved, visionOut: visionOut, mergerSaved: mergerSaved, imageFeatures: imageFeatures,
                    language: language)
    }

    public func logits(_ pass: any ForwardPass, rows: [Int]) -> Tensor { language.logits(pass.hidden, rows: rows) }

    public func imageTokenLogits(_ pass: any ForwardPass) -> Tensor? {
        (pass as! Pass).imageFeatures.map(language.imageTokenLogits)  // only this model makes its passes
    }

    // MARK: backward

    public func backward(_ pass: any ForwardPass, rows: [Int], dLogits: Tensor, dImageTokenLogits: Tensor?) {
        let pass = pass as! Pass  // only this model makes its passes
        let dFeatures = language.backward(pass.language, rows: rows, dLogits: dLogits, imageFeatures: pass.imageFeatures,
                                          dImageTokenLogits: dImageTokenLogits)
        guard let dFeatures, let mergerSaved = pass.mergerSaved, let visionOut = pass.visionOut else { return }
        let dVision = merger.backward(dFeatures, saved: mergerSaved, inputShape: visionOut.shape, wantsInput: pass.visionSaved != nil)
        if let dVision, let visionSaved = pass.visionSaved { vision.backward(dVision, saved: visionSaved) }
    }
}
