import Foundation
import Interchange
import Testing
@testable import Preferences

@Suite(.timeLimit(.minutes(10))) struct AgreementTests {
    /// Rater pairs from a 2×2 table: both yes, first yes second no, first no second yes, both no.
    static func ratings(_ yesYes: Int, _ yesNo: Int, _ noYes: Int, _ noNo: Int) -> [(Bool, Bool)] {
        Array(repeating: (true, true), count: yesYes) + Array(repeating: (true, false), count: yesNo)
            + Array(repeating: (false, true), count: noYes) + Array(repeating: (false, false), count: noNo)
    }

    // Worked examples of Cohen's κ (Wikipedia, "Cohen's kappa"): p_o and p_e by hand.
    // 20/5/10/15: p_o = 0.7, p_e = 0.5·0.6 + 0.5·0.4 = 0.5, κ = 0.4.
    // 45/15/25/15: p_o = 0.6, p_e = 0.6·0.7 + 0.4·0.3 = 0.54, κ = 0.06/0.46.
    // 25/35/5/35: p_o = 0.6, p_e = 0.6·0.3 + 0.4·0.7 = 0.46, κ = 0.14/0.54.
    @Test(arguments: [((20, 5, 10, 15), 0.4), ((45, 15, 25, 15), 0.06 / 0.46), ((25, 35, 5, 35), 0.14 / 0.54)])
    func cohensKappaMatchesWorkedExamples(table: (Int, Int, Int, Int), kappa: Double) throws {
        let value = try #require(Agreement.cohensKappa(Self.ratings(table.0, table.1, table.2, table.3)))
        #expect(abs(value - kappa) < 1e-12)
    }

    @Test func cohensKappaIsOneForPerfectAgreementAndUndefinedWithoutVariation() {
        #expect(Agreement.cohensKappa([("a", "a"), ("b", "b"), ("c", "c")]) == 1)
        #expect(Agreement.cohensKappa([("a", "a"), ("a", "a")]) == nil)
        #expect(Agreement.cohensKappa([(String, String)]()) == nil)
    }

    /// Krippendorff's own worked example ("Computing Krippendorff's Alpha-Reliability", 2011):
    /// four observers, twelve units, values 1–5 with gaps; nominal α = 0.743.
    @Test func krippendorffAlphaMatchesThePublishedExample() throws {
        let observers: [[Int?]] = [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nil, nil, nil],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nil, 3],
            [nil, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nil],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nil],
        ]
        let units = (0..<12).map { unit in observers.compactMap { $0[unit] } }
        let alpha = try #require(Agreement.krippendorffAlpha(units: units))
        #expect(abs(alpha - 0.743) < 0.0005)
    }

    @Test func krippendorffAlphaEdgeCases() {
        #expect(Agreement.krippendorffAlpha(units: [["a", "a"], ["b", "b", "b"]]) == 1)
        #expect(Agreement.krippendorffAlpha(units: [["a", "a"], ["a"]]) == nil)  // one category: no expected disagreement
        #expect(Agreement.krippendorffAlpha(units: [["a"], ["b"]]) == nil)  // nothing pairable
    }

    /// Reviewers X and Y on four pairs: X = a a b b, Y = a b b b.
    /// κ: p_o = 3/4, p_e = ½·¼ + ½·¾ = ½, κ = ½.
    /// α: coincidences o_aa = 2, o_ab = o_ba = 1, o_bb = 4; n_a = 3, n_b = 5, n = 8;
    ///    α = 1 − 7·2 / (2·3·5) = 8/15.
    @Test func reportOverTwoReviewers() throws {
        let x: [Verdict] = [.a, .a, .b, .b], y: [Verdict] = [.a, .b, .b, .b]
        var votes = (0..<4).flatMap { i in [Vote(pairID: Int64(i + 1), reviewerID: 10, verdict: x[i]), Vote(pairID: Int64(i + 1), reviewerID: 20, verdict: y[i])] }
        votes.append(Vote(pairID: 1, reviewerID: 30, verdict: .skip))  // skips are not votes
        let report = AgreementReport(votes: votes, policy: .majority)
        #expect(report.kappas.count == 1 && report.kappas[0].sharedPairs == 4)
        #expect(abs(try #require(report.kappas[0].kappa) - 0.5) < 1e-12)
        #expect(abs(try #require(report.alpha) - 8.0 / 15.0) < 1e-12)
        // Pair 2 is a 1–1 split: a conflict the majority does not resolve, so nobody is scored on it.
        #expect(report.conflicts.map(\.pairID) == [2] && report.conflicts[0].resolved == nil)
        #expect(report.reviewers.map(\.reviewer) == [10, 20])
        #expect(report.reviewers.map(\.compared) == [3, 3] && report.reviewers.map(\.agreed) == [3, 3])
    }
}

@Suite(.timeLimit(.minutes(10))) struct ResolutionTests {
    /// Reviewers 1, 2 and 4 agree on pairs 1–4 and reviewer 3 dissents; on pair 5 only reviewers
    /// 1 and 3 voted, and they split.
    static let votes: [Vote] = (1...4).flatMap { pair in
        [Vote(pairID: pair, reviewerID: 1, verdict: .a), Vote(pairID: pair, reviewerID: 2, verdict: .a),
         Vote(pairID: pair, reviewerID: 3, verdict: .b), Vote(pairID: pair, reviewerID: 4, verdict: .a)]
    } + [Vote(pairID: 5, reviewerID: 1, verdict: .a), Vote(pairID: 5, reviewerID: 3, verdict: .b),
         Vote(pairID: 5, reviewerID: 2, verdict: .skip)]

    @Test func majorityNeedsMoreThanHalf() {
        let resolved = Resolution.resolve(Self.votes, policy: .majority)
        #expect(resolved.count == 5)
        #expect((1...4).allSatisfy { resolved[$0] == .some(.a) })
        #expect(resolved[5] == .some(nil))
        #expect(Resolution.majority([.tie, .tie, .a]) == .tie && Resolution.majority([.bothBad, .a]) == nil)
    }

    @Test func unanimousNeedsEveryVote() {
        let resolved = Resolution.resolve(Self.votes + [Vote(pairID: 6, reviewerID: 2, verdict: .bothBad)], policy: .unanimous)
        #expect((1...5).allSatisfy { resolved[$0] == .some(nil) })
        #expect(resolved[6] == .some(.bothBad))
    }

    /// Weights by hand: reviewer 1 agrees with the others' majority on pairs 1–4 and not on
    /// pair 5: (4+1)/(5+2) = 5/7. Reviewers 2 and 4: 4 of 4, 5/6. Reviewer 3: 0 of 5, 1/7.
    /// Pair 5 then goes to reviewer 1: 5/7 of a total 6/7 weight.
    @Test func reliabilityWeightingLetsTheReliableReviewerDecideASplit() throws {
        let byPair = Dictionary(grouping: Self.votes.filter { $0.verdict != .skip }, by: \.pairID)
        let weights = Resolution.reliabilityWeights(byPair)
        let expected: [Int64: Double] = [1: 5.0 / 7, 2: 5.0 / 6, 3: 1.0 / 7, 4: 5.0 / 6]
        #expect(weights.count == 4 && weights.allSatisfy { abs($0.value - expected[$0.key]!) < 1e-12 })
        let resolved = Resolution.resolve(Self.votes, policy: .reliabilityWeighted)
        #expect((1...5).allSatisfy { resolved[$0] == .some(.a) })
    }
}
