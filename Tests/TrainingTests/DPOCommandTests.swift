import Foundation
import Interchange
import JSON
import Tensor
import TestSupport
import Testing
import Tokenization
import VLM
@testable import Training

/// What `vlm-align dpo` and `dpo-eval` promise users beyond the numbers: DPO starts from SFT
/// unless told otherwise, the reference a command needs is asked for, an adapter is evaluated
/// against its base.
@Suite(.timeLimit(.minutes(10))) struct DPOCommandTests {
    static let policy = TRLFixture.folder.appendingPathComponent("policy")
    static let reference = TRLFixture.folder.appendingPathComponent("reference")
    static let pairs = TRLFixture.folder.appendingPathComponent("pairs.jsonl")

    /// A one-step DPO run from `model` into `out` (full fine-tuning against the fixture's reference).
    static func dpo(_ model: URL, out: URL, cache: URL, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["dpo", "--model", model.path, "--ref-model", reference.path, "--data", pairs.path, "--out", out.path,
                     "--cache-dir", cache.path, "--max-steps", "1", "--batch-size", "4"] + extra)
    }

    /// A copy of the fixture's policy folder, with `lineage` as its vlm_align.json when given.
    static func policyCopy(in dir: URL, name: String, lineage: Lineage?) throws -> URL {
        let folder = dir.appendingPathComponent(name)
        try FileManager.default.copyItem(at: policy, to: folder)
        try lineage?.write(to: folder)
        return folder
    }

    /// A model without SFT in its lineage (no vlm_align.json, or one that says base) is refused
    /// before anything is written, with the reason and the way out; --allow-no-sft lifts it.
    @Test func dpoFromAModelWithoutSFTIsRefusedUnlessAllowed() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try Self.policyCopy(in: dir, name: "base", lineage: Lineage(kind: .base, parent: nil, hasSFTAncestor: false, dataset: nil))
        let cases = [(Self.policy, "vlm_align.json is missing"), (base, "vlm_align.json says kind base")]
        for (index, (model, said)) in cases.enumerated() {
            let out = dir.appendingPathComponent("refused-\(index)")
            let refused = try Self.dpo(model, out: out, cache: cache)
            let message = "\(model.path): no supervised fine-tuning in this model's lineage (\(said)). DPO needs an SFT model; "
                + "pass --allow-no-sft if this model is already fine-tuned for the task."
            #expect(refused.status != 0 && refused.errors.contains(message), "\(refused.errors)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "a refused run wrote \(out.path)")

            let allowed = try Self.dpo(model, out: out, cache: cache, ["--allow-no-sft"])
            #expect(allowed.status == 0, "\(allowed.errors)")
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("model/model.safetensors").path))
        }
    }

    /// A vlm_align.json that is not a lineage record is named as such, not taken for a missing one.
    @Test func anUnreadableLineageIsNamed() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.policyCopy(in: dir, name: "corrupt", lineage: nil)
        try Data("{\"kind\": 7".utf8).write(to: model.appendingPathComponent(Lineage.fileName))
        let out = dir.appendingPathComponent("refused")
        let refused = try Self.dpo(model, out: out, cache: cache)
        #expect(refused.status != 0 && refused.errors.contains(model.appendingPathComponent(Lineage.fileName).path + ": not a lineage record"),
                "\(refused.errors)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "a refused run wrote \(out.path)")
    }

    /// In a workspace the checkpoint's kind decides: a base checkpoint is refused by number and
    /// kind, the same folder registered as SFT is accepted.
    @Test func inAWorkspaceTheCheckpointsKindDecides() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        for kind in ["base", "sft"] {
            let workspace = dir.appendingPathComponent("ws-\(kind)")
            let created = try CLI.run(["init", workspace.path, "--model", Self.policy.path, "--kind", kind])
            #expect(created.status == 0, "\(created.errors)")
            let result = try Self.dpo(Self.policy, out: dir.appendingPathComponent("run-\(kind)"), cache: cache, ["--workspace", workspace.path])
            if kind == "base" {
                #expect(result.status != 0 && result.errors.contains("no supervised fine-tuning in this model's lineage (checkpoint #1 is kind base)"),
                        "\(result.errors)")
            } else {
                #expect(result.status == 0 && result.output.contains("registered as checkpoint #2 (dpo, parent #1)"), "\(result.output)\(result.errors)")
            }
        }
    }

    /// `vlm-align sft` writes a model that DPO accepts without --allow-no-sft, and so is the DPO
    /// model made from it: SFT stays among its ancestors.
    @Test func dpoAcceptsAnSFTModelAndItsDescendants() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sftData = TRLFixture.folder.deletingLastPathComponent().appendingPathComponent("trl-sft/completions.jsonl")
        let sft = try CLI.run(["sft", "--model", Self.policy.path, "--data", sftData.path, "--out", dir.appendingPathComponent("sft").path,
                               "--max-steps", "1", "--batch-size", "2"])
        #expect(sft.status == 0, "\(sft.errors)")
        let sftModel = dir.appendingPathComponent("sft/model")
        #expect(try Lineage.read(sftModel)?.kind == .sft)

        let first = try Self.dpo(sftModel, out: dir.appendingPathComponent("dpo1"), cache: cache)
        #expect(first.status == 0, "\(first.errors)")
        let dpoModel = dir.appendingPathComponent("dpo1/model")
        let lineage = try #require(try Lineage.read(dpoModel))
        #expect(lineage.kind == .dpo && lineage.hasSFTAncestor && lineage.parent == sftModel.path)
        let second = try Self.dpo(dpoModel, out: dir.appendingPathComponent("dpo2"), cache: cache)
        #expect(second.status == 0, "\(second.errors)")
    }

    /// A command that compares a model with a reference and is given none says what it needs.
    @Test func commandsWithoutAReferenceSayWhatTheyNeed() throws {
        let evaluated = try CLI.run(["dpo-eval", "--model", Self.policy.path, "--data", Self.pairs.path])
        #expect(evaluated.status != 0 && evaluated.errors.contains("dpo-eval needs --ref-model, or --adapter to compare against the base"),
                "\(evaluated.errors)")
        let modelEval = try CLI.run(["eval", "model", "--model", Self.policy.path, "--pairs", Self.pairs.path])
        #expect(modelEval.status != 0 && modelEval.errors.contains("a model folder needs --reference DIR|ID (the model it is compared with)"),
                "\(modelEval.errors)")
    }

    /// `dpo-eval --adapter` scores the policy with the PEFT adapter on against the policy
    /// without it. The reference: the adapter merged into the weights by hand here
    /// (W + α/r · B·A, PEFT's merge), scored by the plain forward, against the base log-probs
    /// TRL recorded.
    @Test func dpoEvalWithAnAdapterComparesItWithItsBase() throws {
        let adapterFolder = TRLFixture.folder.appendingPathComponent("lora")
        let result = try CLI.run(["dpo-eval", "--model", Self.policy.path, "--adapter", adapterFolder.path, "--data", Self.pairs.path,
                                  "--beta", "0.1", "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let eval = try JSONValue(parsing: result.output)

        let config = try JSONValue(parsing: Data(contentsOf: adapterFolder.appendingPathComponent("adapter_config.json")))
        let rank = try #require(config["r"]?.intValue), alpha = try #require(config["lora_alpha"]?.doubleValue)
        let merged = try Idefics3Model.load(Self.policy)
        let file = try SafetensorsFile(path: adapterFolder.appendingPathComponent("adapter_model.safetensors").path)
        let prefix = "base_model.model.", suffix = ".lora_A.weight"
        var layers = 0
        for name in file.entries.keys where name.hasSuffix(suffix) {
            let path = String(name.dropFirst(prefix.count).dropLast(suffix.count))
            let a = try file.tensor(name), b = try file.tensor(prefix + path + ".lora_B.weight")
            let w = merged.parameters[path + ".weight"]
            let (outputs, inputs) = (w.dim(0), w.dim(1))
            for o in 0..<outputs {
                for i in 0..<inputs {
                    var update = 0.0
                    for k in 0..<rank { update += Double(b[o * rank + k]) * Double(a[k * inputs + i]) }
                    w[o * inputs + i] += Float(alpha / Double(rank) * update)
                }
            }
            layers += 1
        }
        #expect(layers == 14, "the adapter covers the 7 projections of 2 layers")

        let processor = try merged.processor(folder: Self.policy)
        let scored = try PairScorer.logProbs(merged, pairs: try PreferenceDataset.pairs(Self.pairs, processor: processor),
                                             padToken: processor.padToken)
        let base = try TRLFixture().pairEntries.map { ($0["chosen_logps"]?.doubleValue ?? .nan, $0["rejected_logps"]?.doubleValue ?? .nan) }
        #expect(scored.count == base.count && base.count == 4)
        let beta = 0.1, n = Double(base.count)
        let chosen = zip(scored, base).map { beta * ($0.chosen - $1.0) }, rejected = zip(scored, base).map { beta * ($0.rejected - $1.1) }
        let expected: [String: Double] = [
            "logps/chosen": scored.map(\.chosen).reduce(0, +) / n,
            "logps/rejected": scored.map(\.rejected).reduce(0, +) / n,
            "rewards/chosen": chosen.reduce(0, +) / n,
            "rewards/rejected": rejected.reduce(0, +) / n,
            "rewards/margins": zip(chosen, rejected).map { $0 - $1 }.reduce(0, +) / n,
            "loss": zip(chosen, rejected).map { log(1 + exp(-($0 - $1))) }.reduce(0, +) / n,
        ]
        for (key, value) in expected {
            let ours = eval["eval_" + key]?.doubleValue ?? .nan
            #expect(abs(ours - value) <= 1e-4 * max(1, abs(value)), "eval_\(key): dpo-eval \(ours), merged by hand \(value)")
        }
        // the adapter moves the policy: a comparison with itself would give zero rewards
        #expect(abs(expected["rewards/margins"]!) > 1e-3)
    }
}
