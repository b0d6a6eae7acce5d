import Foundation
import JSON

/// The vision tower of a Qwen2-VL / Qwen2.5-VL model (`vision_config`).
public struct Qwen2VLVisionConfig: Sendable, Equatable {
    /// The blocks' width (Qwen2-VL's `embed_dim`, Qwen2.5-VL's `hidden_size`).
    public var hiddenSize: Int
    /// The merger's output: the decoder's width (Qwen2-VL's `hidden_size`, Qwen2.5-VL's `out_hidden_size`).
    public var outHiddenSize: Int
    public var intermediateSize: Int
    public var depth: Int
    public var heads: Int
    public var channels: Int
    public var patchSize: Int
    public var temporalPatchSize: Int
    public var spatialMergeSize: Int
    public var hiddenAct: String
    public var ropeTheta: Float
    /// Qwen2.5-VL: the side in pixels of the windows its windowed blocks attend within; nil for
    /// Qwen2-VL, whose blocks all attend to the whole image.
    public var windowSize: Int?
    /// Qwen2.5-VL: the blocks that attend to the whole image.
    public var fullAttentionBlocks: [Int]

    public var headDim: Int { hiddenSize / heads }
    /// Values of one flattened patch: channels × temporal patch × patch².
    public var patchValues: Int { channels * temporalPatchSize * patchSize * patchSize }
    /// Patches merged into one decoder token.
    public var mergeUnit: Int { spatialMergeSize * spatialMergeSize }
}

/// A Qwen2-VL or Qwen2.5-VL `config.json`, as transformers 4.x (text settings at the top level,
/// `rope_scaling`) or 5.x (`text_config`, `rope_parameters`) writes it.
public struct Qwen2VLConfig: Sendable, Equatable {
    public enum Generation: String, Sendable {
        case qwen2VL = "qwen2_vl", qwen25VL = "qwen2_5_vl"
    }

    public var generation: Generation
    public var vision: Qwen2VLVisionConfig
    /// The Qwen2 decoder (q/k/v biases, RMSNorm, SwiGLU).
    public var text: TextConfig
    /// How the rotary frequencies of a head split between temporal, height and width positions.
    public var mropeSection: [Int]
    public var imageTokenId: Int
    public var videoTokenId: Int
    public var visionStartTokenId: Int
    public var visionEndTokenId: Int
    public var tieWordEmbeddings: Bool
    public var eosTokenIds: [Int]
    public var padTokenId: Int?
    /// The whole JSON object as read, so that keys vlm-align does not use survive a save.
    public var raw: JSONValue

    public static func == (a: Qwen2VLConfig, b: Qwen2VLConfig) -> Bool {
        a.generation == b.generation && a.vision == b.vision && a.text == b.text && a.mropeSection == b.mropeSection
            && a.imageTokenId == b.imageTokenId && a.videoTokenId == b.videoTokenId
            && a.visionStartTokenId == b.visionStartTokenId && a.visionEndTokenId == b.visionEndTokenId
            && a.tieWordEmbeddings == b.tieWordEmbeddings && a.eosTokenIds == b.eosTokenIds && a.padTokenId == b.padTokenId
    }

    public static let modelTypes = [Generation.qwen2VL.rawValue, Generation.qwen25VL.rawValue]

    public init(contentsOf url: URL) throws {
        try self.init(json: try FolderFiles.jsonObject(at: url), file: url.path)
    }

