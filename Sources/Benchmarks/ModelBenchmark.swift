import Foundation
import Interchange
import JSON
import Tensor
import VLM

/// Prefill and generation speed of a random-weight model of SmolVLM-256M's or Qwen2-VL-2B's
/// shapes (or a small one of each family), with peak memory, and single-stream generation
/// against the memory's limit: the engine's side of bench/model_vs_transformers.sh. With a
/// batch above 1 it samples (temperature 1) that many copies of the prompt at once, as the
/// rounds sample candidates.
public struct ModelBenchmark {
    public enum Shape: String, CaseIterable, Sendable {
        case smolvlm256m = "smolvlm-256m"
        case tiny
        /// Qwen2-VL-2B's shapes; one 448 × 448 image (1024 patches, 256 image tokens).
        case qwen2VL2B = "qwen2-vl-2b"
        case qwenTiny = "qwen2-vl-tiny"
    }

    public var shape: Shape
    /// Text tokens of the prompt besides the image's.
    public var textTokens: Int
    /// Tokens generated (no stop token).
    public var newTokens: Int
    /// Timed repetitions (the best is reported).
    public var repeats: Int
    /// Prompts generated at once.
    public var batch: Int

    public init(shape: Shape, textTokens: Int, newTokens: Int, repeats: Int, batch: Int = 1) {
        self.shape = shape
        self.textTokens = textTokens
        self.newTokens = newTokens
        self.repeats = repeats
        self.batch = batch
    }

    public func config() throws -> Idefics3Config {
        let (vision, text): (JSONValue, JSONValue)
        switch shape {
        case .smolvlm256m:
            vision = .object([("hidden_size", .int(768)), ("intermediate_size", .int(3072)), ("num_hidden_layers", .int(12)),
                              ("num_attention_heads", .int(12)), ("image_size", .int(512)), ("patch_size", .int(16))])
            text = .object([("model_type", .string("llama")), ("hidden_size", .int(576)), ("intermediate_size", .int(1536)),
                            ("num_hidden_layers", .int(30)), ("num_attention_heads", .int(9)), ("num_key_value_heads", .int(3)),
                            ("vocab_size", .int(49280)), ("rms_norm_eps", .double(1e-5)), ("rope_theta", .double(100000)),
                            ("max_position_embeddings", .int(8192))])
        case .qwen2VL2B, .qwenTiny:
            throw ModelError(file: "bench", "\(shape.rawValue) is a Qwen2-VL shape: qwenConfig() describes it")
        case .tiny:
            vision = .object([("hidden_size", .int(64)), ("intermediate_size", .int(128)), ("num_hidden_layers", .int(2)),
                              ("num_attention_heads", .int(4)), ("image_size", .int(64)), ("patch_size", .int(8))])
            text = .object([("model_type", .string("llama")), ("hidden_size", .int(64)), ("intermediate_size", .int(128)),
                            ("num_hidden_layers", .int(2)), ("num_attention_heads", .int(4)), ("num_key_value_heads", .int(2)),
                            ("vocab_size", .int(500))])
        }
        let scale = shape == .tiny ? 2 : 4
        let vocab = shape == .tiny ? 500 : 49280
        return try Idefics3Config(json: .object([("model_type", .string("idefics3")), ("vision_config", vision), ("text_config", text),
                                                 ("scale_factor", .int(scale)), ("image_token_id", .int(vocab - 1)),
                                                 ("tie_word_embeddings", .bool(true))]), file: "bench")
    }

    /// Qwen2-VL's config of the shape (transformers 5 layout).
    public func qwenConfig() throws -> Qwen2VLConfig {
        let big = shape == .qwen2VL2B
        let vision: JSONValue = .object([
            ("depth", .int(big ? 32 : 2)), ("embed_dim", .int(big ? 1280 : 64)), ("hidden_size", .int(big ? 1536 : 64)),
            ("num_heads", .int(big ? 16 : 4)), ("mlp_ratio", .int(4)), ("patch_size", .int(14)), ("spatial_merge_size", .int(2)),
            ("temporal_patch_size", .int(2)), ("hidden_act", .string("quick_gelu"))])
        let section: [Int] = big ? [16, 24, 24] : [4, 6, 6]
        let text: JSONValue = .object([
            ("hidden_size", .int(big ? 1536 : 64)), ("intermediate_size", .int(big ? 8960 : 128)),
            ("num_hidden_layers", .int(big ? 28 : 2)), ("num_attention_heads", .int(big ? 12 : 2)), ("num_key_value_heads", .int(2)),
            ("vocab_size", .int(big ? 151_936 : 500)), ("rms_norm_eps", .double(1e-6)),
            ("rope_parameters", .object([("rope_type", .string("default")), ("rope_theta", .double(1_000_000)),
                                         ("mrope_section", .array(section.map { .int($0) }))]))])
        let vocab = big ? 151_936 : 500
        return try Qwen2VLConfig(json: .object([
            ("model_type", .string("qwen2_vl")), ("vision_config", vision), ("text_config", text), ("tie_word_embeddings", .bool(true)),
            ("image_token_id", .int(vocab - 4)), ("video_token_id", .int(vocab - 3)), ("vision_start_token_id", .int(vocab - 6)),
            ("vision_end_token_id", .int(vocab - 5))]), file: "bench")
    }

