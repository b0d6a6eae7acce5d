import Foundation
import JSON
import Tokenization

/// The SigLIP-style vision tower of an Idefics3 model (`vision_config`).
public struct VisionConfig: Sendable, Equatable, Codable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var channels: Int
    public var imageSize: Int
    public var patchSize: Int
    public var hiddenAct: String
    public var layerNormEps: Float

    public var headDim: Int { hiddenSize / heads }
    public var patchesPerSide: Int { imageSize / patchSize }
    public var patches: Int { patchesPerSide * patchesPerSide }
}

/// A LLaMA-style decoder (`text_config`): Idefics3's LLaMA, and Qwen2 (q/k/v biases).
public struct TextConfig: Sendable, Equatable, Codable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var vocabSize: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    public var maxPositionEmbeddings: Int
    public var hiddenAct: String
    /// Whether q_proj, k_proj and v_proj have biases (Qwen2 has them, LLaMA not).
    public var attentionBias = false
}

/// An Idefics3 / SmolVLM `config.json`, as transformers 4.x or 5.x writes it.
public struct Idefics3Config: Sendable, Equatable {
    public var vision: VisionConfig
    public var text: TextConfig
    public var scaleFactor: Int
    public var imageTokenId: Int
    public var tieWordEmbeddings: Bool
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]
    public var padTokenId: Int?
    /// The whole JSON object as read, so that keys vlm-align does not use survive a save.
    public var raw: JSONValue

    /// Image tokens per image (tile): patches / scale².
    public var imageSeqLen: Int { vision.patches / (scaleFactor * scaleFactor) }

    public static func == (a: Idefics3Config, b: Idefics3Config) -> Bool {
        a.vision == b.vision && a.text == b.text && a.scaleFactor == b.scaleFactor
            && a.imageTokenId == b.imageTokenId && a.tieWordEmbeddings == b.tieWordEmbeddings
            && a.bosTokenId == b.bosTokenId && a.eosTokenIds == b.eosTokenIds && a.padTokenId == b.padTokenId
    }

    public init(contentsOf url: URL) throws {
        try self.init(json: try FolderFiles.jsonObject(at: url), file: url.path)
    }

    public init(json: JSONValue, file: String) throws {
        let root = JSONReader(json, file: file, path: "")
        let modelType = try root.string("model_type", default: "idefics3")
        guard ["idefics3", "smolvlm"].contains(modelType) else {
            throw ModelError(file: file, "model_type \(modelType) is not an Idefics3 / SmolVLM model")
        }
        let v = try root.object("vision_config")
        let t = try root.object("text_config")
        let textType = try t.string("model_type", default: "llama")
        guard textType == "llama" else { throw ModelError(file: file, "text_config.model_type \(textType): only llama decoders are supported") }
        vision = VisionConfig(
            hiddenSize: try v.size("hidden_size", default: 1152),
            intermediateSize: try v.size("intermediate_size", default: 3072),
            layers: try v.size("num_hidden_layers", default: 12, limit: 1024),
            heads: try v.size("num_attention_heads", default: 16, limit: 1024),
            channels: try v.size("num_channels", default: 3, limit: 4),
            imageSize: try v.size("image_size", default: 224, limit: 16384),
            patchSize: try v.size("patch_size", default: 32, limit: 1024),
            hiddenAct: try v.string("hidden_act", default: "gelu_pytorch_tanh"),
            layerNormEps: Float(try v.double("layer_norm_eps", default: 1e-6)))
        let hidden = try t.size("hidden_size", default: 4096)
        let heads = try t.size("num_attention_heads", default: 32, limit: 1024)
        // transformers 5 nests rope_theta in rope_parameters; 4.x has it at the top level.
        let rope = try t.optionalObject("rope_parameters") ?? t.optionalObject("rope_scaling")
        if let ropeType = try rope?.optionalString("rope_type") ?? rope?.optionalString("type"), ropeType != "default" {
            throw ModelError(file: file, "text_config rope type \(ropeType) is not supported (only default rotary embeddings)")
        }
        let theta = try rope?.optionalDouble("rope_theta") ?? t.double("rope_theta", default: 10000)
        text = TextConfig(
            hiddenSize: hidden,
            intermediateSize: try t.size("intermediate_size", default: 11008),
            layers: try t.size("num_hidden_layers", default: 32, limit: 1024),
            heads: heads,
            kvHeads: try t.size("num_key_value_heads", default: heads, limit: 1024),
            headDim: try t.size("head_dim", default: max(hidden / heads, 1), limit: 4096),
            vocabSize: try t.size("vocab_size", default: 32000, limit: 1 << 24),
            rmsNormEps: Float(try t.double("rms_norm_eps", default: 1e-6)),
            ropeTheta: Float(theta),
            maxPositionEmbeddings: try t.size("max_position_embeddings", default: 2048, limit: 1 << 24),
            hiddenAct: try t.string("hidden_act", default: "silu"))
        scaleFactor = try root.size("scale_factor", default: 2, limit: 64)
        imageTokenId = try root.int("image_token_id", default: 128_257)
        // Either level may say so; transformers 5 reads the top level.
        tieWordEmbeddings = try root.optionalBool("tie_word_embeddings") ?? t.bool("tie_word_embeddings", default: false)
        bosTokenId = try t.optionalInt("bos_token_id") ?? root.optionalInt("bos_token_id")
        eosTokenIds = try t.intList("eos_token_id") ?? root.intList("eos_token_id") ?? []
        padTokenId = try t.optionalInt("pad_token_id") ?? root.optionalInt("pad_token_id")
        raw = json
        try validate(file: file)
    }

    private func validate(file: String) throws {
        func check(_ ok: Bool, _ problem: String) throws { if !ok { throw ModelError(file: file, problem) } }
        try check(vision.hiddenSize % vision.heads == 0, "vision hidden_size \(vision.hiddenSize) is not divisible by its \(vision.heads) heads")
        try check(vision.imageSize % vision.patchSize == 0, "vision image_size \(vision.imageSize) is not a multiple of patch_size \(vision.patchSize)")
        try check(vision.patchesPerSide % scaleFactor == 0, "scale_factor \(scaleFactor) does not divide the \(vision.patchesPerSide) patches per side")
        try check(text.heads % text.kvHeads == 0, "text num_key_value_heads \(text.kvHeads) does not divide num_attention_heads \(text.heads)")
        try check(text.headDim % 2 == 0, "text head_dim \(text.headDim) must be even for rotary embeddings")
        try check(imageTokenId >= 0 && imageTokenId < text.vocabSize, "image_token_id \(imageTokenId) is outside the vocabulary of \(text.vocabSize)")
        try check(["gelu_pytorch_tanh", "gelu"].contains(vision.hiddenAct), "vision hidden_act \(vision.hiddenAct) is not supported (gelu_pytorch_tanh, gelu)")
        try check(text.hiddenAct == "silu", "text hidden_act \(text.hiddenAct) is not supported (silu)")
    }
}
