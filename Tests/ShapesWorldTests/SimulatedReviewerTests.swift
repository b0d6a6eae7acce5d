import Interchange
import Testing
@testable import ShapesWorld

/// Reviewers' verdict rates match their settings within three standard errors over N draws.
@Suite(.timeLimit(.minutes(10))) struct SimulatedReviewerTests {
    static let draws = 4000

    static func truth(_ verdict: Verdict) -> Comparison {
        let judgement = Judgement(score: 1, correct: true, form: .grammar, reasons: [], hallucinations: 0, mentions: 0)
        return Comparison(verdict: verdict, reasons: verdict == .tie ? [] : [.wrongCount], a: judgement, b: judgement)
    }

    /// Share of reviews with each verdict.
    static func rates(_ profile: ReviewerProfile, truth: Verdict, seed: UInt64 = 17) -> [Verdict: Double] {
        var reviewer = SimulatedReviewer(profile: profile, seed: seed)
        var counts: [Verdict: Int] = [:]
        for _ in 0..<draws { counts[reviewer.review(Self.truth(truth)).verdict, default: 0] += 1 }
        return counts.mapValues { Double($0) / Double(draws) }
    }

    static func expectRate(_ observed: Double?, _ p: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let sigma = (p * (1 - p) / Double(draws)).squareRoot()
        let rate = observed ?? 0
        #expect(abs(rate - p) <= 3 * sigma + 1e-12, "\(what): observed \(rate), expected \(p) ± \(3 * sigma)",
                sourceLocation: sourceLocation)
    }

    @Test func aNoiselessReviewerAgreesWithTheOracle() {
        var reviewer = SimulatedReviewer(profile: ReviewerProfile(name: "oracle"), seed: 1)
        for verdict in Verdict.allCases {
            let truth = Self.truth(verdict)
            for _ in 0..<100 { #expect(reviewer.review(truth) == Review(verdict: truth.verdict, reasons: truth.reasons)) }
        }
    }

    @Test(arguments: [0.05, 0.2, 0.5])
    func flipRate(_ flip: Double) {
        let rates = Self.rates(ReviewerProfile(name: "flipper", flipRate: flip), truth: .a)
        Self.expectRate(rates[.b], flip, "flips")
        // ties and both-bad are not flipped
        #expect(Self.rates(ReviewerProfile(name: "flipper", flipRate: flip), truth: .tie)[.tie] == 1)
        #expect(Self.rates(ReviewerProfile(name: "flipper", flipRate: flip), truth: .bothBad)[.bothBad] == 1)
    }

    @Test(arguments: [0.1, 0.3])
    func positionBias(_ bias: Double) {
        let profile = ReviewerProfile(name: "left", positionBias: bias)
        Self.expectRate(Self.rates(profile, truth: .b)[.a], bias, "left preferred over the better right")
        Self.expectRate(Self.rates(profile, truth: .tie)[.a], bias, "left preferred in a tie")
        #expect(Self.rates(profile, truth: .a)[.a] == 1)
    }

    @Test(arguments: [0.2, 0.6])
    func sloppiness(_ sloppy: Double) {
        let rates = Self.rates(ReviewerProfile(name: "sloppy", sloppiness: sloppy), truth: .b)
        for verdict in [Verdict.a, .tie, .bothBad] { Self.expectRate(rates[verdict], sloppy / 4, "random \(verdict)") }
        Self.expectRate(rates[.b], 1 - sloppy + sloppy / 4, "kept")
    }

    @Test func noiseCombinesAsDocumented() {
        let (s, p, f) = (0.2, 0.25, 0.1)
        let profile = ReviewerProfile(name: "mixed", flipRate: f, positionBias: p, sloppiness: s)
        let rates = Self.rates(profile, truth: .b)
        Self.expectRate(rates[.a], s / 4 + (1 - s) * (p + (1 - p) * f), "A")
        Self.expectRate(rates[.tie], s / 4, "tie")
        Self.expectRate(rates[.b], s / 4 + (1 - s) * (1 - p) * (1 - f), "B")
    }

    @Test func reviewsRepeatFromTheSeedAndDifferAcrossSeeds() {
        func verdicts(_ seed: UInt64) -> [Verdict] {
            var reviewer = SimulatedReviewer(profile: .sloppy, seed: seed)
            return (0..<200).map { _ in reviewer.review(Self.truth(.a)).verdict }
        }
        #expect(firstDifference(verdicts(3), verdicts(3)) == nil)
        #expect(firstDifference(verdicts(3), verdicts(4)) != nil)
    }

    @Test func changedVerdictsCarryOneReason() {
        var reviewer = SimulatedReviewer(profile: ReviewerProfile(name: "contrary", flipRate: 1), seed: 2)
        let review = reviewer.review(Self.truth(.a))
        #expect(review.verdict == .b && review.reasons.count == 1)
    }
}
