import Foundation
import JSON
import Tensor
import Testing
import VLM
@testable import Training

/// A run TRL recorded ("runs" of tools/fixtures/trl_fixtures.py and trl_sft_fixtures.py): its
/// settings with transformers' names, the examples of each micro-batch in the order TRL's seeded
/// sampler drew them, and the logs of every optimizer step.
struct TRLRun {
    let settings: JSONValue
    let order: [[Int]]
    let steps: [[String: Double]]
    let what: String

    init(_ json: JSONValue?, _ what: String) throws {
        guard let settings = json?["settings"], let order = json?["order"]?.arrayValue, let steps = json?["steps"]?.arrayValue,
              !order.isEmpty, !steps.isEmpty, settings["learning_rate"]?.doubleValue != nil else {
            throw TrainingError("\(what): needs settings (with learning_rate), order and steps")
        }
        self.settings = settings
        self.order = order.map { ($0.arrayValue ?? []).compactMap(\.intValue) }
        self.steps = steps.map(TRLFixture.metrics)
        self.what = what
    }

    /// The items in TRL's order, micro-batch after micro-batch: one epoch over them in file order
    /// is TRL's run.
    func replayed<T>(_ items: [T]) -> [T] { order.flatMap { $0.map { items[$0] } } }

    /// Trains `objective` over `replayed` examples with the run's loop settings (one epoch in file
    /// order; defaults as the fixture scripts': no accumulation, constant lr, no weight decay,
    /// clipping at 1) in a temporary folder, and returns the steps' reports.
    func train(_ objective: TrainingObjective) throws -> [StepReport] {
        var options = TrainingOptions()
        options.batchSize = order[0].count
        options.gradientAccumulationSteps = settings["gradient_accumulation_steps"]?.intValue ?? 1
        options.learningRate = Float(settings["learning_rate"]!.doubleValue!)
        let scheduler = settings["lr_scheduler_type"]?.stringValue ?? "constant"
        guard let kind = LearningRateSchedule.Kind(rawValue: scheduler) else { throw TrainingError("\(what): scheduler \(scheduler)") }
        options.scheduler = kind
        options.warmupSteps = settings["warmup_steps"]?.intValue ?? 0
        options.weightDecay = Float(settings["weight_decay"]?.doubleValue ?? 0)
        options.maxGradNorm = 1
        options.shuffle = false
        options.epochs = 1
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-align-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var reports: [StepReport] = []
        let outcome = try TrainingRun(objective: objective, options: options, directory: dir).run(resume: false) { report, isEval in
            if !isEval { reports.append(report) }
        }
        #expect(outcome == .finished)
        #expect(reports.count == steps.count, "\(what): \(reports.count) steps, TRL \(steps.count)")
        return reports
    }

    /// The parameters TRL had after the run's last step (`<run>/<name>` in `file`) against ours:
    /// every element within `tolerance`; one line per parameter that is not.
    static func parameterMismatches(_ file: SafetensorsFile, run: String, tolerance: Float,
                                    ours: (String) -> Tensor?) throws -> [String] {
        let names = file.entries.keys.filter { $0.hasPrefix(run + "/") }.sorted()
        guard !names.isEmpty else { return ["\(run): no parameters kept"] }
        return try names.compactMap { key in
            let name = String(key.dropFirst(run.count + 1))
            guard let got = ours(name) else { return "\(name): not a parameter of ours" }
            let want = try file.tensor(key)
            guard got.count == want.count else { return "\(name): \(got.count) values, TRL \(want.count)" }
            let worst = (0..<want.count).max { abs(got[$0] - want[$0]) < abs(got[$1] - want[$1]) }!
            let difference = abs(got[worst] - want[worst])
            return difference > tolerance ? "\(name)[\(worst)]: \(got[worst]) vs TRL \(want[worst]) (\(difference))" : nil
        }
    }
}
