import Foundation
import Interchange
import Tensor

/// Fresh weights for training a model from scratch (e.g. a ShapesWorld model), drawn as
/// transformers draws them.
///
/// - Decoder and connector as transformers initialises Idefics3 / LLaMA: matrices and
///   embeddings from N(0, σ²) with σ = `text_config.initializer_range` (0.02), the padding
///   token's embedding 0, biases 0, norm weights 1.
/// - Vision tower as transformers initialises SigLIP (`SiglipPreTrainedModel._init_weights`):
///   patch embedding LeCun-normal, position embedding N(0, 1/width), attention and MLP
///   matrices Xavier-uniform, MLP biases N(0, 1e-12), other biases 0, norms 1.
///
/// Why SigLIP's scheme for the tower, not Idefics3's N(0, 0.02²) everywhere: at 0.02 each patch
/// embedding is small beside what three random layers add to the residual stream, so the
/// tower's output barely depends on the image, and a ShapesWorld model did not learn even the
/// colour of a lone object in 400 steps; with SigLIP's scheme it did (docs/shapesworld.md).
enum InitialWeights {
    static func fill(_ parameters: ParameterSet, config: Idefics3Config, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let sigma = Float(config.raw["text_config"]?["initializer_range"]?.doubleValue
            ?? config.raw["initializer_range"]?.doubleValue ?? 0.02)
        for spec in parameters.specs {
            let t = parameters[spec.name]
            let isVision = spec.name.hasPrefix(VisionTower.prefix + ".")
            if spec.name.contains("norm") {
                if !spec.name.hasSuffix(".bias") { draw(t, &rng) { _ in 1 } }
            } else if isVision {
                fillVision(t, name: spec.name, shape: spec.shape, rng: &rng)
            } else if !spec.name.hasSuffix(".bias") {
                draw(t, &rng) { r in sigma * r.normal() }
            }
        }
        if let pad = config.padTokenId, pad >= 0, pad < config.text.vocabSize {
            let embed = parameters[Idefics3Model.embedPath], d = config.text.hiddenSize
            for j in 0..<d { embed[pad * d + j] = 0 }
        }
    }

    private static func draw(_ t: Tensor, _ rng: inout SeededGenerator, _ value: (inout SeededGenerator) -> Float) {
        for i in 0..<t.count { t[i] = value(&rng) }
    }

    private static func fillVision(_ t: Tensor, name: String, shape: [Int], rng: inout SeededGenerator) {
        if name.hasSuffix("patch_embedding.weight") {
            // LeCun normal as transformers draws it: a normal of std √(1/fan_in) / 0.8796…
            // truncated at ±2 (absolute, as torch's trunc_normal_ bounds are)
            let std = (1 / Float(shape.dropFirst().reduce(1, *))).squareRoot() / 0.879_625_66
            draw(t, &rng) { r in
                while true { let x = std * r.normal(); if abs(x) <= 2 { return x } }
            }
        } else if name.hasSuffix("position_embedding.weight") {
            let std = 1 / Float(shape[1]).squareRoot()
            draw(t, &rng) { r in std * r.normal() }
        } else if name.hasSuffix(".weight") {
            let bound = (6 / Float(shape[0] + shape[1])).squareRoot()
            draw(t, &rng) { r in Float.random(in: -bound...bound, using: &r) }
        } else if name.contains(".mlp.") {
            draw(t, &rng) { r in 1e-6 * r.normal() }
        }
    }
}
