import Evaluation
import Foundation
import Interchange
import Tensor
import TestSupport
import Testing
import VLM
@testable import Training

/// vlm-align's DPO against TRL's DPOTrainer on the same tiny model, data and batch.
@Suite(.timeLimit(.minutes(10))) struct DPOParityTests {
    /// rewards within 1e-4 absolute; loss, log-probs and the gradient norm within 1e-3 relative;
    /// the learning rate to float precision.
    static func compare(_ ours: [String: Double], _ expected: [String: Double], _ what: String) {
        func check(_ key: String, within tolerance: (Double) -> Double) {
            guard let e = expected[key] else { Issue.record("\(what): TRL logged no \(key)"); return }
            guard let o = ours[key] else { Issue.record("\(what): we logged no \(key)"); return }
            #expect(abs(o - e) <= tolerance(e), "\(what) \(key): \(o) vs TRL \(e)")
        }
        for key in ["rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies"] { check(key) { _ in 1e-4 } }
        for key in ["loss", "logps/chosen", "logps/rejected"] { check(key) { 1e-3 * max(abs($0), 1e-3) } }
        for key in ["logits/chosen", "logits/rejected"] where expected[key] != nil { check(key) { _ in 1e-4 } }
        if expected["grad_norm"] != nil { check("grad_norm") { 1e-3 * $0 } }
        if expected["learning_rate"] != nil { check("learning_rate") { 1e-6 * $0 + 1e-12 } }
    }

    @Test func pairLogProbsMatchTRLsCollatorAndModel() throws {
        let fixture = try TRLFixture()
        let policy = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy"))
        let processor = try ImageProcessor(folder: TRLFixture.folder.appendingPathComponent("policy"))
        let pairs = try fixture.pairs(processor: processor)
        let logps = try PairScorer.logProbs(policy, pairs: pairs, padToken: 0)
        for (i, entry) in fixture.pairEntries.enumerated() {
            let c = TRLFixture.number(entry["chosen_logps"])!, r = TRLFixture.number(entry["rejected_logps"])!
            #expect(abs(logps[i].chosen - c) <= 1e-3, "pair \(i) chosen \(logps[i].chosen) vs \(c)")
            #expect(abs(logps[i].rejected - r) <= 1e-3, "pair \(i) rejected \(logps[i].rejected) vs \(r)")
        }
    }

    /// Each loss as TRL computes it (the settings are the fixture's: hinge at β 0.5, robust with
    /// ε 0.1, RPO with α 0.5): evaluate() and the first three steps.
    @Test(arguments: ["sigmoid", "ipo", "hinge", "robust", "rpo"])
    func evaluationAndFirstThreeStepsMatchTRL(loss: String) throws {
        let fixture = try TRLFixture()
        let loaded = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy"))
        loaded.parameters.enableGradients()
        let policy = Idefics3Model(config: loaded.config, parameters: loaded.parameters)
        let reference = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("reference"))
        let processor = try ImageProcessor(folder: TRLFixture.folder.appendingPathComponent("policy"))
        let pairs = try fixture.pairs(processor: processor)
        let expected = fixture.expected(loss: loss)
        #expect(expected.steps.count == 3)
        let trainer = try DPOTrainer(policy: policy, adapters: nil, reference: .model(reference),
                                     settings: try fixture.settings(loss: loss), maxGradNorm: 1)
        let refs = try trainer.referenceLogProbs(pairs)
        var rng = SeededGenerator(seed: 0)
        let evaluation = try trainer.lossAndGradients(pairs, reference: refs, backward: false, rng: &rng)
        Self.compare(evaluation.trlNamed, expected.eval, "\(loss) evaluate()")
        for (step, log) in expected.steps.enumerated() {
            var m = try trainer.lossAndGradients(pairs, reference: refs, backward: true, rng: &rng).trlNamed
            // TRL's rate drives our step here: it is an input, not a result
            m["grad_norm"] = Double(try trainer.updater.apply(lr: Float(log["learning_rate"] ?? .nan)))
            Self.compare(m, log.filter { $0.key != "learning_rate" }, "\(loss) step \(step + 1)")
        }
    }

    /// Robust DPO divides by 1 − 2ε: ε = 0.5 (and beyond) is refused, as is label smoothing with
    /// a loss that would ignore it.
    @Test func impossibleLabelSmoothingIsRefused() throws {
        let policy = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy"))
        let reference = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("reference"))
        let refused: [(DPOSettings, String)] = [
            (DPOSettings(loss: .robust, labelSmoothing: 0.5), "divides by 1 − 2ε, so ε must be in [0, 0.5)"),
            (DPOSettings(loss: .robust, labelSmoothing: 0.7), "divides by 1 − 2ε, so ε must be in [0, 0.5)"),
            (DPOSettings(loss: .sigmoid, labelSmoothing: -0.1), "ε is a probability, in [0, 1]"),
            (DPOSettings(loss: .hinge, labelSmoothing: 0.1), "not to hinge"),
        ]
        for (settings, message) in refused {
            #expect {
                _ = try DPOTrainer(policy: policy, adapters: nil, reference: .model(reference), settings: settings)
            } throws: { error in
                String(describing: error).contains(message)
            }
        }
        for settings in [DPOSettings(loss: .robust, labelSmoothing: 0.49), DPOSettings(loss: .sigmoid, labelSmoothing: 0.5)] {
            #expect(throws: Never.self) { try settings.validate() }
        }
    }

    /// `dpo` and `dpo-eval` refuse robust with ε = 0.5 before loading anything or writing the run.
    @Test func commandsRefuseRobustWithHalfLabelSmoothing() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run")
        let common = ["--model", TRLFixture.folder.appendingPathComponent("policy").path,
                      "--ref-model", TRLFixture.folder.appendingPathComponent("reference").path,
                      "--data", TRLFixture.folder.appendingPathComponent("pairs.jsonl").path, "--loss", "robust", "--label-smoothing", "0.5"]
        for arguments in [["dpo"] + common + ["--out", out.path, "--allow-no-sft"], ["dpo-eval"] + common] {
            let result = try CLI.run(arguments)
            #expect(result.status != 0, "\(arguments[0]) accepted robust with ε = 0.5")
            #expect(result.errors.contains("label smoothing 0.5 with the robust loss: it divides by 1 − 2ε, so ε must be in [0, 0.5)"),
                    "\(arguments[0]): \(result.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.path), "the refused run wrote \(out.path)")
    }
}