    public init(json: JSONValue, file: String) throws {
        let root = JSONReader(json, file: file, path: "")
        let modelType = try root.string("model_type", default: "")
        guard let generation = Generation(rawValue: modelType) else {
            throw ModelError(file: file, "model_type \(modelType) is not a Qwen2-VL / Qwen2.5-VL model")
        }
        self.generation = generation
        let v = try root.object("vision_config")
        // Qwen2-VL names the blocks' width embed_dim and the output hidden_size; Qwen2.5-VL names
        // them hidden_size and out_hidden_size.
        let width: Int, out: Int, intermediate: Int
        switch generation {
        case .qwen2VL:
            width = try v.size("embed_dim", default: 1280)
            out = try v.size("hidden_size", default: 1536)
            intermediate = width * (try v.size("mlp_ratio", default: 4, limit: 64))
        case .qwen25VL:
            width = try v.size("hidden_size", default: 1280)
            out = try v.size("out_hidden_size", default: 3584)
            intermediate = try v.size("intermediate_size", default: 3420)
        }
        let visionRope = try v.optionalObject("rope_parameters")
        vision = Qwen2VLVisionConfig(
            hiddenSize: width, outHiddenSize: out, intermediateSize: intermediate,
            depth: try v.size("depth", default: 32, limit: 1024),
            heads: try v.size("num_heads", default: 16, limit: 1024),
            channels: try v.optionalInt("in_channels") ?? v.size("in_chans", default: 3, limit: 4),
            patchSize: try v.size("patch_size", default: 14, limit: 1024),
            temporalPatchSize: try v.size("temporal_patch_size", default: 2, limit: 16),
            spatialMergeSize: try v.size("spatial_merge_size", default: 2, limit: 16),
            hiddenAct: try v.string("hidden_act", default: generation == .qwen2VL ? "quick_gelu" : "silu"),
            ropeTheta: Float(try visionRope?.optionalDouble("rope_theta") ?? 10000),
            windowSize: generation == .qwen25VL ? try v.size("window_size", default: 112, limit: 1 << 16) : nil,
            fullAttentionBlocks: generation == .qwen25VL ? try v.intList("fullatt_block_indexes") ?? [7, 15, 23, 31] : [])
        // transformers 5 nests the decoder in text_config; 4.x keeps it at the top level.
        let t = try root.optionalObject("text_config") ?? root
        let rope = try t.optionalObject("rope_parameters") ?? t.optionalObject("rope_scaling") ?? root.optionalObject("rope_scaling")
        if let ropeType = try rope?.optionalString("rope_type") ?? rope?.optionalString("type"), !["default", "mrope"].contains(ropeType) {
            throw ModelError(file: file, "rope type \(ropeType) is not supported (only multimodal rotary embeddings)")
        }
        let theta = try rope?.optionalDouble("rope_theta") ?? t.optionalDouble("rope_theta") ?? root.double("rope_theta", default: 1_000_000)
        let hidden = try t.size("hidden_size", default: 3584)
        let heads = try t.size("num_attention_heads", default: 28, limit: 1024)
        text = TextConfig(
            hiddenSize: hidden,
            intermediateSize: try t.size("intermediate_size", default: 18944),
            layers: try t.size("num_hidden_layers", default: 28, limit: 1024),
            heads: heads,
            kvHeads: try t.size("num_key_value_heads", default: 4, limit: 1024),
            headDim: max(hidden / heads, 1),
            vocabSize: try t.size("vocab_size", default: 152_064, limit: 1 << 24),
            rmsNormEps: Float(try t.double("rms_norm_eps", default: 1e-6)),
            ropeTheta: Float(theta),
            maxPositionEmbeddings: try t.size("max_position_embeddings", default: 32768, limit: 1 << 24),
            hiddenAct: try t.string("hidden_act", default: "silu"),
            attentionBias: true)
        if try t.bool("use_sliding_window", default: false) {
            throw ModelError(file: file, "use_sliding_window is not supported (the decoder attends to every earlier token)")
        }
        mropeSection = try rope?.intList("mrope_section") ?? [16, 24, 24]
        imageTokenId = try root.int("image_token_id", default: 151_655)
        videoTokenId = try root.int("video_token_id", default: 151_656)
        visionStartTokenId = try root.int("vision_start_token_id", default: 151_652)
        visionEndTokenId = try root.int("vision_end_token_id", default: 151_653)
        // Either level may say so; transformers 5 reads the top level.
        tieWordEmbeddings = try root.optionalBool("tie_word_embeddings") ?? t.bool("tie_word_embeddings", default: false)
        eosTokenIds = try t.intList("eos_token_id") ?? root.intList("eos_token_id") ?? []
        padTokenId = try t.optionalInt("pad_token_id") ?? root.optionalInt("pad_token_id")
        raw = json
        try validate(file: file)
    }

    private func validate(file: String) throws {
        func check(_ ok: Bool, _ problem: String) throws { if !ok { throw ModelError(file: file, problem) } }
        try check(vision.hiddenSize % vision.heads == 0, "vision width \(vision.hiddenSize) is not divisible by its \(vision.heads) heads")
        try check(vision.headDim % 4 == 0, "vision head size \(vision.headDim) must be a multiple of 4 for its 2-D rotary embedding")
        try check(text.hiddenSize % text.heads == 0, "text hidden_size \(text.hiddenSize) is not divisible by its \(text.heads) heads")
        try check(text.heads % text.kvHeads == 0, "text num_key_value_heads \(text.kvHeads) does not divide num_attention_heads \(text.heads)")
        try check(mropeSection.count == 3 && mropeSection.allSatisfy { $0 >= 0 } && mropeSection.reduce(0, +) * 2 == text.headDim,
                  "mrope_section \(mropeSection) must be three sizes adding up to half the head size \(text.headDim)")
        for (name, id) in [("image_token_id", imageTokenId), ("vision_start_token_id", visionStartTokenId)] {
            try check(id >= 0 && id < text.vocabSize, "\(name) \(id) is outside the vocabulary of \(text.vocabSize)")
        }
        try check(text.hiddenAct == "silu", "text hidden_act \(text.hiddenAct) is not supported (silu)")
        let act = generation == .qwen2VL ? "quick_gelu" : "silu"
        try check(vision.hiddenAct == act, "vision hidden_act \(vision.hiddenAct) is not supported (\(act))")
        try check(vision.channels == 3, "vision in_channels \(vision.channels): images have 3 channels")
        try check(vision.outHiddenSize == text.hiddenSize,
                  "the merger's output width \(vision.outHiddenSize) differs from the decoder's hidden_size \(text.hiddenSize)")
        if let window = vision.windowSize {
            let unit = vision.patchSize * vision.spatialMergeSize
            try check(window % unit == 0 && window > 0, "window_size \(window) is not a multiple of patch_size × spatial_merge_size (\(unit))")
            try check(vision.fullAttentionBlocks.allSatisfy { $0 >= 0 && $0 < vision.depth },
                      "fullatt_block_indexes \(vision.fullAttentionBlocks) name blocks outside the \(vision.depth) of the tower")
        }
    }
}
