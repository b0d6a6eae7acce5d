import Foundation

/// What a model folder's config.json says about the model without loading a weight: every
/// parameter's name and shape, the part each belongs to, which of them NF4 holds, the sizes that
/// activations scale with, and PEFT's `target_modules` for LoRA. Estimates (`vlm-align plan`)
/// and launch folders for other trainers (`vlm-align export trl`) read models this way, so a
/// model too large to load here can still be described.
public struct ModelShape: Sendable {
    public struct Decoder: Sendable, Equatable {
        public var layers, hidden, intermediate, heads, kvHeads, headDim, vocabulary: Int
    }

    public struct Vision: Sendable, Equatable {
        public var layers, hidden, intermediate, heads: Int
        /// Patches of one image tile (the tower's sequence length).
        public var patches: Int
        /// Pixels on a tile's side.
        public var tileSize: Int
    }

    /// Every parameter, checkpoint names and shapes, in checkpoint order.
    public var parameters: [ParameterSet.Spec]
    public var decoder: Decoder
    public var vision: Vision
    /// Decoder tokens one image tile becomes.
    public var imageTokensPerTile: Int
    /// The token whose embeddings the image features replace.
    public var imageTokenId: Int32
    let partOf: @Sendable (String) -> ModelPart
    let quantizes: @Sendable (String, Quantization) -> Bool
    let targets: @Sendable ([String], Bool) -> LoRAConfig.Targets

    public func part(of name: String) -> ModelPart { partOf(name) }

    /// Whether `quantization` holds the weight `name` in NF4.
    public func isQuantized(_ name: String, by quantization: Quantization) -> Bool { quantizes(name, quantization) }

    /// PEFT's `target_modules` for the named projections, as `VisionLanguageModel.loraTargets`.
    public func loraTargets(_ names: [String], includeVision: Bool) -> LoRAConfig.Targets { targets(names, includeVision) }

    /// Parameters of the LoRA adapters `config` attaches: rank × (in + out) per targeted linear
    /// weight.
    public func loraParameters(_ config: LoRAConfig) -> Int {
        parameters.filter { $0.shape.count == 2 && $0.name.hasSuffix(".weight") && config.targets(String($0.name.dropLast(7))) }
            .reduce(0) { $0 + config.rank * ($1.shape[0] + $1.shape[1]) }
    }
}