/// DPO runs against TRL through `TrainingRun`, in the order TRL's seeded sampler drew the pairs:
/// every step's metrics, and the parameters after the last step within 2e-6 of TRL's (they
/// differ by 4e-7 at most; weight decay moves them by ~1.5e-3 of their value, ~1e-4).
@Suite(.timeLimit(.minutes(10))) struct DPORunParityTests {
    /// The fixture's policy or reference.
    static func model(_ name: String) throws -> Idefics3Model { try Idefics3Model.load(TRLFixture.folder.appendingPathComponent(name)) }

    /// Trains `run` of the fixture and compares every step's metrics with TRL's.
    static func train(_ name: String, policy: any VisionLanguageModel, adapters: Adapters?, reference: ReferenceModel) throws {
        let fixture = try TRLFixture()
        let run = try fixture.run(name)
        let pairs = try fixture.pairs(processor: try ImageProcessor(folder: TRLFixture.folder.appendingPathComponent("policy")))
        let trainer = try DPOTrainer(policy: policy, adapters: adapters, reference: reference,
                                     settings: try TRLFixture.dpoSettings(run.settings, run.what))
        let refs = try trainer.referenceLogProbs(pairs)
        let objective = DPOObjective(trainer: trainer, pairs: run.replayed(pairs), references: run.replayed(refs))
        for (step, (report, log)) in zip(try run.train(objective), run.steps).enumerated() {
            DPOParityTests.compare(report.values, log, "\(name) step \(step + 1)")
        }
    }

    static var kept: SafetensorsFile {
        get throws { try SafetensorsFile(path: TRLFixture.folder.appendingPathComponent("runs.safetensors").path) }
    }

    /// cDPO (label smoothing ε 0.1 on the sigmoid loss) as TRL's aot loss computes it on
    /// micro-batches of one pair, four to an optimizer step: three steps.
    @Test func labelSmoothingMatchesTRL() throws {
        try Self.train("cdpo", policy: try Self.model("policy").trainable(), adapters: nil, reference: .model(try Self.model("reference")))
    }

    /// Micro-batches of one pair, three to an optimizer step (the epoch's last step has one), a
    /// cosine schedule with two warmup steps, weight decay 0.5 (not on biases and norm weights).
    @Test func scheduleWeightDecayAndAccumulationMatchTRL() throws {
        let policy = try Self.model("policy").trainable()
        try Self.train("schedule", policy: policy, adapters: nil, reference: .model(try Self.model("reference")))
        let mismatches = try TRLRun.parameterMismatches(try Self.kept, run: "schedule", tolerance: 2e-6) {
            policy.parameters.contains($0) ? policy.parameters[$0] : nil
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }

    /// --freeze-vision: the tower stays as loaded, bit for bit; the connector and the decoder
    /// train as TRL's with the tower's requires_grad off.
    @Test func frozenVisionTowerMatchesTRL() throws {
        let loaded = try Self.model("policy")
        let initial = Tensor(shape: [loaded.parameters.count], values: loaded.parameters.values.array)
        let policy = loaded.trainable(freezing: [.vision])
        try Self.train("freeze-vision", policy: policy, adapters: nil, reference: .model(try Self.model("reference")))
        let mismatches = try TRLRun.parameterMismatches(try Self.kept, run: "freeze-vision", tolerance: 2e-6) {
            policy.parameters.contains($0) ? policy.parameters[$0] : nil
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        var changed: [String] = []
        for (spec, offset) in zip(policy.parameters.specs, policy.parameters.offsets) where policy.part(of: spec.name) == .vision {
            if (offset..<(offset + spec.count)).contains(where: { policy.parameters.values[$0] != initial[$0] }) { changed.append(spec.name) }
        }
        #expect(changed.isEmpty, "frozen tower parameters changed: \(changed)")
    }
}

@Suite(.timeLimit(.minutes(10))) struct LoRADPOParityTests {
    /// One DPO backward with a PEFT adapter, the reference being the base (adapters off): every
    /// lora_A / lora_B gradient within 1e-3 of PyTorch's, relative to the tensor's largest.
    @Test func loraGradientsAfterOneStepMatchPyTorch() throws {
        let fixture = try TRLFixture()
        let policy = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy"))
        let adapters = try PEFTFormat.load(TRLFixture.folder.appendingPathComponent("lora"), into: policy)
        let processor = try ImageProcessor(folder: TRLFixture.folder.appendingPathComponent("policy"))
        let pairs = try fixture.pairs(processor: processor)
        let trainer = try DPOTrainer(policy: policy, adapters: adapters, reference: .adaptersDisabled, settings: DPOSettings())
        let refs = try trainer.referenceLogProbs(pairs)
        var rng = SeededGenerator(seed: 0)
        let m = try trainer.lossAndGradients(pairs, reference: refs, backward: true, rng: &rng)
        let expected = try SafetensorsFile(path: TRLFixture.folder.appendingPathComponent("lora-grads.safetensors").path)
        let loss = Double(expected.metadata["loss"] ?? "") ?? .nan
        #expect(abs(m.loss - loss) <= 1e-3 * loss, "loss \(m.loss) vs \(loss)")
        var failures: [String] = []
        for spec in adapters.parameters.specs {
            let want = try expected.tensor(spec.name), got = adapters.parameters.gradient(spec.name)!
            var worst: Float = 0, largest: Float = 0
            for i in 0..<want.count {
                worst = max(worst, abs(got[i] - want[i]))
                largest = max(largest, abs(want[i]))
            }
            if worst > 1e-3 * largest { failures.append("\(spec.name): \(worst) of \(largest)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let enabled = adapters.byPath.values.allSatisfy { $0.enabled }
        #expect(enabled, "adapters are back on after the reference pass")
    }

    /// Three DPO steps of TRL + PEFT from the adapters of lora/ (the decoder's projections, what
    /// `--lora-rank` adapts) and lora-vision/ (the vision tower's too, `--lora-vision`): the
    /// modules our targets pick are PEFT's, each step's metrics are TRL's, and the adapters after
    /// the last step are within 5e-5 of PEFT's (most within 5e-7; AdamW turns the rounding noise
    /// of a near-zero gradient into a step of up to the learning rate, 1e-3, and one element of
    /// the decoder's adapters drifts by 1.5e-5).
    @Test(arguments: [("lora", false), ("lora-vision", true)])
    func threeStepsMatchTRLAndPEFT(run: String, includeVision: Bool) throws {
        let policy = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy"))
        let adapters = try PEFTFormat.load(TRLFixture.folder.appendingPathComponent(run), into: policy)
        let targets = LoRAConfig(rank: 4, alpha: 8, targets: policy.loraTargets(LoRAConfig.decoderProjections, includeVision: includeVision))
        let ours = Set(policy.linearLayers.map(\.path).filter { targets.targets($0) })
        #expect(ours == Set(adapters.byPath.keys), "\(run): our targets \(ours.sorted()) vs PEFT's \(adapters.byPath.keys.sorted())")
        #expect(policy.isVisionTrainable == includeVision)
        try DPORunParityTests.train(run, policy: policy, adapters: adapters, reference: .adaptersDisabled)
        let mismatches = try TRLRun.parameterMismatches(try DPORunParityTests.kept, run: run, tolerance: 5e-5) {
            adapters.parameters.contains($0) ? adapters.parameters[$0] : nil
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }
}

@Suite(.timeLimit(.minutes(10))) struct AlignmentMetricTests {
    /// The KL estimate is zero when the policy is its reference, and positive when the policy
    /// samples what the reference finds less likely.
    @Test func klIsZeroAgainstItselfAndPositiveAgainstAnotherModel() throws {
        let fixture = try TRLFixture()
        let policy = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy"))
        policy.parameters.enableGradients()
        let model = Idefics3Model(config: policy.config, parameters: policy.parameters)
        let processor = try ImageProcessor(folder: TRLFixture.folder.appendingPathComponent("policy"))
        let pairs = try fixture.pairs(processor: processor)
        let sampling = SamplingSettings(temperature: 1, seed: 3, maxNewTokens: 8)
        let same = try DPOTrainer(policy: model, adapters: nil, reference: .model(try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy"))),
                                  settings: DPOSettings())
        // zero up to rounding: the reference encodes each image alone (its frozen features are
        // cached), the trained policy all tiles of a batch at once
        #expect(abs(try AlignmentMetrics.kl(same, prompts: pairs, sampling: sampling, batchSize: 2)) < 1e-5)
        let other = try DPOTrainer(policy: model, adapters: nil, reference: .model(try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("reference"))),
                                   settings: DPOSettings())
        #expect(try AlignmentMetrics.kl(other, prompts: pairs, sampling: sampling, batchSize: 2) > 0.1)
    }
}
