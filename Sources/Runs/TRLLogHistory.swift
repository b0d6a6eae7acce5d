import Foundation
import Interchange
import JSON
import Training

/// The metrics TRL logged in a run (`trainer_state.json`'s `log_history`): one entry per logged
/// training step and per evaluation, under TRL's names, which are vlm-align's (`loss`,
/// `rewards/chosen`, `eval_rewards/accuracies`, …). Its summary entry (`train_runtime`, …) is
/// left out.
struct TRLLogHistory {
    var steps: [StepReport]
    var evaluations: [StepReport]
    var lastEvaluation: [String: Double]? { evaluations.last?.values }

    init(_ url: URL) throws {
        let json: JSONValue
        do { json = try JSONValue(parsing: Data(contentsOf: url)) } catch let error as JSONError {
            throw InputError(file: url.path, "not valid JSON: \(error)")
        } catch {
            throw InputError(file: url.path, "cannot read: TRL writes it when train.py finishes")
        }
        guard let entries = json["log_history"]?.arrayValue else { throw InputError(file: url.path, "has no \"log_history\" list") }
        let total = json["max_steps"]?.intValue ?? 0
        steps = []
        evaluations = []
        for (i, entry) in entries.enumerated() {
            guard let members = entry.objectValue else { throw InputError(file: url.path, "log_history[\(i)] is not an object") }
            guard let step = entry["step"]?.intValue else { throw InputError(file: url.path, "log_history[\(i)] has no integer \"step\"") }
            var values: [String: Double] = [:]
            for (key, value) in members where key != "step" && key != "epoch" {
                if let number = value.doubleValue { values[key] = number }
            }
            let report = StepReport(step: step, totalSteps: total, epoch: entry["epoch"]?.doubleValue ?? 0, values: values, secondsPerStep: 0)
            if values["eval_loss"] != nil { evaluations.append(report) } else if values["loss"] != nil { steps.append(report) }
        }
        guard !steps.isEmpty else { throw InputError(file: url.path, "log_history has no training step (no entry with \"loss\")") }
    }

    /// The steps and evaluations as vlm-align's metrics.jsonl, in step order.
    func writeMetrics(to url: URL) throws {
        let lines = (steps + evaluations).sorted { ($0.step, $0.values["eval_loss"] == nil ? 0 : 1) < ($1.step, $1.values["eval_loss"] == nil ? 0 : 1) }
            .map { $0.jsonLine + "\n" }
        try Data(lines.joined().utf8).write(to: url, options: .atomic)
    }
}
