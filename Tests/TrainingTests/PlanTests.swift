import Foundation
import JSON
import TestSupport
import Testing
import VLM

/// `vlm-align plan` and the plan `sft` and `dpo` print before the model loads: counts equal to
/// the model's and the adapter's, the estimate near the process's measured peak, and a run that
/// would not fit the machine refused with the estimate and what would fit, before any weight is
/// read. (The larger configurations' estimates against measured peaks: docs/benchmarks.md.)
@Suite(.serialized, .timeLimit(.minutes(10))) struct PlanTests {
    static let fixture = TRLFixture.folder

    /// The JSON lines of a `--json` run: the plan, and the closing one with the measured peak.
    static func jsonRun(_ arguments: [String]) throws -> (plan: JSONValue, peakMiB: Double) {
        let result = try CLI.run(arguments + ["--json"])
        #expect(result.status == 0, "\(result.errors)")
        let lines = try result.output.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        #expect(lines.first?["plan"] != nil, "the plan comes first: \(result.output)")
        let plan = try #require(lines.first?["plan"])
        let peak = try #require(lines.last?["peak_rss_mib"]?.doubleValue)
        return (plan, peak)
    }

    @Test func theRunsPlanCountsItsParametersAndComesNearItsPeak() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let policy = Self.fixture.appendingPathComponent("policy"), data = Self.fixture.appendingPathComponent("pairs.jsonl")
        let common = ["dpo", "--model", policy.path, "--data", data.path, "--allow-no-sft", "--max-steps", "2", "--batch-size", "2",
                      "--cache-dir", dir.appendingPathComponent("cache").path]
        let weights = try SafetensorsFile(path: policy.appendingPathComponent("model.safetensors").path)
        let parameters = weights.entries.values.reduce(0) { $0 + $1.shape.reduce(1, *) }

        let full = try Self.jsonRun(common + ["--out", dir.appendingPathComponent("full").path])
        #expect(full.plan["parameters"]?.intValue == parameters && full.plan["trainable_parameters"]?.intValue == parameters)
        let lora = try Self.jsonRun(common + ["--out", dir.appendingPathComponent("lora").path, "--lora-rank", "4"])
        let adapter = try SafetensorsFile(path: dir.appendingPathComponent("lora/adapter/adapter_model.safetensors").path)
        #expect(lora.plan["trainable_parameters"]?.intValue == adapter.entries.values.reduce(0) { $0 + $1.shape.reduce(1, *) })
        for (name, run) in [("full", full), ("lora", lora)] {
            let estimate = try #require(run.plan["peak_rss_mib"]?.doubleValue)
            #expect(abs(estimate - run.peakMiB) <= 0.2 * run.peakMiB, "\(name): estimated \(estimate) MiB, measured \(run.peakMiB) MiB")
        }

        // `plan dpo` says the same as the run, without --out, and that it fits
        let planned = try CLI.run(["plan"] + common + ["--lora-rank", "4"])
        #expect(planned.status == 0, "\(planned.errors)")
        let peakLine = try #require(planned.output.split(separator: "\n").first { $0.contains("peak RSS") })
        #expect(peakLine.hasSuffix(String(format: " %.0f MiB", try #require(lora.plan["peak_rss_mib"]?.doubleValue))), "\(peakLine)")
        #expect(planned.output.contains("fits: "), "\(planned.output)")
    }

    /// The fixture's folder with a 68B-parameter decoder (a 70B's layers, the fixture's vocabulary) in config.json and no weights.
    static func hugeModel(in dir: URL) throws -> URL {
        let folder = dir.appendingPathComponent("huge")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let source = Self.fixture.appendingPathComponent("policy")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name != "model.safetensors" && name != "config.json" {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        var config = try JSONValue(parsing: Data(contentsOf: source.appendingPathComponent("config.json")))
        var text = try #require(config["text_config"])
        for (key, value) in [("hidden_size", 8192), ("intermediate_size", 28672), ("num_hidden_layers", 80), ("num_attention_heads", 64),
                             ("num_key_value_heads", 8), ("head_dim", 128)] {
            text = text.setting(key, to: .int(value))
        }
        config = config.setting("text_config", to: text)
        try Data(config.serialized(indent: 2).utf8).write(to: folder.appendingPathComponent("config.json"))
        return folder
    }

    @Test func aRunThatWouldNotFitIsRefusedBeforeAWeightIsRead() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let huge = try Self.hugeModel(in: dir)
        let pairs = Self.fixture.appendingPathComponent("pairs.jsonl")
        let completions = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/trl-sft/completions.jsonl")
        for (method, data) in [("dpo", pairs), ("sft", completions)] {
            let out = dir.appendingPathComponent(method)
            let refused = try CLI.run([method, "--model", huge.path, "--data", data.path, "--out", out.path, "--allow-no-sft"].filter {
                method == "dpo" || $0 != "--allow-no-sft"
            })
            #expect(refused.status != 0, "\(method) started")
            // the estimate, then what would fit; not the missing weights (never read)
            for text in ["plan (\(method)): ", "this run needs about", "GiB at its peak, more than this machine's", "LoRA (--lora-rank 16)",
                         "QLoRA", "a smaller --batch-size"] {
                #expect(refused.output.contains(text) || refused.errors.contains(text), "\(method): \(text) missing: \(refused.output) \(refused.errors)")
            }
            #expect(refused.errors.contains("vlm-align export trl") == (method == "dpo"), "\(refused.errors)")
            #expect(!refused.errors.contains("model.safetensors"), "\(refused.errors)")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model").path))
        }
        // even QLoRA's 4-bit base (~38 GB) is more than a machine of 32 GiB holds (what the
        // machine is told it has, so the test does not depend on the host's memory)
        let planned = try CLI.run(["plan", "dpo", "--model", huge.path, "--data", pairs.path, "--allow-no-sft", "--lora-rank", "16", "--quantize", "nf4"],
                                  environment: ["VLM_ALIGN_MEMORY_BYTES": "\(32 << 30)"])
        #expect(planned.status == 1 && planned.output.contains("68.46B parameters") && planned.output.contains("more than this machine's"),
                "\(planned.output)")
    }
}
