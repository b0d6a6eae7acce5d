import Interchange

/// A reviewer's noise, as probabilities per comparison.
public struct ReviewerProfile: Codable, Equatable, Sendable {
    public var name: String
    /// Swaps "A better" and "B better".
    public var flipRate: Double
    /// Says the left answer (A) is better, whatever the answers.
    public var positionBias: Double
    /// Gives a verdict drawn uniformly from all four.
    public var sloppiness: Double

    public init(name: String, flipRate: Double = 0, positionBias: Double = 0, sloppiness: Double = 0) {
        self.name = name
        self.flipRate = flipRate
        self.positionBias = positionBias
        self.sloppiness = sloppiness
    }

    public static let careful = ReviewerProfile(name: "careful", flipRate: 0.02)
    public static let biased = ReviewerProfile(name: "biased", flipRate: 0.05, positionBias: 0.3)
    public static let sloppy = ReviewerProfile(name: "sloppy", flipRate: 0.05, sloppiness: 0.4)
    /// The profiles by name, as `round simulate --reviewers` names them.
    public static let named = Dictionary(uniqueKeysWithValues: [careful, biased, sloppy].map { ($0.name, $0) })
}

public struct Review: Codable, Equatable, Sendable {
    public var verdict: Verdict
    public var reasons: [ReasonTag]
}

/// An expert simulated on top of the oracle. Per comparison, in order: with probability
/// `sloppiness` a uniformly random verdict; else with probability `positionBias` "A better";
/// else the oracle's verdict, "A better" and "B better" swapped with probability `flipRate`.
/// A verdict that differs from the oracle's carries one random reason (none for a tie).
public struct SimulatedReviewer: Sendable {
    public let profile: ReviewerProfile
    private var rng: SeededGenerator

    public init(profile: ReviewerProfile, seed: UInt64) {
        self.profile = profile
        rng = SeededGenerator(seed: seed)
    }

    /// Reviews a comparison whose `a` was shown on the left.
    public mutating func review(_ truth: Comparison) -> Review {
        var verdict = truth.verdict
        if rng.chance(profile.sloppiness) {
            verdict = rng.pick(Verdict.judgements)
        } else if rng.chance(profile.positionBias) {
            verdict = .a
        } else if rng.chance(profile.flipRate) {
            verdict = verdict == .a ? .b : verdict == .b ? .a : verdict
        }
        if verdict == truth.verdict { return Review(verdict: verdict, reasons: truth.reasons) }
        return Review(verdict: verdict, reasons: verdict == .tie ? [] : [rng.pick(ReasonTag.allCases)])
    }
}
