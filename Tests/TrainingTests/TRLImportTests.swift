import Foundation
import Interchange
import JSON
import Tensor
import TestSupport
import Testing
import VLM

/// `vlm-align checkpoints import-run` on committed launch folders that TRL ran (Fixtures/trl-run:
/// the LoRA and the full-fine-tuning runs of tools/scale_out/parity.sh, three steps of TRL 1.16
/// (+ PEFT) with a held-out evaluation): a DPO child of its parent with the adapter merged or the
/// full model as TRL saved it, TRL's metrics under vlm-align's names; a folder that is not what
/// was exported is refused, naming the file.
@Suite(.serialized, .timeLimit(.minutes(10))) struct TRLImportTests {
    static let run = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/trl-run")

    /// A copy of the committed runs (the import writes into their folders) and a workspace
    /// holding the checkpoint and dataset version they were exported from, made the way the tool
    /// made them; the LoRA run's folder.
    static func setUp(in dir: URL) throws -> (ws: URL, run: URL) {
        let copy = dir.appendingPathComponent("trl-run")
        try FileManager.default.copyItem(at: run, to: copy)
        return (try TRLExportTests.workspace(in: dir), copy.appendingPathComponent("lora"))
    }

    @Test func theRunBecomesAChildCheckpointWithTheAdapterMergedAndTRLsMetrics() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (ws, run) = try Self.setUp(in: dir)
        let printed = try TRLExportTests.succeeds(["checkpoints", "import-run", run.path, "--workspace", ws.path])
        #expect(printed.contains("registered as checkpoint #2 (dpo, parent #1, 3 TRL steps): preference_accuracy"), "\(printed)")

        // TRL's last evaluation, under vlm-align's names
        let state = try JSONValue(parsing: Data(contentsOf: run.appendingPathComponent("output/trainer_state.json")))
        let history = try #require(state["log_history"]?.arrayValue)
        let evaluation = try #require(history.last { $0["eval_loss"] != nil })
        let shown = try TRLExportTests.succeeds(["checkpoints", "show", "2", "--workspace", ws.path])
        #expect(shown.contains("kind: dpo") && shown.contains("parent: #1") && shown.contains("dataset version: #1") && shown.contains("(current)"))
        for (key, trl) in [("preference_accuracy", "eval_rewards/accuracies"), ("reward_margin", "eval_rewards/margins")] {
            let line = try #require(shown.split(separator: "\n").first { $0.hasPrefix("  \(key): ") }, "\(key) missing: \(shown)")
            let value = try #require(Double(line.dropFirst("  \(key): ".count)))
            #expect(abs(value - (evaluation[trl]?.doubleValue ?? .nan)) < 1e-9, "\(key) \(value)")
        }
        let config = try #require(shown.split(separator: "\n").first { $0.hasPrefix("training config: ") })
        let settings = try JSONValue(parsing: String(config.dropFirst("training config: ".count)))
        #expect(settings["backend"]?.stringValue == "trl" && settings["lora"]?["rank"]?.intValue == 4)
        #expect(settings["run_folder"]?.stringValue == run.standardizedFileURL.path)

        // every logged step in metrics.jsonl, where `vlm-align report` reads a run's curves
        let rows = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONValue(parsing: String($0)) }
        let steps = history.filter { $0["loss"] != nil && $0["eval_loss"] == nil }
        #expect(rows.filter { $0["loss"] != nil }.map { $0["loss"]?.doubleValue } == steps.map { $0["loss"]?.doubleValue })
        #expect(rows.last?["eval_rewards/margins"]?.doubleValue == evaluation["eval_rewards/margins"]?.doubleValue)

        // the registered weights: the parent's, with (α / r) B A added where PEFT adapted
        let adapter = try SafetensorsFile(path: run.appendingPathComponent("output/adapter_model.safetensors").path)
        let parent = try SafetensorsFile(path: TRLFixture.folder.appendingPathComponent("policy/model.safetensors").path)
        let merged = try SafetensorsFile(path: run.appendingPathComponent("imported/model.safetensors").path)
        let module = "model.text_model.layers.1.self_attn.v_proj"
        let a = try adapter.tensor("base_model.model.\(module).lora_A.weight"), b = try adapter.tensor("base_model.model.\(module).lora_B.weight")
        let before = try parent.tensor("\(module).weight"), after = try merged.tensor("\(module).weight")
        let (rank, inputs, outputs) = (a.dim(0), a.dim(1), b.dim(0))
        #expect(rank == 4)
        var worst: Float = 0
        for o in 0..<outputs {
            for i in 0..<inputs {
                var delta: Float = 0
                for r in 0..<rank { delta += b[o * rank + r] * a[r * inputs + i] }
                worst = max(worst, abs(after[o * inputs + i] - before[o * inputs + i] - 2 * delta))  // α 8 / r 4
            }
        }
        #expect(worst < 1e-6, "merged \(module) is off by \(worst)")
        let fc1 = "model.vision_model.encoder.layers.0.mlp.fc1.weight"
        let (kept, was) = (try merged.tensor(fc1), try parent.tensor(fc1))
        #expect((0..<was.count).allSatisfy { kept[$0] == was[$0] }, "a weight LoRA did not adapt changed")
        let lineage = try #require(try Lineage.read(run.appendingPathComponent("imported")))
        #expect(lineage.checkpoint == 2 && lineage.kind == .dpo && lineage.parent == "checkpoint #1" && lineage.hasSFTAncestor)

        let again = try TRLExportTests.succeeds(["checkpoints", "import-run", run.path, "--workspace", ws.path])
        #expect(again.contains("already imported as checkpoint #2"), "\(again)")
    }

    @Test func aFullFineTuningRunIsRegisteredWithTRLsWeights() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (ws, lora) = try Self.setUp(in: dir)
        let full = lora.deletingLastPathComponent().appendingPathComponent("full")
        let printed = try TRLExportTests.succeeds(["checkpoints", "import-run", full.path, "--workspace", ws.path])
        #expect(printed.contains("registered as checkpoint #2 (dpo, parent #1, 3 TRL steps): preference_accuracy"), "\(printed)")
        let trained = try SafetensorsFile(path: full.appendingPathComponent("output/model.safetensors").path)
        let registered = try SafetensorsFile(path: full.appendingPathComponent("imported/model.safetensors").path)
        #expect(Set(registered.entries.keys) == Set(trained.entries.keys))
        for name in trained.entries.keys.sorted() {
            let (a, b) = (try trained.tensor(name), try registered.tensor(name))
            #expect(a.count == b.count && (0..<a.count).allSatisfy { a[$0] == b[$0] }, "\(name) is not TRL's")
        }
        // the processor's files come from the parent, so the checkpoint is a whole model folder
        for file in ["tokenizer.json", "processor_config.json", "chat_template.jinja"] {
            #expect(FileManager.default.fileExists(atPath: full.appendingPathComponent("imported/\(file)").path), "\(file)")
        }
        // both runs are children of the checkpoint they were exported from
        let next = try TRLExportTests.succeeds(["checkpoints", "import-run", lora.path, "--workspace", ws.path])
        #expect(next.contains("registered as checkpoint #3 (dpo, parent #1"), "\(next)")
    }

    @Test func aFolderThatIsNotTheExportedRunIsRefusedNamingTheFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (ws, run) = try Self.setUp(in: dir)
        func refused(_ message: String, _ file: String) throws {
            let result = try CLI.run(["checkpoints", "import-run", run.path, "--workspace", ws.path])
            #expect(result.status != 0 && result.errors.contains(message) && result.errors.contains(file), "\(result.errors)")
            #expect(!result.errors.contains("Fatal error"))
        }
        let manager = FileManager.default
        func replacing(_ name: String, with text: String?, _ check: () throws -> Void) throws {
            let url = run.appendingPathComponent(name)
            let saved = try Data(contentsOf: url)
            if let text { try Data(text.utf8).write(to: url) } else { try manager.removeItem(at: url) }
            try check()
            try saved.write(to: url)
        }
        try replacing("data/train.jsonl", with: "{}\n") { try refused("changed since the export", "data/train.jsonl") }
        try replacing("train.py", with: "print('other')\n") { try refused("changed since the export", "train.py") }
        try replacing("output/vlm_align_finished.json", with: nil) { try refused("train.py has not finished", "vlm_align_finished.json") }
        try replacing("output/vlm_align_finished.json", with: "{\"run\": \"0123\"}") {
            try refused("written by a run of another vlm_align_run.json", "vlm_align_finished.json")
        }
        try replacing("output/trainer_state.json", with: "{\"log_history\": [") { try refused("not valid JSON", "trainer_state.json") }
        try replacing("output/trainer_state.json", with: "{\"log_history\": []}") { try refused("has no training step", "trainer_state.json") }
        try replacing("vlm_align_run.json", with: "{\"parentCheckpoint\": 1}") { try refused("not a TRL run record", "vlm_align_run.json") }
        try replacing("output/adapter_model.safetensors", with: "not safetensors") { try refused("adapter_model.safetensors", "adapter_model.safetensors") }

        // a workspace whose dataset version #1 is another one
        let other = dir.appendingPathComponent("other")
        try TRLExportTests.succeeds(["init", other.path, "--model", TRLFixture.folder.appendingPathComponent("policy").path, "--kind", "sft"])
        try TRLExportTests.succeeds(["import", "pairs", TRLFixture.folder.appendingPathComponent("pairs.jsonl").path, "--workspace", other.path])
        try TRLExportTests.succeeds(["dataset", "freeze", "--workspace", other.path])
        let result = try CLI.run(["checkpoints", "import-run", run.path, "--workspace", other.path])
        #expect(result.status != 0 && result.errors.contains("import into the workspace it was exported from"), "\(result.errors)")
        #expect(try TRLExportTests.succeeds(["checkpoints", "list", "--workspace", ws.path]).split(separator: "\n").count == 2,
                "nothing was registered")
    }
}
