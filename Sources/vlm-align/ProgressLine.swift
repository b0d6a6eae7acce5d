import Foundation
import Training

/// Progress of a training run: a live line on a terminal, plain lines otherwise, or one JSON
/// object per step with --json.
struct ProgressLine {
    let json: Bool
    let live = isatty(STDOUT_FILENO) != 0

    func show(_ r: StepReport, isEval: Bool) {
        if json {
            print(r.jsonLine)
            fflush(nil)
            return
        }
        let v = r.values
        let text: String
        if isEval {
            if let margin = v["eval_rewards/margins"] {
                text = String(format: "eval @ step %d: loss %.4f  preference accuracy %.3f  reward margin %.4f  KL %.4f",
                              r.step, v["eval_loss"] ?? .nan, v["eval_rewards/accuracies"] ?? .nan, margin, v["eval_kl"] ?? .nan)
            } else {
                text = String(format: "eval @ step %d: loss %.4f  token accuracy %.3f",
                              r.step, v["eval_loss"] ?? .nan, v["eval_mean_token_accuracy"] ?? .nan)
            }
        } else {
            let eta = Double(r.totalSteps - r.step) * r.secondsPerStep
            text = String(format: "step %d/%d  loss %.4f  accuracy %.3f  %.0f tokens/s  ETA %@",
                          r.step, r.totalSteps, v["loss"] ?? .nan, v["rewards/accuracies"] ?? v["mean_token_accuracy"] ?? .nan,
                          v["tokens_per_second"] ?? 0, Self.duration(eta))
        }
        if live && !isEval {
            print("\r\u{1B}[K" + text, terminator: r.step == r.totalSteps ? "\n" : "")
        } else {
            if live { print("\r\u{1B}[K", terminator: "") }
            print(text)
        }
        fflush(nil)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
