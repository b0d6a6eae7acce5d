import Foundation
import JSON
import Tensor
import TestSupport
import Testing
import VLM
@testable import Training

/// `vlm-align sft` end to end, on the tiny model and the data of the TRL fixtures.
@Suite(.timeLimit(.minutes(10))) struct SFTCommandTests {
    static let policy = TRLFixture.folder.appendingPathComponent("policy")
    static let images = TRLFixture.folder.appendingPathComponent("images")

    /// The JSON objects a run printed for its steps (--json), in order.
    static func stepLines(_ output: String) throws -> [(text: String, values: JSONValue)] {
        try output.split(separator: "\n").filter { $0.hasPrefix("{\"") && $0.contains("\"step\":") }
            .map { (String($0), try JSONValue(parsing: String($0))) }
    }

    static func metricsLines(_ run: URL) throws -> [String] {
        try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func allWeights(_ run: URL) throws -> [String: [Float]] {
        let file = try SafetensorsFile(path: run.appendingPathComponent("model/model.safetensors").path)
        return try Dictionary(uniqueKeysWithValues: file.entries.keys.map { ($0, try file.tensor($0).array) })
    }

    /// TRL's SFT run with a schedule (trl_sft_fixtures.py, "schedule") from the command line:
    /// the data file holds the rows in the order TRL's sampler drew them and the run keeps file
    /// order. Each printed line is the line metrics.jsonl holds, with TRL's loss, token accuracy,
    /// gradient norm and learning rate; the written model holds TRL's parameters. The same run
    /// resumed from its step-4 checkpoint ends with the same weights and each step logged once.
    @Test func sftMatchesTRLsRunAndResumesToTheSameWeights() throws {
        let run = try TRLRun(try SFTParityTests.expected("runs")["schedule"], "trl-sft expected.json runs.schedule")
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = try String(contentsOf: SFTParityTests.folder.appendingPathComponent("completions.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { $0.replacingOccurrences(of: "../trl/images/", with: Self.images.path + "/") }
        let data = dir.appendingPathComponent("replayed.jsonl")
        try run.replayed(rows).joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
        let s = run.settings
        func arguments(_ out: URL) -> [String] {
            ["sft", "--model", Self.policy.path, "--data", data.path, "--out", out.path, "--no-shuffle", "--json", "--save-steps", "2",
             "--batch-size", String(run.order[0].count),
             "--gradient-accumulation-steps", String(s["gradient_accumulation_steps"]?.intValue ?? 0),
             "--learning-rate", String(s["learning_rate"]?.doubleValue ?? 0), "--lr-scheduler", s["lr_scheduler_type"]?.stringValue ?? "",
             "--warmup-steps", String(s["warmup_steps"]?.intValue ?? 0), "--weight-decay", String(s["weight_decay"]?.doubleValue ?? 0)]
        }
        let whole = dir.appendingPathComponent("whole")
        let result = try CLI.run(arguments(whole))
        #expect(result.status == 0, "\(result.errors)")
        let printed = try Self.stepLines(result.output)
        #expect(printed.map(\.text) == (try Self.metricsLines(whole)), "printed lines and metrics.jsonl differ")
        #expect(printed.count == run.steps.count)
        for (line, log) in zip(printed, run.steps) {
            let step = line.values["step"]?.intValue ?? 0
            for key in ["loss", "mean_token_accuracy", "grad_norm"] {
                SFTParityTests.close(line.values[key]?.doubleValue, log[key], "step \(step) \(key)")
            }
            SFTParityTests.close(line.values["learning_rate"]?.doubleValue, log["learning_rate"], "step \(step) learning_rate", relative: 1e-6)
        }
        let kept = try SafetensorsFile(path: SFTParityTests.folder.appendingPathComponent("runs.safetensors").path)
        let written = try SafetensorsFile(path: whole.appendingPathComponent("model/model.safetensors").path)
        let mismatches = try TRLRun.parameterMismatches(kept, run: "schedule", tolerance: 2e-6) { try? written.tensor($0) }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")

        // as if stopped after step 4: a copy whose latest checkpoint is step-4, no result yet
        let resumed = dir.appendingPathComponent("resumed")
        try FileManager.default.copyItem(at: whole, to: resumed)
        try FileManager.default.removeItem(at: resumed.appendingPathComponent("model"))
        try Data("step-4".utf8).write(to: resumed.appendingPathComponent("checkpoints/latest"))
        let again = try CLI.run(arguments(resumed) + ["--resume"])
        #expect(again.status == 0, "\(again.errors)")
        #expect(try Self.stepLines(again.output).map { $0.values["step"]?.intValue } == [5, 6])
        let lines = try Self.metricsLines(resumed), original = try Self.metricsLines(whole)
        #expect(lines.count == 6 && Array(lines.prefix(4)) == Array(original.prefix(4)), "metrics.jsonl holds each step once")
        let a = try Self.allWeights(whole), b = try Self.allWeights(resumed)
        #expect(a.keys.sorted() == b.keys.sorted())
        let worst = a.map { name, values in zip(values, b[name] ?? []).map { abs($0 - $1) }.max() ?? .infinity }.max() ?? .infinity
        #expect(worst <= 1e-6, "resumed weights differ by \(worst)")
    }

    /// --image-words reads a ShapesWorld's truth: data outside a world, and a weight that is not
    /// positive, are refused before anything trains.
    @Test func imageWordsNeedAWorldAndAPositiveWeight() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = try String(contentsOf: SFTParityTests.folder.appendingPathComponent("completions.jsonl"), encoding: .utf8)
            .replacingOccurrences(of: "../trl/images/", with: Self.images.path + "/")
        let data = dir.appendingPathComponent("rows.jsonl")
        try rows.write(to: data, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("run")
        let outside = try CLI.run(["sft", "--model", Self.policy.path, "--data", data.path, "--out", out.path, "--max-steps", "1",
                                   "--image-words", "1"])
        #expect(outside.status != 0 && outside.errors.contains(data.path) && outside.errors.contains("ShapesWorld"), "\(outside.errors)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model").path))
        for weight in ["0", "-1", "nan"] {
            let bad = try CLI.run(["sft", "--model", Self.policy.path, "--data", data.path, "--out", out.path, "--image-words", weight])
            #expect(bad.status != 0 && bad.errors.contains("--image-words"), "\(weight): \(bad.errors)")
        }
        let placesAlone = try CLI.run(["sft", "--model", Self.policy.path, "--data", data.path, "--out", out.path, "--image-word-places"])
        #expect(placesAlone.status != 0 && placesAlone.errors.contains("--image-word-places") && placesAlone.errors.contains("--image-words"),
                "\(placesAlone.errors)")
    }

    /// Contradictory tower options are refused before anything runs.
    @Test func contradictoryVisionOptionsAreRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run")
        for (extra, message) in [
            (["--lora-rank", "4", "--lora-vision", "--freeze-vision"],
             "--lora-vision adapts the vision tower and --freeze-vision keeps it fixed: give one of them"),
            (["--lora-vision"], "--lora-vision adapts the tower with LoRA: it needs --lora-rank"),
        ] {
            let result = try CLI.run(["sft", "--model", Self.policy.path, "--data", dir.appendingPathComponent("none.jsonl").path,
                                      "--out", out.path] + extra)
            #expect(result.status != 0 && result.errors.contains(message), "\(extra): \(result.errors)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }

    /// --pack-by-image: the questions of one image as branches of one sequence train with the
    /// loss, accuracy and gradient norm of the questions apart, step after step; --batch-size
    /// then counts sequences (3 images, 2 to a batch: 2 steps an epoch where 6 questions take 3).
    @Test func packingByImageTrainsAsTheExamplesApart() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let questions = [("What shape is red?", "a small red circle"), ("How many objects are there?", "The answer is 4.")]
        let rows = (0..<3).flatMap { i in
            questions.map { q, a in
                #"{"images": ["\#(Self.images.appendingPathComponent("scene\(i).png").path)"], "prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "\#(q)"}]}], "completion": [{"role": "assistant", "content": [{"type": "text", "text": "\#(a)"}]}]}"#
            }
        }
        let data = dir.appendingPathComponent("sft.jsonl")
        try rows.joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
        func steps(_ name: String, _ extra: [String]) throws -> [JSONValue] {
            let result = try CLI.run(["sft", "--model", Self.policy.path, "--data", data.path, "--out", dir.appendingPathComponent(name).path,
                                      "--learning-rate", "1e-3", "--no-shuffle", "--json"] + extra)
            #expect(result.status == 0, "\(name): \(result.errors)")
            return try Self.stepLines(result.output).map(\.values)
        }
        let apart = try steps("apart", ["--batch-size", "6", "--epochs", "2"])
        let packed = try steps("packed", ["--batch-size", "6", "--epochs", "2", "--pack-by-image"])
        #expect(apart.count == 2 && packed.count == 2)
        for (a, p) in zip(apart, packed) {
            for key in ["loss", "mean_token_accuracy", "grad_norm"] {
                let x = a[key]?.doubleValue ?? .nan, y = p[key]?.doubleValue ?? .nan
                #expect(abs(x - y) <= 1e-5 * abs(x), "step \(a["step"]?.intValue ?? 0) \(key): packed \(y) vs apart \(x)")
            }
        }
        #expect(try steps("sequences", ["--batch-size", "2", "--pack-by-image"]).count == 2)
    }

    /// --init-random trains a folder that has a config but no weights: the first loss is that of
    /// near-uniform predictions, ln(vocabulary size) (the fixture's own weights start at 6.7,
    /// not 6.0); each step prints a line with the loss metrics.jsonl holds; the model written
    /// loads. Without the flag the folder is refused.
    @Test func initRandomTrainsAFolderWithoutWeights() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bare = dir.appendingPathComponent("bare")
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.policy.path) where !file.hasSuffix(".safetensors") {
            try FileManager.default.copyItem(at: Self.policy.appendingPathComponent(file), to: bare.appendingPathComponent(file))
        }
        let data = SFTParityTests.folder.appendingPathComponent("completions.jsonl").path
        let out = dir.appendingPathComponent("run")
        let common = ["sft", "--model", bare.path, "--data", data, "--out", out.path, "--max-steps", "2", "--batch-size", "4",
                      "--learning-rate", "1e-3"]
        let refused = try CLI.run(common)
        #expect(refused.status != 0 && refused.errors.contains(bare.path), "without --init-random: \(refused.errors)")

        let result = try CLI.run(common + ["--init-random"])
        #expect(result.status == 0, "\(result.errors)")
        let logged = try Self.metricsLines(out).map { try JSONValue(parsing: $0) }
        let printed = result.output.split(separator: "\n").filter { $0.hasPrefix("step ") }
        #expect(logged.count == 2 && printed.count == 2)
        for (line, values) in zip(printed, logged) {
            let step = values["step"]?.intValue ?? 0, loss = values["loss"]?.doubleValue ?? .nan
            #expect(line.hasPrefix("step \(step)/2  loss \(String(format: "%.4f", loss))"), "printed \(line), logged \(loss)")
        }
        let vocabulary = try JSONValue(parsing: Data(contentsOf: bare.appendingPathComponent("config.json")))["text_config"]?["vocab_size"]?.intValue ?? 0
        let first = logged.first?["loss"]?.doubleValue ?? .nan
        #expect(abs(first - log(Double(vocabulary))) <= 0.05, "first loss \(first), ln \(vocabulary) = \(log(Double(vocabulary)))")
        let model = try Idefics3Model.load(out.appendingPathComponent("model"))
        #expect(model.parameters.count == (try Idefics3Model.load(Self.policy)).parameters.count)
        #expect(result.output.contains("model written to \(out.appendingPathComponent("model").path)"))
    }
}
