import Foundation
import Interchange
import JSON
import Tensor
import TestSupport
import Testing
import Tokenization
import VLM
@testable import Training

/// Runs of `vlm-align dpo` that are killed, stopped or blow up, and what they leave behind.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ResumeTests {
    static let fixture = TRLFixture.folder

    static func arguments(out: URL, cache: URL, steps: Int, extra: [String] = []) -> [String] {
        ["dpo", "--model", fixture.appendingPathComponent("policy").path,
         "--ref-model", fixture.appendingPathComponent("reference").path,
         "--data", fixture.appendingPathComponent("pairs.jsonl").path,
         "--out", out.path, "--cache-dir", cache.path, "--allow-no-sft",
         "--max-steps", String(steps), "--batch-size", "2", "--learning-rate", "1e-3", "--save-steps", "3",
         "--lr-scheduler", "cosine", "--warmup-steps", "2", "--seed", "7", "--json"] + extra
    }

    static func weights(_ run: URL) throws -> Tensor {
        try SafetensorsFile(path: run.appendingPathComponent("model/model.safetensors").path).tensor("model.text_model.norm.weight")
    }

    static func allWeights(_ run: URL) throws -> [Float] {
        let file = try SafetensorsFile(path: run.appendingPathComponent("model/model.safetensors").path)
        return try file.entries.keys.sorted().flatMap { try file.tensor($0).array }
    }

    static func stepsLogged(_ run: URL) -> Int {
        ((try? String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "")
            .split(separator: "\n").count
    }

    static func latest(_ run: URL) throws -> String {
        try String(contentsOf: run.appendingPathComponent("checkpoints/latest"), encoding: .utf8)
    }

    /// A malformed pause value ends the process with a message naming the variable, not a crash.
    @Test func aMalformedPauseValueIsRefused() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run")
        let (process, errors) = try CLI.start(Self.arguments(out: out, cache: cache, steps: 2),
                                              environment: [TestPause.variable: "step:zero"])
        try CLI.waitForExit(process)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 2)
        #expect(message.hasPrefix("\(TestPause.variable)=step:zero: expected POINT:N"), "\(message)")
    }

    /// A run killed with SIGKILL right after step 8 (its last checkpoint is step 6) and resumed
    /// ends with the weights of a run that never stopped (within 1e-6), and its metrics log has
    /// each step once.
    @Test func killedRunResumesToTheSameWeights() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let steps = 40
        let whole = dir.appendingPathComponent("whole"), killed = dir.appendingPathComponent("killed")
        let first = try CLI.run(Self.arguments(out: whole, cache: cache, steps: steps))
        #expect(first.status == 0, "uninterrupted run failed: \(first.errors)")

        let (process, _) = try CLI.start(Self.arguments(out: killed, cache: cache, steps: steps),
                                         environment: [TestPause.variable: TestPause.value(.trainingStep, 8)])
        try CLI.waitUntilPaused(process)
        kill(process.processIdentifier, SIGKILL)
        try CLI.waitForExit(process)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("model").path))
        #expect(Self.stepsLogged(killed) == 8)
        #expect(try Self.latest(killed) == "step-6")

        let resumed = try CLI.run(Self.arguments(out: killed, cache: cache, steps: steps, extra: ["--resume"]))
        #expect(resumed.status == 0, "resumed run failed: \(resumed.errors)")
        let a = try Self.allWeights(whole), b = try Self.allWeights(killed)
        #expect(a.count == b.count)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6, "resumed weights differ by \(worst)")
        #expect(Self.stepsLogged(killed) == steps, "metrics.jsonl holds each step once")
    }

    /// SIGTERM stops after the current step with the state of that step saved; --resume
    /// finishes the run. The run pauses itself after step 4 and gets the signal there.
    @Test func terminatedRunSavesAndResumes() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run")
        let (process, errors) = try CLI.start(Self.arguments(out: out, cache: cache, steps: 40),
                                              environment: [TestPause.variable: TestPause.value(.trainingStep, 4)])
        try CLI.waitUntilPaused(process)
        kill(process.processIdentifier, SIGTERM)
        kill(process.processIdentifier, SIGCONT)
        try CLI.waitForExit(process)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130, "expected the stop status, got \(process.terminationStatus): \(message)")
        // The signal is handled on another thread, which a loaded machine may not schedule before
        // a step or two more have run: what is promised is a stop before the end, saved where it stopped.
        let stopped = Self.stepsLogged(out)
        #expect(message.contains("stopped at step \(stopped); resume with --resume"), "\(message)")
        #expect((4..<40).contains(stopped))
        #expect(try Self.latest(out) == "step-\(stopped)", "saved the step it stopped at")
        let resumed = try CLI.run(Self.arguments(out: out, cache: cache, steps: 40, extra: ["--resume"]))
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(Self.stepsLogged(out) == 40)
    }

    /// A run that saves every step, killed with SIGKILL 20 times, each time at a seeded point of
    /// a checkpoint write (files staged, moved into place, named by `latest`) or right after a
    /// step: each time `latest` names a whole checkpoint, the run resumes from it, and it ends
    /// with the weights of a run that never stopped.
    @Test func killsDuringCheckpointWritesAlwaysResumeToTheSameWeights() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let steps = 120
        func arguments(_ out: URL, resume: Bool) -> [String] {
            var args = Self.arguments(out: out, cache: cache, steps: steps, extra: resume ? ["--resume"] : [])
            args[args.firstIndex(of: "--save-steps")! + 1] = "1"
            return args
        }
        let whole = dir.appendingPathComponent("whole"), killed = dir.appendingPathComponent("killed")
        let first = try CLI.run(arguments(whole, resume: false))
        #expect(first.status == 0, "uninterrupted run failed: \(first.errors)")
        // the first run pauses after a step, so there is a checkpoint to resume from
        let points: [TestPause.Point] = [.trainingStep, .checkpointStaged, .checkpointMoved, .checkpointNamed]
        var rng = SeededGenerator(seed: 20)
        for attempt in 0..<20 {
            // at most 3 steps a process: the 20 never reach the end
            let pause = TestPause.value(points[attempt % points.count], 1 + rng.below(3))
            let (process, _) = try CLI.start(arguments(killed, resume: attempt > 0), environment: [TestPause.variable: pause])
            try CLI.waitUntilPaused(process)
            kill(process.processIdentifier, SIGKILL)
            try CLI.waitForExit(process)
            let root = killed.appendingPathComponent("checkpoints")
            let latest = try Self.latest(killed)
            for file in ["trainable.safetensors", "optimizer.safetensors", "progress.json"] {
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("\(latest)/\(file)").path),
                        "kill \(attempt) at \(pause): \(latest) lacks \(file)")
            }
        }
        let resumed = try CLI.run(arguments(killed, resume: true))
        #expect(resumed.status == 0, "resumed run failed: \(resumed.errors)")
        let a = try Self.allWeights(whole), b = try Self.allWeights(killed)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(a.count == b.count && worst <= 1e-6, "resumed weights differ by \(worst)")
        #expect(Self.stepsLogged(killed) == steps, "metrics.jsonl holds each step once")
    }

    /// A loss that turns to NaN or infinity stops the run with a clear message; the last good
    /// checkpoint stays on disk with finite values.
    @Test func divergingRunStopsWithTheLastGoodStateKept() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        let out = dir.appendingPathComponent("run")
        var args = Self.arguments(out: out, cache: cache, steps: 30, extra: ["--max-grad-norm", "0"])
        args[args.firstIndex(of: "--learning-rate")! + 1] = "1e8"
        args[args.firstIndex(of: "--save-steps")! + 1] = "1"
        let result = try CLI.run(args)
        #expect(result.status != 0)
        #expect(result.errors.contains("stopping before it reaches the weights") && result.errors.contains("last good state"),
                "message: \(result.errors)")
        let latest = try String(contentsOf: out.appendingPathComponent("checkpoints/latest"), encoding: .utf8)
        let values = try SafetensorsFile(path: out.appendingPathComponent("checkpoints/\(latest)/trainable.safetensors").path).tensor("values")
        let finite = values.array.allSatisfy { $0.isFinite }
        #expect(finite, "the kept checkpoint holds non-finite values")
    }
}

