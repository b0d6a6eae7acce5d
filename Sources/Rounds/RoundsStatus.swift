import Foundation
import Preferences

/// Where each round stands, and whether the loop has converged.
public struct RoundsStatus: Sendable {
    public struct Row: Sendable {
        public var round: Round
        /// Train pairs this round put up, and those with a verdict other than skip.
        public var pairs: Int
        public var reviewedPairs: Int
        /// Reviewed train pairs of this round and every earlier one.
        public var pairsTotal: Int
        public var heldOutPairs: Int
        /// The checkpoint the round trained, with its metrics.
        public var checkpoint: Checkpoint?
        public var evaluated: Bool { round.evaluatedAt != nil }
    }

    public var rows: [Row]
    public var convergence: Convergence
}

/// DESIGN.md: converged when preference accuracy gained less than 1 point over the last round, or
/// reached 85%. Judged on the evaluated rounds, in order.
public struct Convergence: Sendable, Equatable {
    public static let target = 0.85
    public static let minimumGain = 0.01

    public var converged: Bool
    public var reason: String

    public init(accuracies: [(round: Int, accuracy: Double)]) {
        guard let last = accuracies.last else {
            self.init(converged: false, reason: "no round evaluated yet")
            return
        }
        let percent = { (x: Double) in String(format: "%.1f%%", x * 100) }
        if last.accuracy >= Self.target {
            self.init(converged: true, reason: "round \(last.round) reached \(percent(last.accuracy)) preference accuracy (≥ 85%)")
        } else if accuracies.count >= 2 {
            let before = accuracies[accuracies.count - 2]
            let gain = (last.accuracy - before.accuracy) * 100
            self.init(converged: gain < Self.minimumGain * 100,
                      reason: String(format: "preference accuracy %@ → %@ from round %d to %d: %+.1f points (%@ 1)", percent(before.accuracy),
                                     percent(last.accuracy), before.round, last.round, gain, gain < 1 ? "<" : "≥"))
        } else {
            self.init(converged: false, reason: "one round evaluated (\(percent(last.accuracy)) preference accuracy, below 85%); convergence needs two")
        }
    }

    public init(converged: Bool, reason: String) {
        self.converged = converged
        self.reason = reason
    }
}

extension AlignmentRounds {
    public func status() throws -> RoundsStatus {
        let details = try workspace.pairDetails()
        let reviewed = Set(try workspace.votes().map(\.pairID))
        var total = 0
        let rows = try workspace.rounds().map { summary in
            let number = summary.round.number
            let ours = details.filter { $0.pair.round == number }
            let train = ours.filter { $0.prompt.split == .train }
            let done = train.filter { reviewed.contains($0.pair.id!) }.count
            total += done
            return RoundsStatus.Row(round: summary.round, pairs: train.count, reviewedPairs: done, pairsTotal: total,
                                    heldOutPairs: ours.count - train.count, checkpoint: try workspace.checkpoint(ofRound: number))
        }
        let accuracies = rows.compactMap { row -> (round: Int, accuracy: Double)? in
            guard row.evaluated, let accuracy = row.checkpoint?.metrics["preference_accuracy"] else { return nil }
            return (row.round.number, accuracy)
        }
        return RoundsStatus(rows: rows, convergence: Convergence(accuracies: accuracies))
    }
}
