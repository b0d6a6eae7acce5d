import Foundation
import Tensor

/// DPO losses, as TRL defines them (see ../shared/DESIGN.md). With x = (πc − rc) − (πr − rr):
/// sigmoid −(1−ε) log σ(βx) − ε log σ(−βx); robust [−(1−ε) log σ(βx) + ε log σ(−βx)] / (1−2ε);
/// hinge max(0, 1 − βx); ipo (x′ − 1/(2β))² with log-probs averaged over each completion's tokens.
public enum DPOLossType: String, Sendable, Codable, CaseIterable {
    case sigmoid, ipo, hinge, robust
}

public struct DPOSettings: Sendable, Equatable, Codable {
    public var beta: Float = 0.1
    public var loss: DPOLossType = .sigmoid
    public var labelSmoothing: Float = 0
    /// Weight of an NLL term on the chosen completions (RPO; TRL's "sft" loss added with this weight).
    public var rpoAlpha: Float?

    public init(beta: Float = 0.1, loss: DPOLossType = .sigmoid, labelSmoothing: Float = 0, rpoAlpha: Float? = nil) {
        self.beta = beta
        self.loss = loss
        self.labelSmoothing = labelSmoothing
        self.rpoAlpha = rpoAlpha
    }

    /// Refuses settings the losses cannot compute or would silently ignore: ε is the probability
    /// that a label is flipped, and robust divides by 1 − 2ε.
    public func validate() throws {
        switch loss {
        case .sigmoid:
            guard (0...1).contains(labelSmoothing) else {
                throw TrainingError("label smoothing \(labelSmoothing): ε is a probability, in [0, 1]")
            }
        case .robust:
            guard (0..<0.5).contains(labelSmoothing) else {
                throw TrainingError("label smoothing \(labelSmoothing) with the robust loss: it divides by 1 − 2ε, so ε must be in [0, 0.5)")
            }
        case .hinge, .ipo:
            guard labelSmoothing == 0 else {
                throw TrainingError("label smoothing applies to the sigmoid (cDPO) and robust losses, not to \(loss.rawValue)")
            }
        }
    }
}

/// Summed log-probabilities of one pair's completions under the policy and the reference.
public struct PairLogProbs: Sendable, Equatable, Codable {
    public var policyChosen: Double
    public var policyRejected: Double
    public var referenceChosen: Double
    public var referenceRejected: Double
    public var chosenTokens: Int
    public var rejectedTokens: Int

    public init(policyChosen: Double, policyRejected: Double, referenceChosen: Double, referenceRejected: Double,
                chosenTokens: Int, rejectedTokens: Int) {
        self.policyChosen = policyChosen
        self.policyRejected = policyRejected
        self.referenceChosen = referenceChosen
        self.referenceRejected = referenceRejected
        self.chosenTokens = chosenTokens
        self.rejectedTokens = rejectedTokens
    }

    public var chosenLogRatio: Double { policyChosen - referenceChosen }
    public var rejectedLogRatio: Double { policyRejected - referenceRejected }
}

public enum DPOLoss {
    /// The pair's loss and its derivatives with respect to the policy's chosen and rejected
    /// summed log-probs (the preference part only; the RPO term is per token, see `DPOStep`).
    public static func pair(_ p: PairLogProbs, _ s: DPOSettings) -> (loss: Double, dChosen: Double, dRejected: Double) {
        let beta = Double(s.beta), eps = Double(s.labelSmoothing)
        func logSigmoid(_ z: Double) -> Double { z < 0 ? z - log1p(exp(z)) : -log1p(exp(-z)) }
        func sigmoid(_ z: Double) -> Double { z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)) }
        let x = p.chosenLogRatio - p.rejectedLogRatio
        switch s.loss {
        case .sigmoid:
            let loss = -(1 - eps) * logSigmoid(beta * x) - eps * logSigmoid(-beta * x)
            let dx = -(1 - eps) * beta * sigmoid(-beta * x) + eps * beta * sigmoid(beta * x)
            return (loss, dx, -dx)
        case .robust:
            let loss = (-(1 - eps) * logSigmoid(beta * x) + eps * logSigmoid(-beta * x)) / (1 - 2 * eps)
            let dx = (-(1 - eps) * beta * sigmoid(-beta * x) - eps * beta * sigmoid(beta * x)) / (1 - 2 * eps)
            return (loss, dx, -dx)
        case .hinge:
            let margin = 1 - beta * x
            return (max(0, margin), margin > 0 ? -beta : 0, margin > 0 ? beta : 0)
        case .ipo:
            let nc = Double(max(p.chosenTokens, 1)), nr = Double(max(p.rejectedTokens, 1))
            let d = p.chosenLogRatio / nc - p.rejectedLogRatio / nr - 1 / (2 * beta)
            return (d * d, 2 * d / nc, -2 * d / nr)
        }
    }
}
