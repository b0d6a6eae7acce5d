import Foundation
import Imaging
import Interchange
import JSON
import Tensor
import TestSupport
import Testing
import Tokenization
import VLM
@testable import Training

/// Qwen2-VL and Qwen2.5-VL through TRL's DPOTrainer (tools/fixtures/qwen2vl_trl_fixtures.py), and
/// Qwen2-VL through every command that takes --model: the family plugs in behind
/// `VisionLanguageModel`.
@Suite(.timeLimit(.minutes(10))) struct Qwen2VLTrainingTests {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/trl-qwen")
    static let policy = folder.appendingPathComponent("policy")
    static let reference = folder.appendingPathComponent("reference")
    static let pairsFile = folder.appendingPathComponent("pairs.jsonl")

    /// Qwen2-VL's fixture, and Qwen2.5-VL's (windowed attention, tied head).
    static let fixtures = ["trl-qwen", "trl-qwen2.5"]

    static func fixture(_ name: String) -> URL { folder.deletingLastPathComponent().appendingPathComponent(name) }

    static func expected(_ name: String = "trl-qwen") throws -> JSONValue {
        try JSONValue(parsing: Data(contentsOf: fixture(name).appendingPathComponent("expected.json")))
    }

    /// The pairs as our processor makes them from pairs.jsonl.
    static func pairs(_ name: String = "trl-qwen") throws -> [PreferencePair] {
        let folder = fixture(name)
        return try PreferenceDataset.pairs(folder.appendingPathComponent("pairs.jsonl"),
                                           processor: try ModelFolder.processor(folder.appendingPathComponent("policy")))
    }

    /// Prompt (image pads expanded, no BOS, no EOS), chosen and rejected tokens are TRL's, and
    /// so are the summed log-probs of each completion, with the frozen tower's features cached
    /// or not.
    @Test(arguments: fixtures)
    func pairsAndLogProbsMatchTRL(name: String) throws {
        let entries = try Self.expected(name)["pairs"]?.arrayValue ?? []
        let pairs = try Self.pairs(name)
        #expect(pairs.count == entries.count && entries.count == 3)
        for (pair, entry) in zip(pairs, entries) {
            #expect(pair.prompt == TRLFixture.ints(entry["prompt_ids"]))
            #expect(pair.chosen == TRLFixture.ints(entry["chosen_ids"]))
            #expect(pair.rejected == TRLFixture.ints(entry["rejected_ids"]))
        }
        let model = try ModelFolder.load(Self.fixture(name).appendingPathComponent("policy"))
        // the frozen tower's features of each image cached apart (images of different sizes) and stacked
        let cache = VisionFeatureCache()
        for visionCache in [nil, cache, cache] {
            let logps = try PairScorer.logProbs(model, pairs: pairs, padToken: 0, visionCache: visionCache)
            for (i, entry) in entries.enumerated() {
                let c = entry["chosen_logps"]?.doubleValue ?? .nan, r = entry["rejected_logps"]?.doubleValue ?? .nan
                #expect(abs(logps[i].chosen - c) <= 1e-3, "pair \(i) chosen \(logps[i].chosen) vs \(c)")
                #expect(abs(logps[i].rejected - r) <= 1e-3, "pair \(i) rejected \(logps[i].rejected) vs \(r)")
            }
        }
    }

    /// evaluate() and the first three steps of the sigmoid loss, as TRL logged them.
    @Test(arguments: fixtures)
    func evaluationAndFirstThreeStepsMatchTRL(name: String) throws {
        let entry = try #require(try Self.expected(name)["losses"]?["sigmoid"])
        var eval: [String: Double] = [:]
        for (k, v) in entry["eval"]?.objectValue ?? [] where k.hasPrefix("eval_") { eval[String(k.dropFirst(5))] = v.doubleValue }
        let steps = (entry["steps"]?.arrayValue ?? []).map(TRLFixture.metrics)
        #expect(steps.count == 3)
        let policy = try ModelFolder.load(Self.fixture(name).appendingPathComponent("policy")).trainable()
        let reference = try ModelFolder.load(Self.fixture(name).appendingPathComponent("reference"))
        let pairs = try Self.pairs(name)
        let trainer = try DPOTrainer(policy: policy, adapters: nil, reference: .model(reference),
                                     settings: try TRLFixture.dpoSettings(entry["settings"], "\(name) sigmoid"), maxGradNorm: 1)
        let refs = try trainer.referenceLogProbs(pairs)
        var rng = SeededGenerator(seed: 0)
        let evaluation = try trainer.lossAndGradients(pairs, reference: refs, backward: false, rng: &rng)
        DPOParityTests.compare(evaluation.trlNamed, eval, "\(name) evaluate()")
        for (step, log) in steps.enumerated() {
            var m = try trainer.lossAndGradients(pairs, reference: refs, backward: true, rng: &rng).trlNamed
            m["grad_norm"] = Double(try trainer.updater.apply(lr: Float(log["learning_rate"] ?? .nan)))
            print("\(name) step \(step + 1): loss \(m["loss"] ?? .nan) vs TRL \(log["loss"] ?? .nan), grad_norm \(m["grad_norm"] ?? .nan) vs \(log["grad_norm"] ?? .nan)")
            DPOParityTests.compare(m, log.filter { $0.key != "learning_rate" }, "\(name) step \(step + 1)")
        }
    }

    /// A PEFT adapter of the decoder's projections loads onto the modules PEFT put it on, and one
    /// DPO backward (reference: the base, adapters off) gives PyTorch's loss and every lora_A /
    /// lora_B gradient within 1e-3 of the tensor's largest.
    @Test func peftAdapterLoadsAndItsGradientsMatchPyTorch() throws {
        let policy = try ModelFolder.load(Self.policy)
        let adapters = try PEFTFormat.load(Self.folder.appendingPathComponent("lora"), into: policy)
        #expect(adapters.byPath.count == 2 * 7)
        let trainer = try DPOTrainer(policy: policy, adapters: adapters, reference: .adaptersDisabled, settings: DPOSettings())
        let pairs = try Self.pairs()
        let refs = try trainer.referenceLogProbs(pairs)
        var rng = SeededGenerator(seed: 0)
        let m = try trainer.lossAndGradients(pairs, reference: refs, backward: true, rng: &rng)
        let expected = try SafetensorsFile(path: Self.folder.appendingPathComponent("lora-grads.safetensors").path)
        let loss = Double(expected.metadata["loss"] ?? "") ?? .nan
        #expect(abs(m.loss - loss) <= 1e-3 * loss, "loss \(m.loss) vs \(loss)")
        var failures: [String] = [], worstRelative: Float = 0
        for spec in adapters.parameters.specs {
            let want = try expected.tensor(spec.name), got = adapters.parameters.gradient(spec.name)!
            var worst: Float = 0, largest: Float = 0
            for i in 0..<want.count {
                worst = max(worst, abs(got[i] - want[i]))
                largest = max(largest, abs(want[i]))
            }
            worstRelative = max(worstRelative, worst / largest)
            if worst > 1e-3 * largest { failures.append("\(spec.name): \(worst) of \(largest)") }
        }
        print("qwen2-vl LoRA: loss \(m.loss) vs \(loss), \(adapters.parameters.specs.count) gradients, worst relative error \(worstRelative)")
        #expect(adapters.parameters.specs.count == 28 && failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    /// `logprobs` prints TRL's numbers; `tokenize`, `generate`, `sft`, `dpo` (full and LoRA by
    /// PEFT's module names) and `dpo-eval` run on a Qwen2-VL folder and write what they promise.
    @Test func commandsTakeAQwenFolder() throws {
        let logprobs = try CLI.run(["logprobs", "--model", Self.policy.path, "--data", Self.pairsFile.path, "--json"])
        #expect(logprobs.status == 0, "\(logprobs.errors)")
        let lines = try logprobs.output.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        let entries = try Self.expected()["pairs"]?.arrayValue ?? []
        #expect(lines.count == entries.count)
        for (line, entry) in zip(lines, entries) {
            for key in ["chosen_logps", "rejected_logps"] {
                let ours = line[key]?.doubleValue ?? .nan, theirs = entry[key]?.doubleValue ?? .nan
                #expect(abs(ours - theirs) <= 1e-4 * abs(theirs), "\(key): \(ours) vs TRL's \(theirs)")
            }
        }

        let tokenized = try CLI.run(["tokenize", "--model", Self.policy.path], input: "\"a small red circle<|im_end|>\"\n")
        #expect(tokenized.status == 0, "\(tokenized.errors)")
        let processor = try ModelFolder.processor(Self.policy)
        let ids = try processor.encode("a small red circle<|im_end|>")
        #expect(tokenized.output.contains(ids.map(String.init).joined(separator: ",")), "\(tokenized.output)")

        let generated = try CLI.run(["generate", "--model", Self.policy.path, "--image", Self.folder.appendingPathComponent("images/scene0.png").path,
                                     "--prompt", "What shape is red?", "--max-new-tokens", "4", "--json"])
        #expect(generated.status == 0, "\(generated.errors)")
        let tokens = (try JSONValue(parsing: generated.output)["tokens"]?.arrayValue ?? []).compactMap(\.intValue)
        #expect(!tokens.isEmpty && tokens.count <= 4)

        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sftData = dir.appendingPathComponent("sft.jsonl")
        let rows = try String(contentsOf: Self.pairsFile, encoding: .utf8).split(separator: "\n").map { line -> String in
            let row = try JSONValue(parsing: String(line))
            let image = Self.folder.appendingPathComponent(row["images"]?.arrayValue?.first?.stringValue ?? "").path
            return JSONValue.object([("images", .array([.string(image)])), ("prompt", row["prompt"]!), ("completion", row["chosen"]!)]).serialized(indent: 0)
        }
        try rows.joined(separator: "\n").write(to: sftData, atomically: true, encoding: .utf8)
        let sft = try CLI.run(["sft", "--model", Self.policy.path, "--data", sftData.path, "--out", dir.appendingPathComponent("sft").path,
                               "--max-steps", "1", "--batch-size", "3"])
        #expect(sft.status == 0, "\(sft.errors)")
        let sftModel = dir.appendingPathComponent("sft/model")
        #expect(try Qwen2VLConfig(contentsOf: sftModel.appendingPathComponent("config.json")).generation == .qwen2VL)

        let dpo = try CLI.run(["dpo", "--model", sftModel.path, "--ref-model", Self.reference.path, "--data", Self.pairsFile.path,
                               "--out", dir.appendingPathComponent("dpo").path, "--cache-dir", dir.appendingPathComponent("cache").path,
                               "--max-steps", "1", "--batch-size", "3"])
        #expect(dpo.status == 0, "\(dpo.errors)")
        _ = try ModelFolder.load(dir.appendingPathComponent("dpo/model"))

        let lora = try CLI.run(["dpo", "--model", sftModel.path, "--data", Self.pairsFile.path, "--out", dir.appendingPathComponent("lora").path,
                                "--cache-dir", dir.appendingPathComponent("cache").path, "--max-steps", "1", "--batch-size", "3",
                                "--lora-rank", "4"])
        #expect(lora.status == 0, "\(lora.errors)")
        let adapterConfig = try JSONValue(parsing: Data(contentsOf: dir.appendingPathComponent("lora/adapter/adapter_config.json")))
        let adapterWeights = try SafetensorsFile(path: dir.appendingPathComponent("lora/adapter/adapter_model.safetensors").path)
        #expect(adapterWeights.entries.keys.contains("base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight"),
                "\(adapterWeights.entries.keys.sorted().prefix(4)) with \(adapterConfig["target_modules"]?.serialized(indent: 0) ?? "")")
        #expect(!adapterWeights.entries.keys.contains { $0.contains("visual") })

        let qlora = try CLI.run(["dpo", "--model", sftModel.path, "--data", Self.pairsFile.path, "--out", dir.appendingPathComponent("qlora").path,
                                 "--cache-dir", dir.appendingPathComponent("cache").path, "--max-steps", "1", "--batch-size", "3",
                                 "--lora-rank", "4", "--quantize", "nf4", "--freeze-vision"])
        #expect(qlora.status == 0, "\(qlora.errors)")

        let evaluated = try CLI.run(["dpo-eval", "--model", sftModel.path, "--adapter", dir.appendingPathComponent("lora/adapter").path,
                                     "--data", Self.pairsFile.path, "--json"])
        #expect(evaluated.status == 0, "\(evaluated.errors)")
        // the workspace's way: a registered checkpoint, a frozen dataset version, a run registered
        // as its child, and that child evaluated against its parent
        let workspace = dir.appendingPathComponent("ws")
        for arguments in [["init", workspace.path, "--model", Self.policy.path, "--kind", "sft"],
                          ["import", "pairs", Self.pairsFile.path, "--workspace", workspace.path],
                          ["dataset", "freeze", "--workspace", workspace.path],
                          ["dpo", "--workspace", workspace.path, "--checkpoint", "1", "--dataset", "1", "--out",
                           dir.appendingPathComponent("ws-run").path, "--lora-rank", "4", "--max-steps", "1"]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 0, "\(arguments.prefix(2)): \(result.errors)")
        }
        let compared = try CLI.run(["eval", "--workspace", workspace.path, "--checkpoint", "2", "--pairs", Self.pairsFile.path])
        #expect(compared.status == 0 && compared.output.contains("preference accuracy"), "\(compared.errors)")

        let metrics = try JSONValue(parsing: evaluated.output)
        #expect(metrics["eval_pairs"]?.intValue == 3 && metrics["eval_rewards/accuracies"]?.doubleValue != nil, "\(evaluated.output)")
    }
}
