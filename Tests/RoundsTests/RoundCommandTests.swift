import Foundation
import Interchange
import JSON
import Preferences
import Tensor
import TestSupport
import Testing
import VLM

/// The round commands as a user runs them, on a tiny world and the shipped base.
@Suite(.serialized, .timeLimit(.minutes(10))) struct RoundCommandTests {
    /// Start → simulate → train → eval → close, each step refused (changing nothing, saying what
    /// to do next) when it is not its turn.
    @Test func aRoundRunsInOrderAndRefusesStepsOutOfOrder() throws {
        let ws = try RoundFixture.workspace()
        let before = try RoundFixture.digest(ws)
        #expect(try RoundFixture.refusal(RoundFixture.trainArguments(ws)).contains("no round is open to train: start one with `vlm-align round start`"))
        #expect(try RoundFixture.refusal(["round", "close", "--workspace", ws.path]).contains("no round is open to close"))
        #expect(try RoundFixture.digest(ws) == before)

        let started = try RoundFixture.expectSuccess(try RoundFixture.startArguments(ws))
        #expect(started.contains("round 1 (coverage) open from checkpoint #1: 6 pairs to review"), "\(started)")
        let opened = try RoundFixture.digest(ws)
        #expect(try RoundFixture.refusal(try RoundFixture.startArguments(ws)).contains("round 1 is still open (reviewing): review its pairs"))
        #expect(try RoundFixture.refusal(RoundFixture.trainArguments(ws)).contains("round 1 has no verdicts to train on yet"))
        #expect(try RoundFixture.refusal(try RoundFixture.evalArguments(ws)).contains("round 1 is not trained yet: run `vlm-align round train` first"))
        #expect(try RoundFixture.refusal(["round", "close", "--workspace", ws.path]).contains("round 1 is not trained yet"))
        #expect(try RoundFixture.digest(ws) == opened, "a refused command changed the workspace")

        // two verdicts per pair from three simulated reviewers, as the review app records them
        let simulated = try RoundFixture.expectSuccess(try RoundFixture.simulateArguments(ws))
        let workspace = try Workspace.open(at: ws)
        let pairs = try workspace.pairDetails(round: 1)
        let comparisons = try workspace.comparisons()
        #expect(pairs.filter { $0.prompt.split == .train }.count == 6 && pairs.count > 6, "held-out pairs too")
        #expect(pairs.allSatisfy { $0.a.text != $0.b.text }, "every pair's answers differ")
        #expect(comparisons.count == 2 * pairs.count, "\(simulated)")
        #expect(Set(comparisons.map(\.reviewerId)).count == 3 && comparisons.allSatisfy { $0.leftShown != nil })
        for pair in pairs { #expect(Set(comparisons.filter { $0.pairId == pair.pair.id }.map(\.reviewerId)).count == 2) }

        let trained = try RoundFixture.expectSuccess(RoundFixture.trainArguments(ws))
        #expect(trained.contains("trained checkpoint #2 (round 1, dataset version #1)"), "\(trained)")
        #expect(try workspace.currentCheckpoint()?.id == 1, "the round's checkpoint is not current before it closes")
        #expect(try RoundFixture.refusal(RoundFixture.trainArguments(ws)).contains("round 1 is already trained"))
        #expect(try RoundFixture.refusal(["round", "close", "--workspace", ws.path]).contains("not evaluated: run `vlm-align round eval` first"))
        let version = try workspace.datasetVersion("1")
        #expect(version.heldOutCount > 0 && version.trainCount > 0)

        let evaluated = try RoundFixture.expectSuccess(try RoundFixture.evalArguments(ws))
        #expect(evaluated.contains("preference accuracy") && evaluated.contains("counting"), "\(evaluated)")
        #expect(try RoundFixture.expectSuccess(["round", "close", "--workspace", ws.path]).contains("round 1 closed; checkpoint #2 is current"))
        #expect(try workspace.currentCheckpoint()?.id == 2)

        let status = try RoundFixture.status(ws)
        let round = try #require(status["rounds"]?.arrayValue?.first)
        #expect(round["status"]?.stringValue == "done" && round["goal"]?.stringValue == "coverage")
        #expect(round["pairs"]?.intValue == 6 && round["pairs_total"]?.intValue == 6)
        let accuracy = try #require(round["preference_accuracy"]?.doubleValue)
        #expect((0...1).contains(accuracy))
        #expect(round["accuracy"]?["counting"]?.doubleValue != nil && round["accuracy"]?["all"]?.doubleValue != nil)
        #expect(round["hallucination_rate"]?.doubleValue != nil && round["kl"]?.doubleValue != nil)
        #expect(status["converged"]?.boolValue == (accuracy >= 0.85))

        let failures = try RoundFixture.expectSuccess(["failures", "--workspace", ws.path, "--clusters", "2"])
        #expect(failures.contains("checkpoint #2 against #1:") && failures.contains("held-out expert pairs wrong"), "\(failures)")
        let mined = try RoundFixture.expectSuccess(["mine", "--workspace", ws.path, "--strategy", "uncertain", "--k", "3"])
        #expect(mined.contains("no unreviewed pair"), "every pair was reviewed: \(mined)")

        // the eval recorded the reference's own task metrics once (for convergence rounds)
        let reference = try workspace.checkpoint(1).metrics
        #expect(reference["counting/accuracy"] != nil && reference["preference_accuracy"] == nil, "\(reference)")
        // a convergence round gives a category that fell below the reference more turns (here the first)
        try workspace.recordMetrics(["grounding/accuracy": 0.5], forCheckpoint: 1)
        try workspace.recordMetrics(["grounding/accuracy": 0.25, "counting/accuracy": reference["counting/accuracy"]!], forCheckpoint: 2)
        let converging = try RoundFixture.expectSuccess(["round", "start", "--workspace", ws.path, "--goal", "convergence", "--pairs", "3",
                                                          "--max-new-tokens", "6", "--sample-seed", RoundFixture.sampleSeed])
        #expect(converging.contains("prompts stratified, with more turns for the categories below checkpoint #1: grounding −25.0 points"), "\(converging)")
        let drawn = try workspace.pairDetails(round: 2).filter { $0.prompt.split == .train }.map { $0.prompt.category }
        #expect(drawn.count == 3 && drawn.first == "grounding", "the pool's one grounding prompt left, then the others: \(drawn)")
    }

    /// `align` runs rounds unattended; after a rollback to round 1's checkpoint the next round
    /// branches from it, and the workspace keeps everything the rounds made.
    @Test func alignRunsRoundsAndTheNextRoundBranchesFromARollback() throws {
        let ws = try RoundFixture.workspace()
        let world = try RoundFixture.world.get()
        let output = try RoundFixture.expectSuccess([
            "align", "--workspace", ws.path, "--rounds", "2", "--prompts", world.appendingPathComponent("pools/round-1.jsonl").path,
            "--prompts", world.appendingPathComponent("pools/round-2.jsonl").path,
            "--held-out", world.appendingPathComponent("pools/round-3.jsonl").path, "--pairs", "5", "--max-new-tokens", "6",
            "--world", world.path, "--reviewers", "careful:1", "--eval-prompts", world.appendingPathComponent("eval/existence.jsonl").path,
            "--max-steps", "2", "--batch-size", "2", "--learning-rate", "1e-3", "--sample-seed", RoundFixture.sampleSeed])
        #expect(output.contains("round 1 — start (coverage)") && output.contains("round 2 — start (edge-cases)"), "\(output)")
        #expect(output.contains("round 1 — prompts stratified over") && output.contains("round 2 — the 5 pairs with p closest to 0.5"), "\(output)")
        #expect(output.contains("round 2 — train: DPO from checkpoint #2"))
        let status = try RoundFixture.status(ws)
        let rounds = try #require(status["rounds"]?.arrayValue)
        #expect(rounds.map { $0["status"]?.stringValue } == ["done", "done"])
        #expect(rounds.map { $0["goal"]?.stringValue } == ["coverage", "edge-cases"])
        #expect(rounds.map { $0["pairs_total"]?.intValue } == [5, 10])

        let workspace = try Workspace.open(at: ws)
        #expect(try workspace.currentCheckpoint()?.id == 3)
        #expect(try workspace.datasetVersions().count == 2 && workspace.comparisons().count == workspace.pairDetails().count)
        #expect(try workspace.pairDetails().filter { $0.pair.round == 2 }.allSatisfy { $0.pair.reason == .uncertainty })

        try RoundFixture.expectSuccess(["checkpoints", "rollback", "2", "--workspace", ws.path])
        let started = try RoundFixture.expectSuccess(["round", "start", "--workspace", ws.path, "--pairs", "3", "--max-new-tokens", "6"])
        #expect(started.contains("round 3 (coverage) open from checkpoint #2"), "\(started)")
        #expect(try workspace.round(3).parentCheckpointId == 2)
        #expect(try workspace.checkpoints().map(\.id) == [1, 2, 3], "nothing deleted")
    }

    /// A round killed during `train` is left in training; `round train` alone is refused and
    /// `--resume` ends with the weights of a round that was never interrupted.
    @Test func aRoundKilledDuringTrainingResumesToTheSameWeights() throws {
        func prepared() throws -> URL {
            let ws = try RoundFixture.workspace()
            try RoundFixture.expectSuccess(try RoundFixture.startArguments(ws))
            try RoundFixture.expectSuccess(try RoundFixture.simulateArguments(ws))
            return ws
        }
        let whole = try prepared(), killed = try prepared()
        try RoundFixture.expectSuccess(RoundFixture.trainArguments(whole, steps: 6))

        let (process, _) = try CLI.start(RoundFixture.trainArguments(killed, steps: 6),
                                         environment: [TestPause.variable: TestPause.value(.trainingStep, 5)])
        try CLI.waitUntilPaused(process)
        kill(process.processIdentifier, SIGKILL)
        try CLI.waitForExit(process)
        #expect(try RoundFixture.status(killed)["rounds"]?.arrayValue?.first?["status"]?.stringValue == "training")
        #expect(try RoundFixture.refusal(RoundFixture.trainArguments(killed, steps: 6))
            .contains("round 1's training was interrupted: continue it with `vlm-align round train --resume`"))
        try RoundFixture.expectSuccess(RoundFixture.trainArguments(killed, steps: 6, extra: ["--resume"]))

        func weights(_ ws: URL) throws -> [Float] {
            let workspace = try Workspace.open(at: ws)
            let checkpoint = try #require(try workspace.checkpoint(ofRound: 1))
            let file = try SafetensorsFile(path: ws.appending(path: checkpoint.folder).appending(path: "model.safetensors").path)
            return try file.entries.keys.sorted().flatMap { try file.tensor($0).array }
        }
        let a = try weights(whole), b = try weights(killed)
        #expect(a.count == b.count && !a.isEmpty)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6, "resumed weights differ by \(worst)")
    }

    /// The held-out pairs, the yardstick, can have reviewers of their own, more to a pair.
    @Test func heldOutPairsHaveTheirOwnPanel() throws {
        for panel in [nil, "careful:3"] {
            let ws = try RoundFixture.workspace()
            try RoundFixture.expectSuccess(try RoundFixture.startArguments(ws))
            let extra = (panel.map { ["--held-out-reviewers", $0] } ?? []) + ["--held-out-overlap", "3"]
            let reviewers = panel == nil ? "careful:2,sloppy:1" : "sloppy:1"
            try RoundFixture.expectSuccess(try RoundFixture.simulateArguments(ws, reviewers: reviewers, overlap: 1, extra: extra))
            let workspace = try Workspace.open(at: ws)
            let names = Dictionary(uniqueKeysWithValues: try workspace.reviewers().map { ($0.id!, $0.name) })
            let pairs = try workspace.pairDetails(round: 1), comparisons = try workspace.comparisons()
            #expect(pairs.contains { $0.prompt.split == .heldOut } && pairs.contains { $0.prompt.split == .train })
            for pair in pairs {
                let who = comparisons.filter { $0.pairId == pair.pair.id }.map { names[$0.reviewerId]! }
                let heldOut = pair.prompt.split == .heldOut
                #expect(who.count == Set(who).count && who.count == (heldOut ? 3 : 1), "\(who)")
                if panel != nil {
                    #expect(Set(who) == (heldOut ? ["careful-1", "careful-2", "careful-3"] : ["sloppy-1"]), "\(who)")
                }
            }
        }
    }

    /// With a held-out panel, the held-out verdicts are the same whoever reviews the pairs
    /// trained on (the noise study's yardstick), a reviewer in both panels included.
    @Test func theHeldOutPanelsVerdictsDoNotDependOnTheTrainingReviewers() throws {
        func heldOutVerdicts(reviewers: String, overlap: Int) throws -> [String] {
            let ws = try RoundFixture.workspace()
            try RoundFixture.expectSuccess(try RoundFixture.startArguments(ws))
            try RoundFixture.expectSuccess(try RoundFixture.simulateArguments(
                ws, reviewers: reviewers, overlap: overlap, extra: ["--held-out-reviewers", "careful:2,sloppy:1", "--held-out-overlap", "3"]))
            let workspace = try Workspace.open(at: ws)
            let names = Dictionary(uniqueKeysWithValues: try workspace.reviewers().map { ($0.id!, $0.name) })
            let heldOut = Dictionary(uniqueKeysWithValues: try workspace.pairDetails(round: 1).map { ($0.pair.id!, $0) })
                .filter { $0.value.prompt.split == .heldOut }
            return try workspace.comparisons().filter { heldOut[$0.pairId] != nil }.map { c in
                let pair = heldOut[c.pairId]!
                return "\(pair.prompt.externalId!)|\(pair.a.text)|\(pair.b.text)|\(names[c.reviewerId]!)|\(c.verdict.rawValue)|\(c.leftShown!.rawValue)"
            }.sorted()
        }
        let a = try heldOutVerdicts(reviewers: "careful:1", overlap: 1), b = try heldOutVerdicts(reviewers: "sloppy:2", overlap: 2)
        #expect(!a.isEmpty && a.count % 3 == 0)
        #expect(a == b)
    }

    @Test func badArgumentsAreClearErrors() throws {
        let ws = try RoundFixture.workspace()
        #expect(try RoundFixture.refusal(["round", "start", "--workspace", ws.path, "--goal", "everything"]).contains("everything"))
        try RoundFixture.expectSuccess(try RoundFixture.startArguments(ws))
        #expect(try RoundFixture.refusal(RoundFixture.simulateArguments(ws, reviewers: "perfect:2")).contains("no reviewer profile \"perfect\""))
        #expect(try RoundFixture.refusal(RoundFixture.simulateArguments(ws, reviewers: "careful:1", overlap: 2))
            .contains("--overlap 2 needs at least as many reviewers"))
        #expect(try RoundFixture.refusal(RoundFixture.simulateArguments(ws, extra: ["--held-out-overlap", "4"]))
            .contains("--held-out-overlap 4 needs at least as many reviewers; --reviewers gives 3"))
        #expect(try RoundFixture.refusal(RoundFixture.simulateArguments(ws, reviewers: "careful:2", overlap: 3, extra: ["--held-out-overlap", "1"]))
            .contains("--overlap 3 needs at least as many reviewers; --reviewers gives 2"))
        #expect(try RoundFixture.refusal(RoundFixture.simulateArguments(ws, reviewers: "careful:3", overlap: 2,
                                                                        extra: ["--held-out-reviewers", "careful:1"]))
            .contains("--held-out-overlap (default: --overlap) 2 needs at least as many reviewers; --held-out-reviewers gives 1"))
        #expect(try RoundFixture.refusal(RoundFixture.simulateArguments(ws, reviewers: "careful:1,sloppy:1,careful:1", overlap: 1))
            .contains("reviewers careful:1,sloppy:1,careful:1: \"careful\" is named twice; give its count once (careful:N)"))
        #expect(try RoundFixture.refusal(RoundFixture.simulateArguments(ws, extra: ["--held-out-reviewers", "careful:1", "--held-out-overlap", "2"]))
            .contains("--held-out-overlap 2 needs at least as many reviewers; --held-out-reviewers gives 1"))
        #expect(try RoundFixture.refusal(RoundFixture.simulateArguments(ws, extra: ["--held-out-reviewers", "lenient:2"]))
            .contains("no reviewer profile \"lenient\""))
        #expect(try RoundFixture.refusal(RoundFixture.simulateArguments(ws, extra: ["--held-out-overlap", "0"]))
            .contains("--held-out-overlap must be at least 1"))
        let nowhere = try CLI.temporaryDirectory().appendingPathComponent("no-minilm")
        #expect(try RoundFixture.refusal(["failures", "--workspace", ws.path, "--minilm", nowhere.path]).contains(nowhere.path))
        let missing = try CLI.temporaryDirectory().appendingPathComponent("nothing.jsonl")
        let ws2 = try RoundFixture.workspace()
        #expect(try RoundFixture.refusal(["round", "start", "--workspace", ws2.path, "--prompts", missing.path]).contains(missing.lastPathComponent))
    }
}