/// The CLI on TRL's fixture: `dpo-eval` prints what TRL's evaluate() printed, and the first
/// three steps of `dpo` log what TRL's first three steps logged. In file order: AdamW turns
/// the rounding noise of gradients that are zero in exact arithmetic (the key biases) into
/// full-size steps, so another order of the same batch drifts by ~2e-4 by step 3 of ipo.
@Suite(.timeLimit(.minutes(10))) struct CLIParityTests {
    @Test(arguments: ["sigmoid", "ipo"])
    func dpoEvalAndFirstStepsMatchTRL(loss: String) throws {
        let fixture = try TRLFixture()
        let expected = fixture.expected(loss: loss)
        let folder = TRLFixture.folder, dir = try CLI.temporaryDirectory()
        let common = ["--model", folder.appendingPathComponent("policy").path,
                      "--ref-model", folder.appendingPathComponent("reference").path,
                      "--data", folder.appendingPathComponent("pairs.jsonl").path, "--loss", loss, "--beta", "0.1"]
        let evalOutput = dir.appendingPathComponent("eval.json")
        let evaluated = try CLI.run(["dpo-eval"] + common + ["--json"])
        #expect(evaluated.status == 0, "\(evaluated.errors)")
        try Data(evaluated.output.utf8).write(to: evalOutput)
        let eval = try JSONValue(parsing: evaluated.output)
        for key in ["rewards/chosen", "rewards/rejected", "rewards/margins"] {
            let ours = eval["eval_" + key]?.doubleValue ?? .nan, theirs = expected.eval[key] ?? .nan
            #expect(abs(ours - theirs) <= 1e-4, "dpo-eval \(loss) \(key): \(ours) vs \(theirs)")
        }
        for key in ["loss", "logps/chosen", "logps/rejected"] {
            let ours = eval["eval_" + key]?.doubleValue ?? .nan, theirs = expected.eval[key] ?? .nan
            #expect(abs(ours - theirs) <= 1e-3 * abs(theirs), "dpo-eval \(loss) \(key): \(ours) vs \(theirs)")
        }
        let run = dir.appendingPathComponent("run")
        let result = try CLI.run(["dpo"] + common + ["--out", run.path, "--max-steps", "3", "--batch-size", "4",
                                                          "--learning-rate", "1e-3", "--allow-no-sft", "--json", "--no-shuffle",
                                                          "--cache-dir", dir.appendingPathComponent("cache").path])
        #expect(result.status == 0, "\(result.errors)")
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        for (line, log) in zip(lines, expected.steps) {
            let ours = try JSONValue(parsing: String(line))
            for key in ["loss", "logps/chosen", "logps/rejected"] {
                let a = ours[key]?.doubleValue ?? .nan, b = log[key] ?? .nan
                #expect(abs(a - b) <= 1e-3 * abs(b), "dpo \(loss) step \(ours["step"]?.intValue ?? 0) \(key): \(a) vs \(b)")
            }
            for key in ["rewards/chosen", "rewards/rejected", "rewards/margins"] {
                let a = ours[key]?.doubleValue ?? .nan, b = log[key] ?? .nan
                #expect(abs(a - b) <= 1e-4, "dpo \(loss) step \(ours["step"]?.intValue ?? 0) \(key): \(a) vs \(b)")
            }
        }
    }
}
