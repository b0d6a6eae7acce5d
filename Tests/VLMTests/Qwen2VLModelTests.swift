import Foundation
import Imaging
import Interchange
import JSON
import Tensor
import Testing
@testable import VLM

/// The tiny Qwen2-VL and Qwen2.5-VL models of tools/fixtures/qwen2vl_fixtures.py against what
/// transformers computed: one prompt with two images of different sizes and a completion.
@Suite(.timeLimit(.minutes(10))) struct Qwen2VLModelTests {
    static let names = ["qwen2-vl", "qwen2.5-vl"]

    struct Fixture {
        let folder: URL
        let ids: [Int32]
        let promptLength: Int
        let loss: Double
        let generated: [Int32]
        let expected: SafetensorsFile
        let images: ImageBatch

        init(_ name: String) throws {
            let root = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/qwen")
            folder = root.appendingPathComponent(name)
            let inputs = try JSONValue(parsing: Data(contentsOf: folder.appendingPathComponent("inputs.json")))
            ids = (inputs["input_ids"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) }
            promptLength = inputs["prompt_length"]?.intValue ?? 0
            loss = inputs["loss"]?.doubleValue ?? .nan
            generated = (inputs["generated"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) }
            expected = try SafetensorsFile(path: folder.appendingPathComponent("expected.safetensors").path)
            let processor = try ModelFolder.processor(folder)
            let pictures = try ["wide.png", "tall.png"].map { try RGBImage(contentsOf: root.appendingPathComponent("images/\($0)")) }
            let prompt = inputs["prompt"]?.stringValue ?? ""
            images = try processor.encodePrompt(prompt, images: pictures).images!
        }

        var batch: TextBatch {
            TextBatch(tokens: ids, batch: 1, length: ids.count, positions: ids.indices.map(Int32.init))
        }
    }

    /// Logits of every token within 1e-4 of the largest |logit|.
    @Test(arguments: names)
    func logitsMatchTransformers(name: String) throws {
        let fixture = try Fixture(name)
        let model = try ModelFolder.load(fixture.folder)
        var rng = SeededGenerator(seed: 0)
        let pass = try model.forward(fixture.batch, images: fixture.images, visionOut: nil, caches: nil, training: false, rng: &rng)
        let logits = model.logits(pass, rows: Array(fixture.ids.indices))
        let expected = try fixture.expected.tensor("logits")
        #expect(logits.shape == expected.shape)
        var worst: Float = 0, largest: Float = 0
        for i in 0..<min(expected.count, logits.count) {
            largest = max(largest, abs(expected[i]))
            worst = max(worst, abs(logits[i] - expected[i]))
        }
        print("\(name): max logit error \(worst), largest |logit| \(largest)")
        #expect(worst <= 1e-4 * largest, "\(name): max logit error \(worst), largest |logit| \(largest)")
    }

    /// The fixture's folders are as transformers 5.24 writes Qwen2-VL: 4.x's keys (`visual.…`,
    /// `model.layers.…`). A folder keyed by the module paths instead, with 4.x's flat config (and
    /// a tied model's copy of the head), loads to the same logits; vlm-align writes 4.x's keys,
    /// as transformers does.
    @Test(arguments: names)
    func bothKeyLayoutsLoadTheSame(name: String) throws {
        let fixture = try Fixture(name)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qwen-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for file in ["tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "chat_template.jinja"] {
            try FileManager.default.copyItem(at: fixture.folder.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        try FileManager.default.copyItem(at: fixture.folder.deletingLastPathComponent().appendingPathComponent("config-4x/\(name).json"),
                                         to: dir.appendingPathComponent("config.json"))
        let weights = try SafetensorsFile(path: fixture.folder.appendingPathComponent("model.safetensors").path)
        let stored = weights.entries.keys.sorted()
        #expect(stored.contains { $0.hasPrefix("visual.blocks.0.") } && stored.contains { $0.hasPrefix("model.layers.0.") })
        var tensors = try stored.map { key -> (String, Tensor) in
            let path = key.hasPrefix("visual.") ? "model." + key
                : key.hasPrefix("model.") ? "model.language_model." + key.dropFirst("model.".count) : key
            return (path, try weights.tensor(key))
        }
        let tied = try Qwen2VLConfig(contentsOf: fixture.folder.appendingPathComponent("config.json")).tieWordEmbeddings
        if tied { tensors.append(("lm_head.weight", try weights.tensor("model.embed_tokens.weight"))) }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], dtype: .f32, to: dir.appendingPathComponent("model.safetensors"))
        let paths = try ModelFolder.load(dir), keys = try ModelFolder.load(fixture.folder)
        var rng = SeededGenerator(seed: 0)
        let rows = Array(fixture.ids.indices)
        let a = paths.logits(try paths.forward(fixture.batch, images: fixture.images, visionOut: nil, caches: nil, training: false, rng: &rng), rows: rows)
        let b = keys.logits(try keys.forward(fixture.batch, images: fixture.images, visionOut: nil, caches: nil, training: false, rng: &rng), rows: rows)
        #expect(a.array == b.array)
        let written = dir.appendingPathComponent("written")
        try ModelFolder.save(paths, to: written, companionsFrom: dir)
        #expect(Set(try SafetensorsFile(path: written.appendingPathComponent("model.safetensors").path).entries.keys) == Set(stored))
    }

    /// Every parameter's gradient of the completion's mean cross-entropy within 1e-3 of the
    /// largest |gradient| of its tensor, with attention's tables kept for backward and without.
    @Test(arguments: names, [true, false])
    func gradientsMatchPyTorch(name: String, tablesKept: Bool) throws {
        let fixture = try Fixture(name)
        let loaded = try ModelFolder.load(fixture.folder)
        let model = loaded.trainable()
        var rng = SeededGenerator(seed: 0)
        let pass = try AttentionTables.$forced.withValue(tablesKept) {
            try model.forward(fixture.batch, images: fixture.images, visionOut: nil, caches: nil, training: true, rng: &rng)
        }
        let rows = Array((fixture.promptLength - 1)..<(fixture.ids.count - 1))
        let targets = rows.map { fixture.ids[$0 + 1] }
        let logits = model.logits(pass, rows: rows)
        let mask = Tensor(shape: [rows.count], values: [Float](repeating: 1, count: rows.count))
        let logp = Tensor(shape: [rows.count]), lse = Tensor(shape: [rows.count])
        let loss = CrossEntropy.forward(logits: logits, targets: targets, mask: mask, logp: logp, logSumExp: lse)
        let dLogits = Tensor(shape: logits.shape)
        CrossEntropy.backward(dLoss: 1, logits: logits, targets: targets, mask: mask, logSumExp: lse, dLogits: dLogits)
        model.backward(pass, rows: rows, dLogits: dLogits)
        #expect(abs(Double(loss) - fixture.loss) <= 1e-4 * fixture.loss, "\(name): loss \(loss) vs \(fixture.loss)")
        let specs = model.parameters.specs
        let expected = try specs.map { try fixture.expected.tensor("grad.\($0.name)") }
        let globalLargest = expected.map { $0.array.map(abs).max() ?? 0 }.max() ?? 0
        var failures: [String] = [], worstRelative: Float = 0
        for (spec, expected) in zip(specs, expected) {
            let actual = model.parameters.gradient(spec.name)!
            var worst: Float = 0, largest: Float = 0
            for i in 0..<actual.count {
                worst = max(worst, abs(actual[i] - expected[i]))
                largest = max(largest, abs(expected[i]))
            }
            // a gradient zero in exact arithmetic (k's bias) is fp32 noise on both sides
            let scale = max(largest, 1e-3 * globalLargest)
            worstRelative = max(worstRelative, worst / scale)
            if worst > 1e-3 * scale { failures.append("\(spec.name): error \(worst) of \(largest)") }
        }
        print("\(name): \(specs.count) gradients, worst relative error \(worstRelative)")
        #expect(failures.isEmpty, "\(name): gradients differ:\n\(failures.joined(separator: "\n"))")
    }

    /// Greedy generation with the KV cache (M-RoPE positions continuing after the prompt) gives
    /// transformers' `generate` tokens.
    @Test(arguments: names)
    func greedyGenerationMatchesTransformers(name: String) throws {
        let fixture = try Fixture(name)
        let model = try ModelFolder.load(fixture.folder)
        let prompt = GenerationPrompt(tokens: Array(fixture.ids.prefix(fixture.promptLength)), images: fixture.images)
        let out = try Generator.generate(model, prompts: [prompt], settings: SamplingSettings(maxNewTokens: fixture.generated.count))
        #expect(out == [fixture.generated], "\(name)")
    }

    /// A left-padded batch of the two-image prompt and a shorter one-image prompt: each row's
    /// M-RoPE positions skip its padding and continue after its own images.
    @Test(arguments: names)
    func batchedGenerationMatchesTransformers(name: String) throws {
        let fixture = try Fixture(name)
        let inputs = try JSONValue(parsing: Data(contentsOf: fixture.folder.appendingPathComponent("inputs.json")))
        let expected = (inputs["batch_generated"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) } }
        let processor = try ModelFolder.processor(fixture.folder)
        let tiny = try RGBImage(contentsOf: fixture.folder.deletingLastPathComponent().appendingPathComponent("images/tiny.png"))
        let short = try processor.encodePrompt(inputs["short_prompt"]?.stringValue ?? "", images: [tiny])
        let prompts = [GenerationPrompt(tokens: Array(fixture.ids.prefix(fixture.promptLength)), images: fixture.images),
                       GenerationPrompt(tokens: short.tokens, images: short.images)]
        let model = try ModelFolder.load(fixture.folder)
        let out = try Generator.generate(model, prompts: prompts, settings: SamplingSettings(maxNewTokens: 6), padToken: processor.padToken)
        #expect(expected.count == 2 && out == expected, "\(name)")
    }
}
