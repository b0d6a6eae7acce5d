import Foundation
import Interchange
import Tensor
import VLM

/// One logged step: TRL's metric names plus grad_norm, learning_rate, tokens/s.
public struct StepReport: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Double
    public var values: [String: Double]
    public var secondsPerStep: Double

    public init(step: Int, totalSteps: Int, epoch: Double, values: [String: Double], secondsPerStep: Double) {
        self.step = step
        self.totalSteps = totalSteps
        self.epoch = epoch
        self.values = values
        self.secondsPerStep = secondsPerStep
    }

    /// One JSON object, keys sorted: a line of metrics.jsonl.
    public var jsonLine: String {
        var all = values
        all["step"] = Double(step)
        all["epoch"] = epoch
        let body = all.keys.sorted().map { key -> String in
            let v = all[key]!
            let number = v.isFinite ? (v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)") : "null"
            return "\"\(key)\":\(number)"
        }
        return "{" + body.joined(separator: ",") + "}"
    }
}

/// What a run optimizes: a loss over examples given by index, with gradients into its
/// updater's parameters, and metrics on a held-out set.
public protocol TrainingObjective: AnyObject {
    var updater: ParameterUpdater { get }
    var exampleCount: Int { get }
    /// What a batch weighs in an optimizer step of several (gradient accumulation): the step's
    /// loss is the batches' losses weighted by it. TRL's SFT normalizes by the learned tokens of
    /// the whole step, its DPO averages the batches' losses.
    func weight(of indices: [Int]) -> Double
    /// The batch's metrics (means over its examples), after accumulating the gradient of
    /// `scale` × its loss.
    func step(_ indices: [Int], scale: Double, rng: inout SeededGenerator) throws -> BatchResult
    /// Metrics over the held-out set, without gradients; nil when there is none.
    func evaluate(batchSize: Int) throws -> [String: Double]?
}

public struct BatchResult: Sendable {
    public var metrics: [String: Double]
    public var tokens: Int

    public init(metrics: [String: Double], tokens: Int) {
        self.metrics = metrics
        self.tokens = tokens
    }
}

/// A training run: seeded data order over epochs, gradient accumulation, the learning-rate
/// schedule, metrics to `<run>/metrics.jsonl`, evaluation, and checkpoints that a killed run
/// resumes from to the same result. As transformers' Trainer, an optimizer step takes up to
/// `gradientAccumulationSteps` batches but never crosses the end of an epoch; its loss is the
/// batches' losses by their weights, its other metrics the batches' means.
public final class TrainingRun {
    public let objective: TrainingObjective
    public let options: TrainingOptions
    public let directory: URL

    public init(objective: TrainingObjective, options: TrainingOptions, directory: URL) {
        self.objective = objective
        self.options = options
        self.directory = directory
        objective.updater.optimizer.weightDecay = options.weightDecay
        objective.updater.maxGradNorm = options.maxGradNorm
    }

    var metricsURL: URL { directory.appendingPathComponent("metrics.jsonl") }
    var updater: ParameterUpdater { objective.updater }

    public enum Outcome: Equatable { case finished, stopped(atStep: Int) }

