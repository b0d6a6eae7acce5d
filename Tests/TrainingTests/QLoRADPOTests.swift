import Evaluation
import Foundation
import Interchange
import JSON
import Tensor
import TestSupport
import Testing
import VLM
@testable import Training

/// DPO with LoRA on an NF4 base (QLoRA), the reference being that base with adapters off.
@Suite(.timeLimit(.minutes(10))) struct QLoRADPOTests {
    @Test func qloraDPOStepsDecreaseTheLossAndMatchTheDequantizedBase() throws {
        let fixture = try TRLFixture()
        let folder = TRLFixture.folder.appendingPathComponent("policy")
        let processor = try ImageProcessor(folder: folder)
        let pairs = try fixture.pairs(processor: processor)

        let policy = try Idefics3Model.load(folder, quantize: .nf4)
        let adapters = try PEFTFormat.load(TRLFixture.folder.appendingPathComponent("lora"), into: policy)
        let trainer = try DPOTrainer(policy: policy, adapters: adapters, reference: .adaptersDisabled, settings: DPOSettings())
        let refs = try trainer.referenceLogProbs(pairs)

        // the same adapters on an fp32 base holding the NF4 values compute the same step
        let twin = try Idefics3Model.load(folder)
        for spec in policy.parameters.quantizedSpecs {
            twin.parameters[spec.name].copy(from: policy.parameters.nf4(spec.name)!.dequantized())
        }
        let twinAdapters = try PEFTFormat.load(TRLFixture.folder.appendingPathComponent("lora"), into: twin)
        let twinTrainer = try DPOTrainer(policy: twin, adapters: twinAdapters, reference: .adaptersDisabled, settings: DPOSettings())
        let twinRefs = try twinTrainer.referenceLogProbs(pairs)
        for (r, t) in zip(refs, twinRefs) {
            #expect(abs(r.chosen - t.chosen) <= 1e-5 * abs(t.chosen) && abs(r.rejected - t.rejected) <= 1e-5 * abs(t.rejected))
        }

        var rng = SeededGenerator(seed: 0), twinRng = SeededGenerator(seed: 0)
        var losses: [Double] = []
        for step in 0..<4 {
            let m = try trainer.lossAndGradients(pairs, reference: refs, backward: true, rng: &rng)
            if step == 0 {
                let t = try twinTrainer.lossAndGradients(pairs, reference: twinRefs, backward: true, rng: &twinRng)
                #expect(abs(m.loss - t.loss) <= 1e-5 * t.loss, "loss \(m.loss) vs \(t.loss) on the dequantized base")
                let g = adapters.parameters.gradients!, tg = twinAdapters.parameters.gradients!
                var worst: Float = 0, largest: Float = 0
                for i in 0..<g.count {
                    worst = max(worst, abs(g[i] - tg[i]))
                    largest = max(largest, abs(tg[i]))
                }
                #expect(worst <= 1e-5 * largest, "adapter gradients differ by \(worst) of \(largest)")
            }
            losses.append(m.loss)
            _ = try trainer.updater.apply(lr: 5e-3)
        }
        // measured: 0.532, 0.233, 0.136, 0.077
        #expect(zip(losses, losses.dropFirst()).allSatisfy { $1 < $0 }, "QLoRA DPO losses \(losses)")
        #expect(policy.parameters.gradients == nil, "the NF4 base is frozen")
    }

    /// `vlm-align dpo --quantize nf4 --lora-rank R` trains adapters on an NF4 base from the
    /// command line: its first step starts where LoRA starts (B = 0, so the policy is the
    /// reference: loss ln 2, rewards 0), the adapter it writes has moved off zero, and loaded on
    /// an NF4 base in this process it scores the held-out set as the run logged at its end.
    /// Without --lora-rank it is refused.
    @Test func dpoCommandTrainsAdaptersOnAnNF4Base() throws {
        let dir = try CLI.temporaryDirectory(), out = dir.appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: dir) }
        let policyFolder = TRLFixture.folder.appendingPathComponent("policy"), data = TRLFixture.folder.appendingPathComponent("pairs.jsonl")
        let arguments = ["dpo", "--model", policyFolder.path, "--data", data.path, "--eval-data", data.path,
                         "--out", out.path, "--cache-dir", dir.appendingPathComponent("cache").path, "--allow-no-sft",
                         "--max-steps", "3", "--batch-size", "2", "--learning-rate", "5e-3", "--quantize", "nf4", "--json"]
        let run = try CLI.run(arguments + ["--lora-rank", "4"])
        #expect(run.status == 0, "qlora dpo failed: \(run.errors)")
        let lines = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONValue(parsing: String($0)) }
        #expect(lines.count == 4, "one metrics line per step and the final evaluation")
        let first = try #require(lines.first), last = try #require(lines.last)
        #expect(abs((first["loss"]?.doubleValue ?? .nan) - log(2)) <= 1e-6, "first loss \(first["loss"]?.doubleValue ?? .nan)")
        for key in ["rewards/chosen", "rewards/rejected", "rewards/margins"] {
            #expect(abs(first[key]?.doubleValue ?? .nan) <= 1e-6, "first \(key) \(first[key]?.doubleValue ?? .nan)")
        }

        let policy = try Idefics3Model.load(policyFolder, quantize: .nf4)
        let adapters = try PEFTFormat.load(out.appendingPathComponent("adapter"), into: policy)
        #expect(adapters.config.rank == 4)
        #expect(adapters.byPath.values.contains { $0.b.array.contains { $0 != 0 } }, "the adapter is still at its start")
        let processor = try policy.processor(folder: policyFolder)
        let pairs = try PreferenceDataset.pairs(data, processor: processor)
        let trainer = try DPOTrainer(policy: policy, adapters: adapters, reference: .adaptersDisabled, settings: DPOSettings(),
                                     padToken: processor.padToken)
        let scored = try AlignmentMetrics.dpo(trainer, pairs: pairs, references: try trainer.referenceLogProbs(pairs), batchSize: 2).trlNamed
        for key in ["loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logps/rejected"] {
            let logged = last["eval_" + key]?.doubleValue ?? .nan, ours = scored[key] ?? .nan
            #expect(abs(logged - ours) <= 1e-5 * max(1, abs(ours)), "eval_\(key): logged \(logged), in-process \(ours)")
        }
        #expect((scored["loss"] ?? .nan) < log(2), "three steps lowered the loss: \(scored["loss"] ?? .nan)")

        let refused = try CLI.run(arguments.map { $0 == out.path ? dir.appendingPathComponent("full").path : $0 })
        #expect(refused.status != 0 && refused.errors.contains("--quantize needs --lora-rank"), "\(refused.errors)")
    }
}
