import ArgumentParser
import Benchmarks
import Foundation
import Preferences
import Runs
import Training

/// Where a training run starts, what it trains on, where it goes: options `sft` and `dpo` share.
struct RunOptions: ParsableArguments {
    @Option(help: "Model folder to start from.") var model: String?
    @Option(help: "Workspace checkpoint ID to start from (with --workspace).") var checkpoint: Int64?
    @Option(help: "Training JSONL file.") var data: String?
    @Option(help: "Frozen dataset version (ID or hash prefix) of the workspace to train on; its held-out split is the evaluation set.")
    var dataset: String?
    @Option(name: .customLong("eval-data"), help: "Held-out JSONL, evaluated every --eval-steps and at the end.") var evalData: String?
    @Option(help: "Register the result as a checkpoint of this workspace, with its settings, parent and dataset version.")
    var workspace: String?
    @Option(help: "Run folder (not needed by `plan`).") var out: String?
    @Flag(help: "Continue the run in --out from its latest checkpoint (with the same settings).") var resume = false
    @Flag(help: "One JSON object per step.") var json = false

    func validate() throws {
        guard (model == nil) != (checkpoint == nil) else { throw ValidationError("give --model DIR or --checkpoint ID") }
        guard (data == nil) != (dataset == nil) else { throw ValidationError("give --data FILE or --dataset VERSION") }
        if workspace == nil, checkpoint != nil || dataset != nil {
            throw ValidationError("--checkpoint and --dataset name things of a workspace: give --workspace DIR")
        }
    }

    /// Training needs a run folder; only `plan` goes without.
    func requireOut() throws {
        if out == nil { throw ValidationError("give --out DIR: the run folder") }
    }

    func run(_ method: RunSettings.Method) throws -> Run {
        let start: Run.Model = model.map { .folder(URL(fileURLWithPath: $0)) } ?? .checkpoint(checkpoint!)
        let source: Run.TrainingData = data.map { .file(URL(fileURLWithPath: $0)) } ?? .datasetVersion(dataset!)
        var run = Run(method: method, model: start, data: source, out: URL(fileURLWithPath: out ?? "."))
        run.evalData = evalData.map { URL(fileURLWithPath: $0) }
        run.workspace = try workspace.map { try Workspace.open(at: URL(fileURLWithPath: $0)) }
        run.resume = resume
        return run
    }
}

/// Runs a training run with the progress line, stopping cleanly on signals, and says where the
/// result went.
func execute(_ run: Run, json: Bool) throws {
    let stop = StopSignal()
    stop.install()
    let progress = ProgressLine(json: json)
    let result = try run.execute(stop: stop) { event in
        switch event {
        case let .step(report, isEval): progress.show(report, isEval: isEval)
        case let .plan(plan):
            print(json ? String(format: "{\"plan\":{\"peak_rss_mib\":%.1f,\"seconds_per_step\":%.4g,\"parameters\":%d,\"trainable_parameters\":%d}}",
                                plan.peakBytes / 1048576, plan.secondsPerStep, plan.parameters, plan.trainableParameters)
                       : plan.description)
        case let .referenceLogProbs(cached, key, pairs):
            if !json { print(cached ? "reference log-probs: cached (\(key))" : "reference log-probs: computed for \(pairs) pairs") }
        }
    }
    if case .stopped(let step) = result.outcome {
        FileHandle.standardError.write(Data("stopped at step \(step); resume with --resume --out \(run.out.path)\n".utf8))
        throw ExitCode(130)
    }
    if json {
        print("{\"finished\":true,\"peak_rss_mib\":\(jsonNumber(peakRSSMiB()))}")
        return
    }
    print(String(format: "finished; peak memory %.0f MiB", peakRSSMiB()))
    if let adapter = result.adapter { print("adapter written to \(adapter.path)") }
    if let model = result.model { print("model written to \(model.path)") }
    if let checkpoint = result.checkpoint {
        let metrics = Checkpoint.keyMetrics.compactMap { key in checkpoint.metrics[key].map { String(format: "%@ %.4g", key, $0) } }
        print("registered as checkpoint #\(checkpoint.id!) (\(checkpoint.kind.rawValue), parent \(checkpoint.parentId.map { "#\($0)" } ?? "none"))"
              + (metrics.isEmpty ? "" : ": " + metrics.joined(separator: ", ")))
    }
}