    /// Trains to the end (or until `stop` asks), calling `report` after every step and evaluation.
    public func run(resume: Bool, stop: StopSignal? = nil, report: (StepReport, _ isEval: Bool) -> Void = { _, _ in }) throws -> Outcome {
        let count = objective.exampleCount
        guard count > 0 else { throw TrainingError("no examples to train on") }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let total = options.totalSteps(examples: count)
        let schedule = LearningRateSchedule(kind: options.scheduler, base: options.learningRate,
                                            warmupSteps: options.warmupSteps, totalSteps: total)
        var progress = TrainingProgress(seed: options.seed)
        if resume, let (saved, state) = try TrainingCheckpoint.load(run: directory, trainable: updater.trainable) {
            progress = saved
            updater.state = state
            try truncateMetrics(after: progress.step)
        } else {
            try? FileManager.default.removeItem(at: metricsURL)
            progress.order = order(count, &progress.rng)
        }
        while progress.step < total {
            if stop?.isRequested == true {
                try save(progress)
                return .stopped(atStep: progress.step)
            }
            let started = DispatchTime.now().uptimeNanoseconds
            var batches = [nextBatch(&progress)]
            while batches.count < options.gradientAccumulationSteps && progress.cursor < progress.order.count {
                batches.append(nextBatch(&progress))
            }
            let weights = batches.map { objective.weight(of: $0) }
            let weightSum = weights.reduce(0, +)
            var values = [String: Double](), tokens = 0
            for (batch, weight) in zip(batches, weights) {
                let scale = weight / weightSum
                let result = try objective.step(batch, scale: scale, rng: &progress.rng)
                for (k, v) in result.metrics { values[k, default: 0] += k == "loss" ? v * scale : v / Double(batches.count) }
                tokens += result.tokens
            }
            let lr = schedule.rate(at: progress.step)
            let norm = try updater.apply(lr: lr)
            progress.step += 1
            progress.adamStep = updater.state.step
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            values["grad_norm"] = Double(norm)
            values["learning_rate"] = Double(lr)
            values["tokens_per_second"] = Double(tokens) / seconds
            let stepReport = StepReport(step: progress.step, totalSteps: total, epoch: epoch(progress), values: values, secondsPerStep: seconds)
            try append(stepReport)
            report(stepReport, false)
            if options.evalSteps > 0 && progress.step % options.evalSteps == 0 && progress.step < total,
               let e = try evaluation(step: progress.step, total: total, epoch: epoch(progress)) {
                try append(e)
                report(e, true)
            }
            if progress.step % options.saveSteps == 0 || progress.step == total { try save(progress) }
            TestPause.pass(.trainingStep)
        }
        if let e = try evaluation(step: progress.step, total: total, epoch: epoch(progress)) {
            try append(e)
            report(e, true)
        }
        return .finished
    }

    /// The held-out metrics, prefixed `eval_` like TRL's evaluate().
    func evaluation(step: Int, total: Int, epoch: Double) throws -> StepReport? {
        guard let metrics = try objective.evaluate(batchSize: options.batchSize) else { return nil }
        return StepReport(step: step, totalSteps: total, epoch: epoch,
                          values: Dictionary(uniqueKeysWithValues: metrics.map { ("eval_" + $0.key, $0.value) }), secondsPerStep: 0)
    }

    private func nextBatch(_ progress: inout TrainingProgress) -> [Int] {
        if progress.cursor >= progress.order.count {
            progress.epoch += 1
            progress.cursor = 0
            progress.order = order(objective.exampleCount, &progress.rng)
        }
        let end = min(progress.order.count, progress.cursor + options.batchSize)
        defer { progress.cursor = end }
        return Array(progress.order[progress.cursor..<end])
    }

    private func order(_ count: Int, _ rng: inout SeededGenerator) -> [Int] {
        options.shuffle ? Array(0..<count).shuffled(using: &rng) : Array(0..<count)
    }

    private func epoch(_ p: TrainingProgress) -> Double { Double(p.epoch) + Double(p.cursor) / Double(max(objective.exampleCount, 1)) }

    private func save(_ progress: TrainingProgress) throws {
        try TrainingCheckpoint.save(run: directory, progress: progress, trainable: updater.trainable, optimizer: updater.state)
    }

    private func append(_ report: StepReport) throws {
        let line = Data((report.jsonLine + "\n").utf8)
        if let handle = try? FileHandle(forWritingTo: metricsURL) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } else {
            try line.write(to: metricsURL)
        }
    }

    /// On resume, the metrics of steps after the checkpoint are dropped: they will be redone.
    private func truncateMetrics(after step: Int) throws {
        guard let text = try? String(contentsOf: metricsURL, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").filter { line in
            guard let range = line.range(of: "\"step\":") else { return false }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            return (Int(digits) ?? .max) <= step
        }
        try Data((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8).write(to: metricsURL, options: .atomic)
    }
}
