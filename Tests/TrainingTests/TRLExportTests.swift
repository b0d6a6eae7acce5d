import Foundation
import Interchange
import JSON
import TestSupport
import Testing

/// `vlm-align export trl`: the launch folder's train.py carries the run's options in TRL's names,
/// its configs are valid, its record names the parent and dataset version with their content ids
/// and the files with their hashes; what TRL cannot run as vlm-align would is refused. (Running
/// it under TRL is tools/scale_out/parity.sh's job: CI has no Python.)
@Suite(.serialized, .timeLimit(.minutes(10))) struct TRLExportTests {
    /// A workspace with the TRL fixture's policy as checkpoint #1 (`kind`) and its pairs, three
    /// train and one held-out, as dataset version #1.
    static func workspace(in dir: URL, kind: String = "sft") throws -> URL {
        let fixture = TRLFixture.folder
        let pairs = dir.appendingPathComponent("pairs")
        try FileManager.default.createDirectory(at: pairs, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("images"), to: pairs.appendingPathComponent("images"))
        let lines = try String(contentsOf: fixture.appendingPathComponent("pairs.jsonl"), encoding: .utf8).split(separator: "\n")
        try (lines.prefix(3).joined(separator: "\n") + "\n").write(to: pairs.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        try (lines[3] + "\n").write(to: pairs.appendingPathComponent("held-out.jsonl"), atomically: true, encoding: .utf8)
        let ws = dir.appendingPathComponent("ws")
        try succeeds(["init", ws.path, "--model", fixture.appendingPathComponent("policy").path, "--kind", kind])
        try succeeds(["import", "pairs", pairs.appendingPathComponent("train.jsonl").path, "--workspace", ws.path])
        try succeeds(["import", "pairs", pairs.appendingPathComponent("held-out.jsonl").path, "--split", "held-out", "--workspace", ws.path])
        try succeeds(["dataset", "freeze", "--workspace", ws.path])
        return ws
    }

    @discardableResult
    static func succeeds(_ arguments: [String]) throws -> String {
        let result = try CLI.run(arguments)
        #expect(result.status == 0, "vlm-align \(arguments.joined(separator: " ")): \(result.errors)")
        return result.output
    }

    /// The `NAME = dict(` block of train.py as JSON values (Python's True, False and None as JSON's).
    static func pythonDict(_ name: String, in script: String) throws -> [String: JSONValue] {
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "\(name) = dict("), "train.py has no \(name) = dict( block")
        var values: [String: JSONValue] = [:]
        for line in lines[(start + 1)...] {
            if line == ")" { return values }
            let body = line.trimmingCharacters(in: .whitespaces)
            let equals = try #require(body.firstIndex(of: "="), "\(name): \(line)")
            #expect(body.hasSuffix(","), "\(name): \(line)")
            let literal = String(body[body.index(after: equals)...].dropLast())
            let json = ["True": "true", "False": "false", "None": "null"][literal] ?? literal
            values[String(body[..<equals])] = try JSONValue(parsing: json)
        }
        Issue.record("\(name) = dict( is not closed")
        return values
    }

    /// accelerate's config as flat "key" / "parent.key" → value; every line must be a comment,
    /// `key: value`, or a nested `  key: value` under a `key:` line.
    static func yaml(_ text: String) throws -> [String: String] {
        var values: [String: String] = [:]
        var parent: String?
        for line in text.split(separator: "\n").map(String.init) where !line.hasPrefix("#") {
            let nested = line.hasPrefix("  ")
            let body = line.trimmingCharacters(in: .whitespaces)
            let colon = try #require(body.firstIndex(of: ":"), "not YAML: \(line)")
            let key = String(body[..<colon])
            #expect(key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "key \(key)")
            var value = String(body[body.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            if let comment = value.range(of: "  #") { value = String(value[..<comment.lowerBound]) }
            if nested {
                values["\(try #require(parent, "indented line first: \(line)")).\(key)"] = value
            } else if value.isEmpty {
                parent = key
            } else {
                parent = nil
                values[key] = value
            }
        }
        return values
    }

    @Test func theScriptTheConfigsAndTheRecordCarryTheRunsOptions() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = try Self.workspace(in: dir)
        let out = dir.appendingPathComponent("launch")
        let printed = try Self.succeeds([
            "export", "trl", "--workspace", ws.path, "--checkpoint", "1", "--dataset", "1", "--out", out.path,
            "--loss", "robust", "--beta", "0.2", "--label-smoothing", "0.1", "--rpo-alpha", "0.5",
            "--learning-rate", "2e-5", "--lr-scheduler", "cosine", "--warmup-steps", "3", "--weight-decay", "0.01", "--max-grad-norm", "0.5",
            "--batch-size", "8", "--gradient-accumulation-steps", "2", "--max-steps", "40", "--seed", "7", "--eval-steps", "10", "--save-steps", "20",
            "--lora-rank", "8", "--lora-alpha", "32", "--lora-dropout", "0.05", "--lora-targets", "q_proj", "v_proj",
            "--quantize", "nf4", "--gpus", "4", "--nodes", "2", "--deepspeed", "zero3",
        ])
        #expect(printed.contains("checkpoint #1 on dataset version #1, 8 processes"), "\(printed)")

        let record = try JSONValue(parsing: Data(contentsOf: out.appendingPathComponent("vlm_align_run.json")))
        let settings = try #require(record["settings"])
        let shown = try Self.succeeds(["checkpoints", "show", "1", "--workspace", ws.path])
        let parentHash = try #require(record["parentContentHash"]?.stringValue)
        #expect(shown.contains("content hash: \(parentHash)") && settings["modelID"]?.stringValue == parentHash)
        let datasets = try Self.succeeds(["dataset", "list", "--workspace", ws.path])
        #expect(datasets.contains(String(try #require(record["datasetContentHash"]?.stringValue).prefix(12))), "\(datasets)")
        #expect(record["parentCheckpoint"]?.intValue == 1 && record["datasetVersion"]?.intValue == 1)
        #expect(record["baseModel"]?.stringValue == "model" && record["launch"]?["deepSpeed"]?.stringValue == "zero3")
        // every file the record hashes is there with that hash
        let files = try #require(record["files"]?.objectValue)
        #expect(Set(files.map(\.0)) == ["data/train.jsonl", "data/held-out.jsonl", "train.py", "ds_config.json"])
        for (name, hash) in files { #expect(try SHA256.hex(fileAt: out.appendingPathComponent(name)) == hash.stringValue, "\(name)") }
        // the dataset and the checkpoint are in the folder
        #expect(try String(contentsOf: out.appendingPathComponent("data/train.jsonl"), encoding: .utf8).split(separator: "\n").count == 3)
        #expect(try String(contentsOf: out.appendingPathComponent("data/held-out.jsonl"), encoding: .utf8).split(separator: "\n").count == 1)
        #expect(try FolderContents(out.appendingPathComponent("model")).contentHash() == parentHash)

        // train.py: DPOConfig's arguments against the recorded settings
        let script = try String(contentsOf: out.appendingPathComponent("train.py"), encoding: .utf8)
        let args = try Self.pythonDict("DPO_ARGS", in: script)
        func number(_ value: JSONValue?) -> Double? { value?.doubleValue }
        func same(_ key: String, _ setting: JSONValue?, in values: [String: JSONValue]? = nil) {
            let written = (values ?? args)[key]
            #expect(number(written).map { v in number(setting).map { abs(v - $0) <= 1e-6 * max(1, abs($0)) } ?? false } == true,
                    "\(key): train.py \(String(describing: written)), run \(String(describing: setting))")
        }
        let dpo = settings["dpo"], training = settings["training"]
        #expect(args["loss_type"] == .array([.string("robust"), .string("sft")]))
        #expect(args["loss_weights"]?.arrayValue?.compactMap(\.doubleValue) == [1, 0.5])
        same("beta", dpo?["beta"])
        same("label_smoothing", dpo?["labelSmoothing"])
        same("learning_rate", training?["learningRate"])
        same("warmup_steps", training?["warmupSteps"])
        same("weight_decay", training?["weightDecay"])
        same("max_grad_norm", training?["maxGradNorm"])
        same("gradient_accumulation_steps", training?["gradientAccumulationSteps"])
        same("max_steps", training?["maxSteps"])
        same("seed", training?["seed"])
        same("save_steps", training?["saveSteps"])
        same("eval_steps", training?["evalSteps"])
        #expect(args["lr_scheduler_type"]?.stringValue == training?["scheduler"]?.stringValue)
        // the batch of the run over 8 processes
        #expect(args["per_device_train_batch_size"]?.intValue == 1 && args["per_device_eval_batch_size"]?.intValue == 1)
        #expect(args["train_sampling_strategy"]?.stringValue == "random" && args["eval_strategy"]?.stringValue == "steps")
        #expect(args["max_length"] == .null && args["bf16"] == .bool(false) && args["disable_dropout"] == .bool(false))
        #expect(args["deepspeed"]?.stringValue == "ds_config.json")
        let lora = try Self.pythonDict("LORA", in: script)
        same("r", settings["lora"]?["rank"], in: lora)
        same("lora_alpha", settings["lora"]?["alpha"], in: lora)
        same("lora_dropout", settings["lora"]?["dropout"], in: lora)
        #expect(lora["target_modules"]?.stringValue == #".*text_model.*\.(q_proj|v_proj)"#)
        #expect(script.contains("\nQUANTIZE = \"nf4\"\n") && script.contains("\nFREEZE_VISION = False\n"))
        #expect(script.contains("\nNOT_QUANTIZED = [\"lm_head\", \"vision_model\", \"connector\"]\n"))

        // accelerate and DeepSpeed
        let accelerate = try Self.yaml(try String(contentsOf: out.appendingPathComponent("accelerate_config.yaml"), encoding: .utf8))
        #expect(accelerate["distributed_type"] == "DEEPSPEED" && accelerate["num_processes"] == "8" && accelerate["num_machines"] == "2")
        #expect(accelerate["deepspeed_config.deepspeed_config_file"] == "ds_config.json" && accelerate["deepspeed_config.zero3_init_flag"] == "true")
        #expect(accelerate["main_process_ip"] != nil && accelerate["mixed_precision"] == "'no'")
        let deepSpeed = try JSONValue(parsing: Data(contentsOf: out.appendingPathComponent("ds_config.json")))
        #expect(deepSpeed["zero_optimization"]?["stage"]?.intValue == 3)
        #expect(deepSpeed["train_micro_batch_size_per_gpu"]?.stringValue == "auto" && deepSpeed["gradient_accumulation_steps"]?.stringValue == "auto")

        let requirements = try String(contentsOf: out.appendingPathComponent("requirements.txt"), encoding: .utf8)
        for pin in ["trl==1.16.0", "transformers==5.24.0", "peft==0.21.2", "accelerate==1.15.0", "bitsandbytes==", "deepspeed=="] {
            #expect(requirements.contains(pin), "requirements.txt: \(pin)")
        }
        let readme = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        for text in ["pip install -r requirements.txt", "accelerate launch --config_file accelerate_config.yaml train.py",
                     "--machine_rank N", "vlm-align checkpoints import-run"] {
            #expect(readme.contains(text), "README.md: \(text)")
        }
    }

    @Test func aSingleGPUFullFineTuningFolderHasNoDeepSpeedAndPointsAtTheGivenModel() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = try Self.workspace(in: dir)
        let out = dir.appendingPathComponent("launch")
        try Self.succeeds(["export", "trl", "--workspace", ws.path, "--checkpoint", "1", "--dataset", "1", "--out", out.path,
                           "--freeze-vision", "--no-shuffle", "--bf16", "--base-model", "HuggingFaceTB/SmolVLM-256M-Instruct"])
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!names.contains("ds_config.json") && !names.contains("model"), "\(names)")
        let script = try String(contentsOf: out.appendingPathComponent("train.py"), encoding: .utf8)
        #expect(script.contains("\nBASE_MODEL = \"HuggingFaceTB/SmolVLM-256M-Instruct\"\n") && script.contains("\nLORA = None\n"))
        #expect(script.contains("\nFREEZE_VISION = True\n") && script.contains("\nDTYPE = torch.bfloat16\n"))
        let args = try Self.pythonDict("DPO_ARGS", in: script)
        #expect(args["loss_type"] == .array([.string("sigmoid")]) && args["loss_weights"] == nil && args["deepspeed"] == nil)
        #expect(args["per_device_train_batch_size"]?.intValue == 4 && args["train_sampling_strategy"]?.stringValue == "sequential")
        #expect(args["bf16"] == .bool(true) && args["max_steps"]?.intValue == -1 && args["num_train_epochs"]?.intValue == 1)
        let accelerate = try Self.yaml(try String(contentsOf: out.appendingPathComponent("accelerate_config.yaml"), encoding: .utf8))
        #expect(accelerate["distributed_type"] == "NO" && accelerate["num_processes"] == "1" && accelerate["mixed_precision"] == "bf16")
        let record = try JSONValue(parsing: Data(contentsOf: out.appendingPathComponent("vlm_align_run.json")))
        #expect(record["baseModel"]?.stringValue == "HuggingFaceTB/SmolVLM-256M-Instruct" && record["launch"]?["bf16"] == .bool(true))
    }

    @Test func whatTRLCannotRunAsVlmAlignWouldIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = try Self.workspace(in: dir)
        func refused(_ extra: [String], _ message: String, out: String = "launch") throws {
            let result = try CLI.run(["export", "trl", "--workspace", ws.path, "--checkpoint", "1", "--dataset", "1",
                                      "--out", dir.appendingPathComponent(out).path] + extra)
            #expect(result.status != 0 && result.errors.contains(message), "\(extra): \(result.errors)")
        }
        try refused(["--batch-size", "3", "--gpus", "2"], "--batch-size 3 does not split over 2 processes")
        try refused(["--label-smoothing", "0.1", "--batch-size", "4"], "its aot loss is cDPO only with one pair per device")
        try refused(["--quantize", "nf4"], "quantizing the base (NF4) needs LoRA")
        try refused(["--seed", "5000000000"], "below 2^32")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("full/x"), withIntermediateDirectories: true)
        try refused([], "exists and is not an empty folder", out: "full")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("launch").path), "a refused export leaves no folder")

        let base = dir.appendingPathComponent("base")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let baseWS = try Self.workspace(in: base, kind: "base")
        let result = try CLI.run(["export", "trl", "--workspace", baseWS.path, "--checkpoint", "1", "--dataset", "1",
                                  "--out", base.appendingPathComponent("launch").path])
        #expect(result.status != 0 && result.errors.contains("DPO starts from an SFT model"), "\(result.errors)")
    }
}