    /// The model, and a prompt of one image and `textTokens` text tokens.
    func modelAndPrompt(rng: inout SeededGenerator) throws -> (any VisionLanguageModel, [Int32], ImageBatch) {
        switch shape {
        case .smolvlm256m, .tiny:
            let config = try config()
            let side = config.vision.imageSize
            let pixels = Tensor.uniform(shape: [1, 3, side, side], using: &rng)
            let images = ImageBatch(pixels: pixels, patchMask: Tensor(shape: [1, config.vision.patches],
                                                                      values: [Float](repeating: 1, count: config.vision.patches)))
            let text = (0..<textTokens).map { _ in Int32.random(in: 10..<Int32(config.text.vocabSize - 10), using: &rng) }
            let prompt = [Int32(1)] + [Int32](repeating: Int32(config.imageTokenId), count: config.imageSeqLen) + text
            return (Idefics3Model.initialize(config, seed: 1), prompt, images)
        case .qwen2VL2B, .qwenTiny:
            let config = try qwenConfig()
            let grid = ImageGrid(t: 1, h: 32, w: 32), v = config.vision
            let pixels = Tensor.uniform(shape: [grid.patches, v.patchValues], using: &rng)
            let images = ImageBatch(pixels: pixels, patchMask: Tensor(shape: [grid.patches], values: [Float](repeating: 1, count: grid.patches)),
                                    grids: [grid])
            let text = (0..<textTokens).map { _ in Int32.random(in: 10..<Int32(config.text.vocabSize - 10), using: &rng) }
            let prompt = [Int32(config.visionStartTokenId)] + [Int32](repeating: Int32(config.imageTokenId), count: grid.patches / v.mergeUnit)
                + [Int32(config.visionEndTokenId)] + text
            return (Qwen2VLModel.initialize(config, seed: 1), prompt, images)
        }
    }

    /// The measurements, by name, in a fixed order.
    public func run() throws -> [(String, Double)] {
        var rng = SeededGenerator(seed: 2)
        let (model, prompt, images) = try modelAndPrompt(rng: &rng)
        let prompts = [GenerationPrompt](repeating: GenerationPrompt(tokens: prompt, images: images), count: batch)
        let temperature: Float = batch > 1 ? 1 : 0
        var bestPrefill = Double.infinity, bestDecode = Double.infinity
        for _ in 0..<repeats {
            // prefill: the prompt with its image, up to the first token; then the other tokens
            let start = DispatchTime.now().uptimeNanoseconds
            var first = start, last = start
            _ = try Generator.generate(model, prompts: prompts,
                                       settings: SamplingSettings(temperature: temperature, seed: 3, maxNewTokens: newTokens)) { steps in
                last = DispatchTime.now().uptimeNanoseconds
                if steps == 1 { first = last }
            }
            bestPrefill = min(bestPrefill, Double(first - start) / 1e9)
            bestDecode = min(bestDecode, Double(last - first) / 1e9)
        }
        let generated = Double(batch * (newTokens - 1)) / max(bestDecode, 1e-9)
        var result: [(String, Double)] = [
            ("batch", Double(batch)), ("prompt_tokens", Double(prompt.count)), ("new_tokens", Double(newTokens)),
            ("prefill_seconds", bestPrefill), ("prefill_tokens_per_second", Double(batch * prompt.count) / bestPrefill),
            ("generated_tokens_per_second", generated),
            ("peak_rss_mib", peakRSSMiB()), ("threads", Double(Parallel.threads)),
        ]
        if batch == 1 {
            // one stream reads every decoder weight once a token (the embedding table once, as
            // the tied head); the limit is the copy bandwidth over those bytes
            let bytes = Double(decodedWeights(model) * MemoryLayout<Float>.size)
            let bandwidth = MemoryBandwidth.copy()
            result += [("decode_weight_mb", bytes / 1e6), ("copy_bandwidth_gb_per_second", bandwidth),
                       ("bandwidth_limit_tokens_per_second", bandwidth * 1e9 / bytes),
                       ("share_of_bandwidth_limit", generated / (bandwidth * 1e9 / bytes))]
        }
        return result
    }

    /// The decoder's weights a decoding step reads: every language parameter, less the input
    /// embeddings where a separate head exists (a step reads one row of them).
    func decodedWeights(_ model: any VisionLanguageModel) -> Int {
        let specs = model.parameters.specs.filter { model.part(of: $0.name) == .language }
        let untied = specs.contains { $0.name == "lm_head.weight" }
        return specs.filter { !(untied && $0.name.hasSuffix("embed_tokens.weight")) }.reduce(0) { $0 + $1.count }
    }
}
