import Foundation
import Interchange
import Tensor

/// LoRA settings, as PEFT's `LoraConfig` names them.
public struct LoRAConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    public var dropout: Float
    /// PEFT's `target_modules`: module names matched as suffixes ("q_proj"), or one regular
    /// expression that must match the whole module path.
    public var targets: Targets
    public var useRSLoRA = false

    public enum Targets: Sendable, Equatable {
        case suffixes([String])
        case pattern(String)

        /// The named projections under the decoder's module (`decoder`: "text_model", …), or
        /// anywhere with `includeVision`: the towers have projections of the same names, so a
        /// bare suffix list would adapt them as well.
        public static func projections(_ names: [String], decoder: String, includeVision: Bool) -> Targets {
            let alternatives = names.joined(separator: "|")
            return .pattern(includeVision ? #".*\.("# + alternatives + ")" : ".*" + decoder + #".*\.("# + alternatives + ")")
        }
    }

    /// The decoder's attention and MLP projections: what LoRA adapts unless told otherwise.
    public static let decoderProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    public init(rank: Int, alpha: Float, dropout: Float = 0, targets: Targets) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
    }

    /// Whether PEFT would adapt the module at `path`.
    public func targets(_ path: String) -> Bool {
        switch targets {
        case .suffixes(let names):
            return names.contains { path == $0 || path.hasSuffix("." + $0) }
        case .pattern(let pattern):
            guard let regex = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else { return false }
            return regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil
        }
    }
}

/// The LoRA adapters of a model: their own parameter set (values and gradients, so that the
/// optimizer updates adapters only) attached to the targeted linear layers.
public final class Adapters: @unchecked Sendable {
    public let config: LoRAConfig
    public let parameters: ParameterSet
    /// module path → adapter
    public let byPath: [String: LoRAAdapter]

    static func aName(_ path: String) -> String { "\(path).lora_A.weight" }
    static func bName(_ path: String) -> String { "\(path).lora_B.weight" }

    /// New adapters on every targeted layer of `model`: A drawn like PEFT's default
    /// (uniform ±1/√in), B zero, so the adapted model starts equal to the base.
    public convenience init(attachingTo model: any VisionLanguageModel, config: LoRAConfig, seed: UInt64) throws {
        try self.init(model: model, config: config)
        var rng = SeededGenerator(seed: seed)
        for adapter in byPath.sorted(by: { $0.key < $1.key }).map(\.value) {
            let bound = 1 / Float(adapter.a.dim(1)).squareRoot()
            for i in 0..<adapter.a.count { adapter.a[i] = Float.random(in: -bound..<bound, using: &rng) }
        }
    }

    /// Adapters (all zero) on the targeted layers; loading fills them.
    init(model: any VisionLanguageModel, config: LoRAConfig) throws {
        let layers = model.linearLayers.filter { config.targets($0.path) }
        guard !layers.isEmpty else { throw ModelError(file: "adapter_config.json", "target_modules match no linear layer of the model") }
        self.config = config
        var specs: [ParameterSet.Spec] = []
        for layer in layers {
            specs.append(.init(Self.aName(layer.path), [config.rank, layer.inFeatures]))
            specs.append(.init(Self.bName(layer.path), [layer.outFeatures, config.rank]))
        }
        let parameters = ParameterSet(specs)
        parameters.enableGradients()
        self.parameters = parameters
        let alpha = config.useRSLoRA ? config.alpha * Float(config.rank).squareRoot() : config.alpha  // scale α/√r
        var byPath: [String: LoRAAdapter] = [:]
        for layer in layers {
            let adapter = LoRAAdapter(rank: config.rank, alpha: alpha, dropout: config.dropout,
                                      a: parameters[Self.aName(layer.path)], b: parameters[Self.bName(layer.path)],
                                      dA: parameters.gradient(Self.aName(layer.path)), dB: parameters.gradient(Self.bName(layer.path)))
            layer.lora = adapter
            byPath[layer.path] = adapter
        }
        self.byPath = byPath
    }

    /// Turns every adapter on or off (off: the base model, DPO's implicit reference).
    public func setEnabled(_ enabled: Bool) {
        for adapter in byPath.values { adapter.enabled = enabled }
    }

    /// Folds every adapter into its base weight (W += scale · B A) and detaches it. An NF4 base
    /// cannot take the sum: merge into the fp32 base loaded without quantization instead.
    public func merge(into model: any VisionLanguageModel) throws {
        let layers = model.linearLayers.filter { $0.lora != nil && byPath[$0.path] === $0.lora }
        if let quantized = layers.first(where: { if case .nf4 = $0.weight { true } else { false } }) {
            throw ModelError(file: quantized.path, "the base weight is NF4: load the model without quantization to merge adapters into it")
        }
        for layer in layers {
            guard let lora = layer.lora, case .dense(let weight) = layer.weight else { continue }
            Matmul.gemm(transA: false, transB: false, m: layer.outFeatures, n: layer.inFeatures, k: lora.rank, alpha: lora.scale,
                        a: lora.b.data, lda: lora.rank, b: lora.a.data, ldb: layer.inFeatures,
                        beta: 1, c: weight.data, ldc: layer.inFeatures)
            layer.lora = nil
        }
    }
}
