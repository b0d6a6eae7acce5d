import Foundation
import Tensor
import VLM

/// One logged step: TRL's metric names plus grad_norm, learning_rate, tokens/s.
public struct StepReport: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Double
    public var values: [String: Double]
    public var secondsPerStep: Double

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

/// A DPO training run: seeded data order over epochs, gradient accumulation, the schedule,
/// metrics to `<run>/metrics.jsonl`, evaluation on held-out pairs, and checkpoints that a killed
/// run resumes from to the same result.
public final class DPORun {
    public let trainer: DPOTrainer
    public let pairs: [PreferencePair]
    public let evalPairs: [PreferencePair]
    public let options: TrainingOptions
    public let directory: URL
    let references: [(chosen: Double, rejected: Double)]
    let evalReferences: [(chosen: Double, rejected: Double)]

    public init(trainer: DPOTrainer, pairs: [PreferencePair], evalPairs: [PreferencePair] = [], options: TrainingOptions,
                directory: URL, references: [(chosen: Double, rejected: Double)], evalReferences: [(chosen: Double, rejected: Double)] = []) {
        precondition(references.count == pairs.count && evalReferences.count == evalPairs.count, "one reference per pair")
        self.trainer = trainer
        self.pairs = pairs
        self.evalPairs = evalPairs
        self.options = options
        self.directory = directory
        self.references = references
        self.evalReferences = evalReferences
        trainer.optimizer.weightDecay = options.weightDecay
        trainer.maxGradNorm = options.maxGradNorm
    }

    var metricsURL: URL { directory.appendingPathComponent("metrics.jsonl") }

    public enum Outcome: Equatable { case finished, stopped(atStep: Int) }

    /// Trains to the end (or until `stop` asks), calling `report` after every step and evaluation.
    public func run(resume: Bool, stop: StopSignal? = nil, report: (StepReport, _ isEval: Bool) -> Void = { _, _ in }) throws -> Outcome {
        guard !pairs.isEmpty else { throw TrainingError("no preference pairs to train on") }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let total = options.totalSteps(examples: pairs.count)
        let schedule = LearningRateSchedule(kind: options.scheduler, base: options.learningRate,
                                            warmupSteps: options.warmupSteps, totalSteps: total)
        var progress = TrainingProgress(seed: options.seed)
        if resume, let (saved, state) = try TrainingCheckpoint.load(run: directory, trainable: trainer.trainable) {
            progress = saved
            trainer.state = state
            try truncateMetrics(after: progress.step)
        } else {
            try? FileManager.default.removeItem(at: metricsURL)
            progress.order = Array(0..<pairs.count).shuffled(using: &progress.rng)
        }
        while progress.step < total {
            if stop?.isRequested == true {
                try save(progress)
                return .stopped(atStep: progress.step)
            }
            let started = DispatchTime.now().uptimeNanoseconds
            var merged = [String: Double](), weight = 0.0, tokens = 0
            for _ in 0..<options.gradientAccumulationSteps {
                let batch = nextBatch(&progress)
                let m = try trainer.lossAndGradients(batch.map { pairs[$0] }, reference: batch.map { references[$0] },
                                                     backward: true, scale: 1 / Double(options.gradientAccumulationSteps),
                                                     rng: &progress.rng)
                for (k, v) in m.trlNamed { merged[k, default: 0] += v * Double(m.pairs) }
                weight += Double(m.pairs)
                tokens += m.tokens
            }
            let lr = schedule.rate(at: progress.step)
            let norm = try trainer.applyGradients(lr: lr)
            progress.step += 1
            progress.adamStep = trainer.state.step
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            var values = merged.mapValues { $0 / weight }
            values["grad_norm"] = Double(norm)
            values["learning_rate"] = Double(lr)
            values["tokens_per_second"] = Double(tokens) / seconds
            let stepReport = StepReport(step: progress.step, totalSteps: total, epoch: epoch(progress), values: values, secondsPerStep: seconds)
            try append(stepReport)
            report(stepReport, false)
            if !evalPairs.isEmpty && options.evalSteps > 0 && progress.step % options.evalSteps == 0 && progress.step < total {
                let e = try evaluate(step: progress.step, total: total, epoch: epoch(progress))
                try append(e)
                report(e, true)
            }
            if progress.step % options.saveSteps == 0 || progress.step == total { try save(progress) }
        }
        if !evalPairs.isEmpty {
            let e = try evaluate(step: progress.step, total: total, epoch: epoch(progress))
            try append(e)
            report(e, true)
        }
        return .finished
    }

    /// The DPO metrics over the held-out pairs, prefixed `eval_` like TRL's evaluate().
    public func evaluate(step: Int, total: Int, epoch: Double) throws -> StepReport {
        let m = try Self.metrics(trainer, pairs: evalPairs, references: evalReferences, batchSize: options.batchSize)
        var values: [String: Double] = [:]
        for (k, v) in m.trlNamed { values["eval_" + k] = v }
        return StepReport(step: step, totalSteps: total, epoch: epoch, values: values, secondsPerStep: 0)
    }

    /// Pair-weighted means of the DPO metrics over a set, in batches, without gradients.
    public static func metrics(_ trainer: DPOTrainer, pairs: [PreferencePair], references: [(chosen: Double, rejected: Double)],
                               batchSize: Int) throws -> DPOMetrics {
        var total = DPOMetrics()
        var rng = SeededGenerator(seed: 0)
        for start in stride(from: 0, to: pairs.count, by: max(batchSize, 1)) {
            let range = start..<min(pairs.count, start + max(batchSize, 1))
            let m = try trainer.lossAndGradients(Array(pairs[range]), reference: Array(references[range]), backward: false, rng: &rng)
            let w = Double(m.pairs) / Double(pairs.count)
            total.loss += m.loss * w
            total.rewardsChosen += m.rewardsChosen * w
            total.rewardsRejected += m.rewardsRejected * w
            total.rewardsAccuracies += m.rewardsAccuracies * w
            total.rewardsMargins += m.rewardsMargins * w
            total.logpsChosen += m.logpsChosen * w
            total.logpsRejected += m.logpsRejected * w
            total.logitsChosen += m.logitsChosen * w
            total.logitsRejected += m.logitsRejected * w
            total.pairs += m.pairs
            total.tokens += m.tokens
        }
        return total
    }

    private func nextBatch(_ progress: inout TrainingProgress) -> [Int] {
        if progress.cursor >= progress.order.count {
            progress.epoch += 1
            progress.cursor = 0
            progress.order = Array(0..<pairs.count).shuffled(using: &progress.rng)
        }
        let end = min(progress.order.count, progress.cursor + options.batchSize)
        defer { progress.cursor = end }
        return Array(progress.order[progress.cursor..<end])
    }

    private func epoch(_ p: TrainingProgress) -> Double { Double(p.epoch) + Double(p.cursor) / Double(max(pairs.count, 1)) }

    private func save(_ progress: TrainingProgress) throws {
        try TrainingCheckpoint.save(run: directory, progress: progress, trainable: trainer.trainable, optimizer: trainer.state)
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
