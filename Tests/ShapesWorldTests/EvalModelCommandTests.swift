import Foundation
import Interchange
import JSON
import Preferences
import Testing
import TestSupport
@testable import ShapesWorld
@testable import vlm_align

/// `vlm-align eval --model|--checkpoint` on a tiny ShapesWorld model (a 32-px world, a tower
/// pretrained for 2 steps; policy and reference differ by their seeds), as a user runs it.
@Suite(.serialized, .timeLimit(.minutes(10))) struct EvalModelCommandTests {
    struct Setup: Sendable {
        var world: URL
        var policy: URL
        var reference: URL
        var pairs: URL
        /// existence and counting held-out prompts, in one file
        var prompts: URL
        var counts: [String: Int]
    }

    static let setup: Result<Setup, any Error> = Result {
        let world = try PretrainCommandTests.world()
        func pretrain(_ seed: Int) throws -> URL {
            let out = world.deletingLastPathComponent().appendingPathComponent("pretrain-\(seed)")
            try PretrainCommandTests.run(ShapesPretrain.self, ["shapes", "pretrain", "--world", world.path, "--out", out.path,
                                                               "--steps", "2", "--batch-size", "4", "--warmup-steps", "1",
                                                               "--eval-steps", "2", "--eval-scenes", "2", "--seed", "\(seed)"])
            return out.appendingPathComponent("model")
        }
        var lines: [String] = [], counts: [String: Int] = [:]
        for category in ["existence", "counting"] {
            let some = try String(contentsOf: world.appendingPathComponent("eval/\(category).jsonl"), encoding: .utf8)
                .split(separator: "\n").map(String.init)
            lines += some
            counts[category] = some.count
        }
        counts["all"] = lines.count
        let prompts = world.appendingPathComponent("eval/mixed.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: prompts, atomically: true, encoding: .utf8)
        return Setup(world: world, policy: try pretrain(3), reference: try pretrain(4),
                     pairs: world.appendingPathComponent("pairs/synthetic.jsonl"), prompts: prompts, counts: counts)
    }

    static func eval(_ arguments: [String]) throws -> (CLI.Result, JSONValue?) {
        let result = try CLI.run(["eval"] + arguments + ["--resamples", "200", "--max-new-tokens", "8"])
        return (result, result.status == 0 && arguments.contains("--json") ? try JSONValue(parsing: result.output) : nil)
    }

    static func expectInterval(_ value: JSONValue?, _ name: String) {
        guard let value, let v = value["value"]?.doubleValue, let lo = value["lower"]?.doubleValue, let hi = value["upper"]?.doubleValue else {
            Issue.record("\(name): no interval in \(value.map { $0.serialized(indent: 0) } ?? "nil")")
            return
        }
        #expect(lo <= v && v <= hi, "\(name): \(lo) ≤ \(v) ≤ \(hi)")
        #expect(value["confidence"]?.doubleValue == 0.95 && value["resamples"]?.intValue == 200)
    }

    @Test func oracleMetricsPerCategoryWithIntervals() throws {
        let s = try Self.setup.get()
        let (result, json) = try Self.eval(["--model", s.policy.path, "--reference", s.reference.path, "--pairs", s.pairs.path,
                                            "--prompts", s.prompts.path, "--world", s.world.path, "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let j = try #require(json)
        #expect(j.objectValue?.map(\.0) == ["model", "reference", "pairs", "preference_accuracy", "reward_margin", "prompts", "kl",
                                            "task", "categories", "notes"])
        let pairRows = try JSONLines.read(s.pairs).count
        #expect(j["pairs"]?.intValue == pairRows && j["prompts"]?.intValue == s.counts["all"])
        for name in ["preference_accuracy", "reward_margin", "kl"] { Self.expectInterval(j[name], name) }
        #expect(j["task"]?.stringValue == "oracle")
        let categories = try #require(j["categories"]?.objectValue)
        #expect(categories.map(\.0) == ["existence", "counting", "all"])
        for (name, metrics) in categories {
            #expect(metrics["count"]?.intValue == s.counts[name], "\(name)")
            #expect(metrics.objectValue?.map(\.0) == ["count", "accuracy", "hallucination_rate", "object_hallucination_rate",
                                                      "mentioned_objects", "hallucinated_objects"])
            for key in ["accuracy", "hallucination_rate", "object_hallucination_rate"] {
                #expect((0...1).contains(metrics[key]?.doubleValue ?? -1), "\(name) \(key)")
            }
        }
        // the same seed gives the same numbers; the table names the metrics
        let (again, _) = try Self.eval(["--model", s.policy.path, "--reference", s.reference.path, "--pairs", s.pairs.path,
                                        "--prompts", s.prompts.path, "--world", s.world.path, "--json"])
        #expect(again.output == result.output)
        let (table, _) = try Self.eval(["--model", s.policy.path, "--reference", s.reference.path, "--pairs", s.pairs.path,
                                        "--prompts", s.prompts.path, "--world", s.world.path])
        #expect(table.status == 0 && table.output.contains("preference accuracy") && table.output.contains("existence"))
    }

    @Test func textMetricsPerCategoryWithoutAWorld() throws {
        let s = try Self.setup.get()
        let (result, json) = try Self.eval(["--model", s.policy.path, "--reference", s.reference.path, "--prompts", s.prompts.path, "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let j = try #require(json)
        #expect(j["task"]?.stringValue == "text" && j["pairs"]?.intValue == 0 && j["preference_accuracy"]?.isNull == true)
        Self.expectInterval(j["kl"], "kl")
        let categories = try #require(j["categories"]?.objectValue)
        #expect(categories.map(\.0) == ["existence", "counting", "all"])
        for (name, metrics) in categories {
            #expect(metrics.objectValue?.map(\.0) == ["count", "exact_match", "vqa_exact_match", "token_f1", "bleu", "chrf", "rouge_l"])
            #expect(metrics["count"]?.intValue == s.counts[name], "\(name)")
        }
    }

    @Test func checkpointAgainstItsParentInAWorkspace() throws {
        let s = try Self.setup.get()
        let root = s.world.deletingLastPathComponent().appendingPathComponent("workspace")
        let workspace = try Workspace.create(at: root)
        let parent = try workspace.registerCheckpoint(NewCheckpoint(folder: s.reference, kind: .sft)).checkpoint
        let child = try workspace.registerCheckpoint(NewCheckpoint(folder: s.policy, kind: .dpo, parentID: parent.id)).checkpoint
        let (result, json) = try Self.eval(["--checkpoint", "\(child.id!)", "--workspace", root.path, "--pairs", s.pairs.path, "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let j = try #require(json)
        #expect(j["model"]?.stringValue == "checkpoint #\(child.id!)" && j["reference"]?.stringValue == "checkpoint #\(parent.id!)")
        // the same numbers as the folders themselves
        let (_, folders) = try Self.eval(["--model", s.policy.path, "--reference", s.reference.path, "--pairs", s.pairs.path, "--json"])
        #expect(j["preference_accuracy"] == folders?["preference_accuracy"] && j["reward_margin"] == folders?["reward_margin"])
        // the parent has no parent of its own
        let (orphan, _) = try Self.eval(["--checkpoint", "\(parent.id!)", "--workspace", root.path, "--pairs", s.pairs.path])
        #expect(orphan.status != 0 && orphan.errors.contains("checkpoint #\(parent.id!) has no parent"), "\(orphan.errors)")
        let (unknown, _) = try Self.eval(["--checkpoint", "99", "--workspace", root.path, "--pairs", s.pairs.path])
        #expect(unknown.status != 0 && unknown.errors.contains("no checkpoint #99"), "\(unknown.errors)")
    }

    /// On the run's own held-out pairs, `eval` gives the numbers the DPO run registered (its
    /// held-out evaluation through `AlignmentMetrics`), and `--bertscore` adds BERTScore F1.
    @Test func agreesWithTheTrainingRunsHeldOutMetrics() throws {
        let s = try Self.setup.get()
        let root = s.world.deletingLastPathComponent().appendingPathComponent("dpo-workspace")
        let workspace = try Workspace.create(at: root)
        let start = try workspace.registerCheckpoint(NewCheckpoint(folder: s.reference, kind: .sft)).checkpoint
        let run = root.deletingLastPathComponent().appendingPathComponent("dpo-run")
        let trained = try CLI.run(["dpo", "--checkpoint", "\(start.id!)", "--workspace", root.path, "--data", s.pairs.path,
                                   "--eval-data", s.pairs.path, "--out", run.path, "--max-steps", "2", "--batch-size", "4"])
        #expect(trained.status == 0, "\(trained.errors)")
        let child = try #require(try workspace.checkpoints().first { $0.parentId == start.id })
        let (result, json) = try Self.eval(["--checkpoint", "\(child.id!)", "--workspace", root.path, "--pairs", s.pairs.path, "--json"])
        #expect(result.status == 0, "\(result.errors)")
        for key in ["preference_accuracy", "reward_margin"] {
            let ours = try #require(json?[key]?["value"]?.doubleValue), theirs = try #require(child.metrics[key])
            #expect(abs(ours - theirs) <= 1e-6 + 1e-4 * abs(theirs), "\(key): eval \(ours), the run \(theirs)")
        }
        // the run folder is recorded for the report
        #expect(child.trainingConfig.contains(run.standardizedFileURL.path))

        let (text, withBERT) = try Self.eval(["--model", s.policy.path, "--reference", s.reference.path, "--prompts", s.prompts.path,
                                             "--bertscore", "--json"])
        #expect(text.status == 0, "\(text.errors)")
        let all = try #require(withBERT?["categories"]?["all"])
        #expect(all.objectValue?.last?.0 == "bertscore_f1" && (-1...1).contains(all["bertscore_f1"]?.doubleValue ?? 9))
    }

    @Test func badInputNamesWhatIsWrong() throws {
        let s = try Self.setup.get()
        let missing = s.world.appendingPathComponent("nowhere.jsonl").path
        let cases: [([String], String)] = [
            (["--checkpoint", "1", "--pairs", s.pairs.path], "--workspace"),
            (["--model", s.policy.path, "--pairs", s.pairs.path], "--reference"),
            (["--model", s.policy.path, "--reference", s.reference.path], "--pairs"),
            (["--model", s.policy.path, "--reference", s.reference.path, "--pairs", missing], missing),
            (["--model", s.policy.path, "--reference", s.reference.path, "--prompts", missing], missing),
            (["--model", s.policy.path + "-gone", "--reference", s.reference.path, "--pairs", s.pairs.path], s.policy.path + "-gone"),
            (["--model", s.policy.path, "--reference", "7", "--pairs", s.pairs.path], "--workspace"),
            (["--model", s.policy.path, "--reference", s.reference.path, "--pairs", s.pairs.path, "--world", s.world.path], "--prompts"),
        ]
        for (arguments, named) in cases {
            let (result, _) = try Self.eval(arguments)
            #expect(result.status != 0 && result.errors.contains(named), "\(arguments): \(result.errors)")
        }
    }
}

