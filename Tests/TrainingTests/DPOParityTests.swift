import Evaluation
import Foundation
import Interchange
import Tensor
import Testing
import VLM
@testable import Training

/// vlm-align's DPO against TRL's DPOTrainer on the same tiny model, data and batch.
@Suite(.timeLimit(.minutes(10))) struct DPOParityTests {
    /// rewards within 1e-4 absolute; loss and log-probs within 1e-3 relative.
    static func compare(_ m: DPOMetrics, _ expected: [String: Double], _ what: String, gradNorm: Float? = nil) {
        let ours = m.trlNamed
        for key in ["rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies"] {
            guard let e = expected[key] else { Issue.record("\(what): TRL logged no \(key)"); continue }
            #expect(abs(ours[key]! - e) <= 1e-4, "\(what) \(key): \(ours[key]!) vs TRL \(e)")
        }
        for key in ["loss", "logps/chosen", "logps/rejected"] {
            guard let e = expected[key] else { Issue.record("\(what): TRL logged no \(key)"); continue }
            #expect(abs(ours[key]! - e) <= 1e-3 * max(abs(e), 1e-3), "\(what) \(key): \(ours[key]!) vs TRL \(e)")
        }
        for key in ["logits/chosen", "logits/rejected"] {
            if let e = expected[key] { #expect(abs(ours[key]! - e) <= 1e-4, "\(what) \(key): \(ours[key]!) vs TRL \(e)") }
        }
        if let gradNorm, let e = expected["grad_norm"] {
            #expect(abs(Double(gradNorm) - e) <= 1e-3 * e, "\(what) grad_norm: \(gradNorm) vs TRL \(e)")
        }
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

    @Test(arguments: [DPOLossType.sigmoid, .ipo])
    func evaluationAndFirstThreeStepsMatchTRL(loss: DPOLossType) throws {
        let fixture = try TRLFixture()
        let loaded = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy"))
        loaded.parameters.enableGradients()
        let policy = Idefics3Model(config: loaded.config, parameters: loaded.parameters)
        let reference = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("reference"))
        let processor = try ImageProcessor(folder: TRLFixture.folder.appendingPathComponent("policy"))
        let pairs = try fixture.pairs(processor: processor)
        let expected = fixture.expected(loss: loss.rawValue)
        #expect(expected.steps.count == 3)
        let trainer = try DPOTrainer(policy: policy, adapters: nil, reference: .model(reference),
                                     settings: DPOSettings(beta: 0.1, loss: loss), maxGradNorm: 1)
        let refs = try trainer.referenceLogProbs(pairs)
        var rng = SeededGenerator(seed: 0)
        let evaluation = try trainer.lossAndGradients(pairs, reference: refs, backward: false, rng: &rng)
        Self.compare(evaluation, expected.eval, "\(loss) evaluate()")
        for (step, log) in expected.steps.enumerated() {
            let m = try trainer.lossAndGradients(pairs, reference: refs, backward: true, rng: &rng)
            let norm = try trainer.updater.apply(lr: 1e-3)
            Self.compare(m, log, "\(loss) step \(step + 1)", gradNorm: norm)
        }
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
