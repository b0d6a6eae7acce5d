import Foundation
import Interchange
import JSON
import TestSupport
import Testing

/// `sft` and `dpo` with a workspace: the result is a checkpoint whose record holds its parent,
/// dataset version, settings and held-out metrics; a resumed run keeps its settings.
@Suite(.serialized, .timeLimit(.minutes(10))) struct RunRegistrationTests {
    static let fixture = TRLFixture.folder

    /// `vlm-align ARGS` that must succeed; its standard output.
    static func succeeds(_ arguments: [String]) throws -> String {
        let result = try CLI.run(arguments)
        #expect(result.status == 0, "vlm-align \(arguments.joined(separator: " ")): \(result.errors)")
        return result.output
    }

    /// A workspace with the fixture's policy as an SFT checkpoint (#1) and its pairs frozen as
    /// dataset version #1.
    static func workspace(in dir: URL, kind: String = "sft") throws -> URL {
        let ws = dir.appendingPathComponent("ws")
        _ = try succeeds(["init", ws.path, "--model", fixture.appendingPathComponent("policy").path, "--kind", kind])
        _ = try succeeds(["import", "pairs", fixture.appendingPathComponent("pairs.jsonl").path, "--workspace", ws.path])
        _ = try succeeds(["dataset", "freeze", "--workspace", ws.path])
        return ws
    }

    @Test func dpoFromACheckpointOnADatasetVersionRegistersItsChild() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = try Self.workspace(in: dir)
        let run = dir.appendingPathComponent("round-1")
        let printed = try Self.succeeds([
            "dpo", "--workspace", ws.path, "--checkpoint", "1", "--dataset", "1", "--out", run.path,
            "--eval-data", Self.fixture.appendingPathComponent("pairs.jsonl").path, "--cache-dir", dir.appendingPathComponent("cache").path,
            "--lora-rank", "4", "--beta", "0.2", "--loss", "hinge", "--max-steps", "2", "--batch-size", "2", "--learning-rate", "1e-3",
        ])
        #expect(printed.contains("registered as checkpoint #2 (dpo, parent #1): preference_accuracy"), "\(printed)")

        let shown = try Self.succeeds(["checkpoints", "show", "2", "--workspace", ws.path])
        #expect(shown.contains("kind: dpo") && shown.contains("parent: #1") && shown.contains("dataset version: #1") && shown.contains("(current)"),
                "\(shown)")
        let config = try #require(shown.split(separator: "\n").first { $0.hasPrefix("training config: ") })
        let settings = try JSONValue(parsing: String(config.dropFirst("training config: ".count)))
        #expect(settings["method"]?.stringValue == "dpo")
        #expect(settings["dpo"]?["beta"]?.doubleValue.map { abs($0 - 0.2) < 1e-6 } == true)
        #expect(settings["dpo"]?["loss"]?.stringValue == "hinge")
        #expect(settings["lora"]?["rank"]?.intValue == 4)
        #expect(settings["training"]?["maxSteps"]?.intValue == 2)
        #expect(settings["data"]?.stringValue == "dataset version #1")
        for key in ["preference_accuracy", "reward_margin", "kl"] { #expect(shown.contains("  \(key): "), "metric \(key) missing: \(shown)") }

        // the folders carry the record as their lineage; the merged model is what was registered
        let lineage = try #require(try Lineage.read(run.appendingPathComponent("model")))
        #expect(lineage.checkpoint == 2 && lineage.kind == .dpo && lineage.parent == "checkpoint #1" && lineage.hasSFTAncestor)
        #expect(try Lineage.read(run.appendingPathComponent("adapter"))?.checkpoint == 2)
        let registered = try Self.succeeds(["checkpoints", "list", "--workspace", ws.path])
        #expect(registered.split(separator: "\n").count == 3, "\(registered)")

        // training from the registered result's folder finds it by content: a grandchild, not a new root
        let next = dir.appendingPathComponent("round-2")
        let again = try Self.succeeds([
            "dpo", "--workspace", ws.path, "--model", run.appendingPathComponent("model").path, "--dataset", "1", "--out", next.path,
            "--cache-dir", dir.appendingPathComponent("cache").path, "--lora-rank", "4", "--max-steps", "1", "--batch-size", "2",
        ])
        #expect(again.contains("registered as checkpoint #3 (dpo, parent #2)"), "\(again)")
    }

    @Test func sftRegistersItsResultAndDPORefusesABaseCheckpoint() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = try Self.workspace(in: dir, kind: "base")
        let refused = try CLI.run(["dpo", "--workspace", ws.path, "--checkpoint", "1", "--dataset", "1",
                                         "--out", dir.appendingPathComponent("dpo").path, "--lora-rank", "4", "--max-steps", "1"])
        #expect(refused.status != 0)
        #expect(refused.errors.contains("no supervised fine-tuning") && refused.errors.contains("checkpoint #1 is kind base"), "\(refused.errors)")

        let sft = dir.appendingPathComponent("sft")
        let printed = try Self.succeeds([
            "sft", "--workspace", ws.path, "--checkpoint", "1", "--data", TRLFixture.folder.appendingPathComponent("../trl-sft/completions.jsonl").standardized.path,
            "--out", sft.path, "--max-steps", "2", "--batch-size", "2", "--learning-rate", "1e-3",
        ])
        #expect(printed.contains("registered as checkpoint #2 (sft, parent #1)"), "\(printed)")
        // now DPO may start from it
        let dpo = try Self.succeeds(["dpo", "--workspace", ws.path, "--checkpoint", "2", "--dataset", "1", "--out", dir.appendingPathComponent("dpo").path,
                                     "--cache-dir", dir.appendingPathComponent("cache").path, "--lora-rank", "4", "--max-steps", "1", "--batch-size", "2"])
        #expect(dpo.contains("registered as checkpoint #3 (dpo, parent #2)"), "\(dpo)")
    }

    /// A resumed run must ask for what the run was started with; it may save or evaluate at
    /// other intervals.
    @Test func resumingWithOtherSettingsIsRefusedNamingThem() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run")
        let first = try CLI.run(ResumeTests.arguments(out: out, cache: cache, steps: 4))
        #expect(first.status == 0, "\(first.errors)")
        let changed = try CLI.run(ResumeTests.arguments(out: out, cache: cache, steps: 4,
                                                              extra: ["--resume", "--beta", "0.2", "--loss", "ipo", "--batch-size", "1"]))
        #expect(changed.status != 0)
        for line in ["dpo.beta: 0.1 → 0.2", "dpo.loss: \"sigmoid\" → \"ipo\"", "training.batchSize: 2 → 1"] {
            #expect(changed.errors.contains(line), "missing \(line) in: \(changed.errors)")
        }
        let otherData = dir.appendingPathComponent("pairs.jsonl")
        try Data(try String(contentsOf: Self.fixture.appendingPathComponent("pairs.jsonl"), encoding: .utf8).split(separator: "\n").prefix(2)
            .joined(separator: "\n").utf8).write(to: otherData)
        var args = ResumeTests.arguments(out: out, cache: cache, steps: 4, extra: ["--resume"])
        args[args.firstIndex(of: "--data")! + 1] = otherData.path
        let moved = try CLI.run(args)
        #expect(moved.status != 0 && moved.errors.contains("dataID: "), "\(moved.errors)")
        var otherModel = ResumeTests.arguments(out: out, cache: cache, steps: 4, extra: ["--resume"])
        otherModel[otherModel.firstIndex(of: "--model")! + 1] = Self.fixture.appendingPathComponent("reference").path
        let started = try CLI.run(otherModel)
        #expect(started.status != 0 && started.errors.contains("modelID: "), "\(started.errors)")
        let settings = out.appendingPathComponent("run.json")
        let saved = try Data(contentsOf: settings)
        try Data("[1, 2".utf8).write(to: settings)
        let damaged = try CLI.run(ResumeTests.arguments(out: out, cache: cache, steps: 4, extra: ["--resume"]))
        #expect(damaged.status != 0 && damaged.errors.contains("\(settings.path): not the settings of a run"), "\(damaged.errors)")
        try saved.write(to: settings)
        let sameButSaving = try CLI.run(ResumeTests.arguments(out: out, cache: cache, steps: 4, extra: ["--resume", "--save-steps", "1"]))
        #expect(sameButSaving.status == 0, "\(sameButSaving.errors)")
    }
}
