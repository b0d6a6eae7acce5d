import Foundation
import Interchange
import JSON
import Preferences
import Report
import Testing
import TestSupport

/// `vlm-align report` on a small workspace: two checkpoints (the tiny eval models), a run folder
/// with metrics, stored intervals, two reviewers and reviewed pairs with an image.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ReportCommandTests {
    @Test func everySectionSelfContained() throws {
        let s = try EvalModelCommandTests.setup.get()
        let root = s.world.deletingLastPathComponent().appendingPathComponent("report-workspace")
        let workspace = try Workspace.create(at: root)
        let run = root.deletingLastPathComponent().appendingPathComponent("report-run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let steps = (1...5).map { #"{"step": \#($0), "loss": \#(0.7 - 0.05 * Double($0)), "rewards/chosen": \#(0.1 * Double($0)), "rewards/rejected": \#(-0.1 * Double($0)), "grad_norm": 1.5, "learning_rate": 0.0001}"# }
        try (steps.joined(separator: "\n") + "\n").write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        let parent = try workspace.registerCheckpoint(NewCheckpoint(folder: s.reference, name: "sft", kind: .sft)).checkpoint
        let config = JSONValue.object([("run_folder", .string(run.path))]).serialized(indent: 0)
        let child = try workspace.registerCheckpoint(NewCheckpoint(folder: s.policy, name: "dpo-1", kind: .dpo, parentID: parent.id,
                                                                   trainingConfig: config), makeCurrent: .trained).checkpoint
        // eval --record stores the intervals the report draws
        let recorded = try CLI.run(["eval", "--checkpoint", "\(child.id!)", "--workspace", root.path, "--pairs", s.pairs.path,
                                    "--prompts", s.prompts.path, "--world", s.world.path, "--record", "--resamples", "100",
                                    "--max-new-tokens", "8"])
        #expect(recorded.status == 0, "\(recorded.errors)")
        let metrics = try workspace.checkpoint(child.id!).metrics
        #expect(metrics["preference_accuracy_lower"] != nil && metrics["reward_margin_upper"] != nil && metrics["kl_lower"] != nil)
        #expect(metrics["existence/accuracy"] != nil && metrics["all/object_hallucination_rate"] != nil)

        let png = try Data(contentsOf: s.world.appendingPathComponent("images").appendingPathComponent(
            try #require(FileManager.default.contentsOfDirectory(atPath: s.world.appendingPathComponent("images").path).sorted().first)))
        let prompt = try workspace.addPrompt(images: [png], body: .messages([.user(image: true, "How many red circles?")]), category: "counting")
        let ann = try workspace.addReviewer(name: "ann").reviewer, bob = try workspace.addReviewer(name: "bob").reviewer
        for (i, verdicts) in [(Verdict.a, Verdict.a), (.bothBad, .bothBad), (.b, .a)].enumerated() {
            let a = try workspace.addCandidate(promptID: prompt.id!, body: .plain("\(i) <b>red</b>"))
            let b = try workspace.addCandidate(promptID: prompt.id!, body: .plain("\(i + 3)"))
            let pair = try workspace.addPair(a.id!, b.id!, reason: .coverage)
            _ = try workspace.recordComparison(NewComparison(pairID: pair.id!, reviewerID: ann.id!, verdict: verdicts.0, reasonTags: ["wrong_count"]))
            _ = try workspace.recordComparison(NewComparison(pairID: pair.id!, reviewerID: bob.id!, verdict: verdicts.1))
        }

        let out = root.appendingPathComponent("report.html")
        let result = try CLI.run(["report", "--workspace", root.path, "--out", out.path])
        #expect(result.status == 0, "\(result.errors)")
        let html = try String(contentsOf: out, encoding: .utf8)
        for heading in WorkspaceReport.sections { #expect(html.contains("<h2>\(heading)</h2>"), "\(heading)") }
        #expect(html.contains("<svg") && html.contains("<polyline"))
        #expect(html.contains("<h3>object hallucination rate</h3>") && html.contains("<th>counting</th>"))
        #expect(html.contains("★") && html.contains("(current)") && html.contains("dpo-1"))
        #expect(html.contains("data:image/png;base64,"))
        #expect(html.contains("&lt;b&gt;red&lt;/b&gt;"), "answers are escaped")
        #expect(html.contains("Krippendorff") && html.contains("Cohen") && html.contains("ann") && html.contains("wrong_count"))
        // nothing to fetch: no script, no link, no URL of any scheme but data:
        for banned in ["<script", "<link", "http:", "https:", "url(", "@import", "src=\"//"] {
            #expect(!html.lowercased().contains(banned), "\(banned)")
        }
    }
}
