import Interchange

/// One reviewer's verdict on one pair, as resolution and agreement see it.
public struct Vote: Hashable, Sendable {
    public var pairID: Int64
    public var reviewerID: Int64
    public var verdict: Verdict

    public init(pairID: Int64, reviewerID: Int64, verdict: Verdict) {
        self.pairID = pairID
        self.reviewerID = reviewerID
        self.verdict = verdict
    }
}

/// Turns several reviewers' verdicts on a pair into one. Skips are not votes.
public enum Resolution {
    /// For each pair with at least one vote other than skip: the resolved verdict (A, B, tie or
    /// both bad), or nil where the policy reaches none. `weights` scales each reviewer's votes
    /// (1 when absent; 0 leaves their votes out): majority then takes the verdict holding more than
    /// half of the votes' weight, and reliability-weighted multiplies its weights by them.
    public static func resolve(_ votes: [Vote], policy: ResolutionPolicy, weights: [Int64: Double] = [:]) -> [Int64: Verdict?] {
        let scale = { (vote: Vote) in weights[vote.reviewerID] ?? 1 }
        let byPair = Dictionary(grouping: votes.filter { $0.verdict != .skip && scale($0) > 0 }, by: \.pairID)
        switch policy {
        case .majority:
            return byPair.mapValues { weightedMajority($0, weight: scale) }
        case .unanimous:
            return byPair.mapValues { votes in Set(votes.map(\.verdict)).count == 1 ? votes[0].verdict : nil }
        case .reliabilityWeighted:
            let reliability = reliabilityWeights(byPair)
            return byPair.mapValues { votes in weightedMajority(votes) { reliability[$0.reviewerID]! * scale($0) } }
        }
    }

    /// The verdict holding more than half of the votes' total weight, if one does.
    static func weightedMajority(_ votes: [Vote], weight: (Vote) -> Double) -> Verdict? {
        var total: [Verdict: Double] = [:]
        for vote in votes { total[vote.verdict, default: 0] += weight(vote) }
        let sum = total.values.reduce(0, +)
        return total.first { $0.value * 2 > sum }?.key
    }

    /// The verdict of more than half of the votes, if one has that many.
    static func majority(_ verdicts: [Verdict]) -> Verdict? {
        let counts = Dictionary(grouping: verdicts, by: { $0 }).mapValues(\.count)
        return counts.first { $0.value * 2 > verdicts.count }?.key
    }

    /// Each reviewer's weight: how often they agree with the majority of the *other* reviewers
    /// on pairs that have one, smoothed as (agreements + 1) / (comparable pairs + 2), so a
    /// reviewer with no comparable pairs weighs 1/2.
    static func reliabilityWeights(_ byPair: [Int64: [Vote]]) -> [Int64: Double] {
        var agreed: [Int64: Int] = [:], comparable: [Int64: Int] = [:]
        for votes in byPair.values {
            for vote in votes {
                let others = votes.filter { $0.reviewerID != vote.reviewerID }.map(\.verdict)
                let consensus = others.isEmpty ? nil : majority(others)
                comparable[vote.reviewerID, default: 0] += consensus == nil ? 0 : 1
                agreed[vote.reviewerID, default: 0] += consensus == vote.verdict ? 1 : 0
            }
        }
        var weights: [Int64: Double] = [:]
        for (reviewer, count) in comparable { weights[reviewer] = Double(agreed[reviewer]! + 1) / Double(count + 2) }
        return weights
    }
}
