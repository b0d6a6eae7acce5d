import Foundation
import Interchange
import JSON
import Tensor

/// The parts of a vision-language model, by what they do. Trainers freeze, quantize and adapt
/// parts by these names; only a model family knows which checkpoint keys each part holds.
public enum ModelPart: String, CaseIterable, Codable, Sendable {
    /// The vision encoder (tower).
    case vision
    /// What maps image features into the decoder's embedding space.
    case connector
    /// The language model: embeddings, decoder layers, final norm, LM head.
    case language
}

/// What one forward pass keeps for its backward pass (only the model that made it reads that),
/// and its output.
public protocol ForwardPass {
    /// The final hidden states [batch, length, D], after the final norm.
    var hidden: Tensor { get }
}

/// A vision-language model as trainers and generation use it: images in, tokens in, log-probs
/// and gradients out. A family (`Idefics3Model`, …) implements it with its own layers; module
/// paths equal its checkpoint keys.
public protocol VisionLanguageModel: AnyObject, Sendable {
    /// Every weight under its checkpoint name, and the gradients of those that train.
    var parameters: ParameterSet { get }
    /// Every linear layer, by module path (where LoRA adapters attach).
    var linearLayers: [LinearLayer] { get }
    var vocabularySize: Int { get }
    /// The token whose embeddings the image features replace.
    var imageTokenId: Int32 { get }
    /// Whether the vision tower keeps gradients; a frozen tower's features can be cached.
    var isVisionTrainable: Bool { get }
    /// config.json as this model writes it.
    var configJSON: JSONValue { get }

    /// The part a parameter or module path (checkpoint naming) belongs to.
    func part(of name: String) -> ModelPart
    /// The same model over the same weights, its layers picking up the gradient buffers the
    /// parameter set has now (after `enableGradients`).
    func rebuilt() -> any VisionLanguageModel
    /// PEFT's `target_modules` for adapting the named projections (`q_proj`, …) of the decoder,
    /// and of the vision tower too when `includeVision`.
    func loraTargets(_ names: [String], includeVision: Bool) -> LoRAConfig.Targets
    /// The model folder's processor: tokenizer, chat template, and images into tokens and tiles.
    func processor(folder: URL) throws -> any Processor

    /// The vision tower's output for the images (its input to the connector).
    func visionFeatures(_ images: ImageBatch) -> Tensor
    /// The vision tower alone, keeping what `backwardVision` needs (its `hidden` is the tower's
    /// output): for training the tower on an objective of its own, before the rest.
    func forwardVision(_ images: ImageBatch, rng: inout SeededGenerator) -> any ForwardPass
    /// Accumulates the tower's gradients from dFeatures, shaped as `forwardVision`'s output.
    func backwardVision(_ pass: any ForwardPass, dFeatures: Tensor)
    /// Shifts the tower's output by −`mean` [Dv] (its last bias absorbs it), so that features
    /// averaging `mean` average zero: a freshly trained tower's outputs share a large common
    /// vector that makes every image token look alike to the connector and decoder.
    func centerVisionFeatures(on mean: [Float])
    /// Runs the model over a batch. `visionOut` may carry cached vision features for `images`;
    /// with `caches` (one per decoder layer) keys and values are appended for decoding. Only a
    /// `training` pass keeps what `backward` needs.
    func forward(_ batch: TextBatch, images: ImageBatch?, visionOut: Tensor?, caches: [KVCache]?, training: Bool,
                 rng: inout SeededGenerator) throws -> any ForwardPass
    /// Logits [rows.count, vocabulary] of the given token rows (flat indices batch·length + t).
    func logits(_ pass: any ForwardPass, rows: [Int]) -> Tensor
    /// The connector's output at every image token of the pass (images in order, each image's
    /// tokens in order) read through the LM head: [image tokens, vocabulary], nil without
    /// images. An auxiliary loss on it puts image tokens where the decoder keeps the words of
    /// what they show (`ImageTokenWords`).
    func imageTokenLogits(_ pass: any ForwardPass) -> Tensor?
    /// Accumulates every trained parameter's gradient from dLogits of `logits(pass, rows:)`
    /// and, when given, dImageTokenLogits of `imageTokenLogits(pass)`.
    func backward(_ pass: any ForwardPass, rows: [Int], dLogits: Tensor, dImageTokenLogits: Tensor?)
    /// Empty key-value caches, one per decoder layer.
    func makeCaches(batch: Int, capacity: Int) -> [KVCache]
    /// The key a parameter is written under in model.safetensors: its name, unless the family's
    /// checkpoints name it otherwise than its module path (transformers 5 writes Qwen2-VL under
    /// its 4.x keys).
    func checkpointKey(of name: String) -> String
}

extension VisionLanguageModel {
    public func checkpointKey(of name: String) -> String { name }

    /// Accumulates every trained parameter's gradient from dLogits of `logits(pass, rows:)`.
    public func backward(_ pass: any ForwardPass, rows: [Int], dLogits: Tensor) {
        backward(pass, rows: rows, dLogits: dLogits, dImageTokenLogits: nil)
    }

    /// The model ready to train: gradients for every parameter outside the `frozen` parts.
    public func trainable(freezing frozen: Set<ModelPart> = []) -> any VisionLanguageModel {
        parameters.enableGradients(frozen: { frozen.contains(part(of: $0)) })
        return rebuilt()
    }
}

