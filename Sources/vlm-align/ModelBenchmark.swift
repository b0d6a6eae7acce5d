import ArgumentParser
import Foundation
import Interchange
import JSON
import Tensor
import Tokenization
import VLM

/// Prefill and generation speed of a random-weight model of SmolVLM-256M's shapes (or a small
/// one), with peak memory: the engine's side of bench/model_vs_transformers.sh.
struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Prefill and generated tokens/s and peak memory of a random SmolVLM-256M-shaped model.")

    @Option(help: "smolvlm-256m or tiny.") var shape = "smolvlm-256m"
    @Option(name: .customLong("text-tokens"), help: "Text tokens of the prompt besides the image's.") var textTokens = 64
    @Option(name: .customLong("new-tokens"), help: "Tokens generated (no stop token).") var newTokens = 64
    @Option(help: "Timed repetitions (the best is reported).") var repeats = 3
    @Flag(help: "One JSON object.") var json = false

    static func config(_ shape: String) throws -> Idefics3Config {
        let (vision, text): (JSONValue, JSONValue)
        switch shape {
        case "smolvlm-256m":
            vision = .object([("hidden_size", .int(768)), ("intermediate_size", .int(3072)), ("num_hidden_layers", .int(12)),
                              ("num_attention_heads", .int(12)), ("image_size", .int(512)), ("patch_size", .int(16))])
            text = .object([("model_type", .string("llama")), ("hidden_size", .int(576)), ("intermediate_size", .int(1536)),
                            ("num_hidden_layers", .int(30)), ("num_attention_heads", .int(9)), ("num_key_value_heads", .int(3)),
                            ("vocab_size", .int(49280)), ("rms_norm_eps", .double(1e-5)), ("rope_theta", .double(100000)),
                            ("max_position_embeddings", .int(8192))])
        case "tiny":
            vision = .object([("hidden_size", .int(64)), ("intermediate_size", .int(128)), ("num_hidden_layers", .int(2)),
                              ("num_attention_heads", .int(4)), ("image_size", .int(64)), ("patch_size", .int(8))])
            text = .object([("model_type", .string("llama")), ("hidden_size", .int(64)), ("intermediate_size", .int(128)),
                            ("num_hidden_layers", .int(2)), ("num_attention_heads", .int(4)), ("num_key_value_heads", .int(2)),
                            ("vocab_size", .int(500))])
        default: throw ValidationError("--shape \(shape): use smolvlm-256m or tiny")
        }
        let scale = shape == "tiny" ? 2 : 4
        let vocab = shape == "tiny" ? 500 : 49280
        return try Idefics3Config(json: .object([("model_type", .string("idefics3")), ("vision_config", vision), ("text_config", text),
                                              ("scale_factor", .int(scale)), ("image_token_id", .int(vocab - 1)),
                                              ("tie_word_embeddings", .bool(true))]), file: "bench")
    }

    func run() throws {
        let config = try Self.config(shape)
        let model = Idefics3Model.initialize(config, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let side = config.vision.imageSize
        let pixels = Tensor.uniform(shape: [1, 3, side, side], using: &rng)
        let images = ImageBatch(pixels: pixels, patchMask: Tensor(shape: [1, config.vision.patches],
                                                                  values: [Float](repeating: 1, count: config.vision.patches)))
        let text = (0..<textTokens).map { _ in Int32.random(in: 10..<Int32(config.text.vocabSize - 10), using: &rng) }
        let prompt = [Int32(1)] + [Int32](repeating: Int32(config.imageTokenId), count: config.imageSeqLen) + text
        var bestPrefill = Double.infinity, bestTotal = Double.infinity
        for _ in 0..<repeats {
            // prefill alone: one forward over the prompt with the image, then the first token
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try Generator.generate(model, prompts: [GenerationPrompt(tokens: prompt, images: images)],
                                       settings: SamplingSettings(maxNewTokens: 1))
            let t1 = DispatchTime.now().uptimeNanoseconds
            _ = try Generator.generate(model, prompts: [GenerationPrompt(tokens: prompt, images: images)],
                                       settings: SamplingSettings(maxNewTokens: newTokens))
            let t2 = DispatchTime.now().uptimeNanoseconds
            bestPrefill = min(bestPrefill, Double(t1 - t0) / 1e9)
            bestTotal = min(bestTotal, Double(t2 - t1) / 1e9)
        }
        let decode = max(bestTotal - bestPrefill, 1e-9)
        let result: [(String, Double)] = [
            ("prompt_tokens", Double(prompt.count)), ("new_tokens", Double(newTokens)),
            ("prefill_seconds", bestPrefill), ("prefill_tokens_per_second", Double(prompt.count) / bestPrefill),
            ("generated_tokens_per_second", Double(newTokens - 1) / decode),
            ("peak_rss_mib", peakRSSMiB()), ("threads", Double(Parallel.threads)),
        ]
        if json {
            print("{" + result.map { "\"\($0.0)\":\(jsonNumber($0.1))" }.joined(separator: ",") + ",\"engine\":\"vlm-align\",\"blas\":\"\(BLASKernels.coreName)\"}")
        } else {
            for (k, v) in result { print(String(format: "%-30@ %.3f", k, v)) }
        }
    }
}
