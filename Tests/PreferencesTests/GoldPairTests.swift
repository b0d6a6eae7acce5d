import Foundation
import Interchange
import Testing
@testable import Preferences

@Suite(.timeLimit(.minutes(10))) struct GoldPairTests {
    @Test func goldAccuracyHasAWilsonInterval() throws {
        let half = GoldAccuracy(reviewerId: 1, answered: 4, correct: 2)
        #expect(half.rate == 0.5)
        let interval = try #require(half.interval)
        #expect(abs(interval.lowerBound - 0.15004) < 1e-4 && abs(interval.upperBound - 0.84996) < 1e-4)
        let perfect = try #require(GoldAccuracy(reviewerId: 1, answered: 5, correct: 5).interval)
        #expect(abs(perfect.lowerBound - 0.56552) < 1e-4 && perfect.upperBound == 1)
        #expect(GoldAccuracy(reviewerId: 1, answered: 3, correct: 0).interval!.lowerBound >= 0)
        #expect(GoldAccuracy(reviewerId: 1, answered: 0, correct: 0).rate == nil && GoldAccuracy(reviewerId: 1, answered: 0, correct: 0).interval == nil)
    }

    /// Gold pairs 5 and 6 of six, at a rate of one half: every other pair a reviewer gets is gold
    /// while gold pairs last; they are not in the queue otherwise, nor in what remains.
    @Test func goldPairsAreMixedIntoEveryQueueAtTheRate() throws {
        let folder = try TemporaryFolder()
        let workspace = try ReviewTests.workspaceWithPairs(6, in: folder)
        let lead = try workspace.addReviewer(name: "lead", role: .admin).reviewer.id!
        try workspace.markGold(pairID: 5, verdict: .a, by: lead)
        try workspace.markGold(pairID: 6, verdict: .tie, by: lead)
        let ana = try workspace.addReviewer(name: "ana").reviewer.id!, bo = try workspace.addReviewer(name: "bo").reviewer.id!
        // the two gold pairs count among what remains, as any pair would
        #expect(try workspace.progress(of: ana, overlap: 1).remaining == 6)
        #expect(try workspace.pairsNeedingReview(by: ana, overlap: 1, limit: 10).map(\.id) == [1, 2, 3, 4])

        var remaining: [Int] = []
        func review(_ reviewer: Int64, pairs: Int) throws -> [Int64] {
            var seen: [Int64] = []
            remaining = []
            for _ in 0..<pairs {
                guard let assignment = try workspace.assignPair(to: reviewer, overlap: 1, hold: 60, goldRate: 0.5) else { break }
                seen.append(assignment.pairId)
                try workspace.recordVerdict(.tie, onPair: assignment.pairId, by: reviewer)
                remaining.append(try workspace.progress(of: reviewer, overlap: 1).remaining)
            }
            return seen
        }
        #expect(try review(ana, pairs: 2) == [1, 5])
        #expect(remaining == [5, 4], "each verdict, gold or not, takes one off")
        // Pair 5 has ana's verdict, and the overlap is 1: a gold pair goes to every reviewer all the same.
        #expect(try review(bo, pairs: 10) == [2, 5, 3, 6, 4])
        #expect(remaining == [4, 3, 2, 1, 0])
        // Gold pairs are only mixed in: with no other pair left for ana, gold pair 6 is not handed out.
        #expect(try review(ana, pairs: 10) == [])
        #expect(try workspace.progress(of: ana, overlap: 1).remaining == 0)
        #expect(try workspace.goldAccuracy().map { [$0.answered, $0.correct] } == [[1, 0], [2, 1]])
        #expect(try workspace.assignPair(to: ana, overlap: 1, hold: 60, goldRate: 0) == nil)
    }

    /// r0 is right on one of two gold pairs (4: both bad ✓, 5: a ✗), r1 on one of one; pair 1 has
    /// a (r0), a (r1), b (r2); pair 2 b (r0), a (r2), unresolved without a gold rule. With at least
    /// 80% gold accuracy required, dropping r0 leaves pair 1 unresolved, pair 2 r2's and pair 7
    /// (r0's alone) out; down-weighting r0 (0.5 / 0.8) keeps pair 1 with r0 and r1 and pair 7, and
    /// gives pair 2 to r2, who outweighs r0 now.
    @Test func freezeTakesGoldVerdictsAndDropsOrDownWeightsReviewersBelowTheMinimum() throws {
        let folder = try TemporaryFolder()
        let (workspace, r) = try DatasetTests.reviewedWorkspace(in: folder)
        let lead = try workspace.addReviewer(name: "lead", role: .admin).reviewer.id!
        try workspace.recordComparison(NewComparison(pairID: 1, reviewerID: r[2], verdict: .b))
        try workspace.recordComparison(NewComparison(pairID: 2, reviewerID: r[2], verdict: .a))
        let plain = try workspace.entries(ofDataset: try workspace.freezeDataset(policy: .majority).version.id!)
        #expect(!plain.map(\.pairId).contains(2), "pair 2 is one vote against one")
        try workspace.markGold(pairID: 4, verdict: .bothBad, by: lead)
        try workspace.markGold(pairID: 5, verdict: .b, by: lead)
        #expect(try workspace.goldAccuracy().map { [$0.reviewerId, Int64($0.answered), Int64($0.correct)] } == [[r[0], 2, 1], [r[1], 1, 1]])

        let dropped = try workspace.freezeDataset(policy: .majority, gold: GoldRule(minAccuracy: 0.8, belowGold: .drop))
        #expect(dropped.isNew && dropped.version.minGoldAccuracy == 0.8 && dropped.version.belowGold == .drop)
        #expect(dropped.version.belowGoldReviewers == [r[0]] && dropped.version.goldCount == 2 && dropped.version.unresolvedCount == 1)
        let droppedEntries = try workspace.entries(ofDataset: dropped.version.id!)
        #expect(droppedEntries.map(\.pairId) == [2, 5] && droppedEntries.map(\.source) == [.reviewers, .gold])
        #expect(droppedEntries.map(\.chosen) == [.a, .b])

        let weighted = try workspace.freezeDataset(policy: .majority, gold: GoldRule(minAccuracy: 0.8, belowGold: .downWeight))
        #expect(weighted.isNew && weighted.version.belowGold == .downWeight && weighted.version.belowGoldReviewers == [r[0]])
        let weightedEntries = try workspace.entries(ofDataset: weighted.version.id!)
        #expect(weightedEntries.map(\.pairId) == [1, 2, 5, 7] && weightedEntries.map(\.chosen) == [.a, .a, .b, .a])
        #expect(throws: StoreError.self) {
            try workspace.freezeDataset(policy: .unanimous, gold: GoldRule(minAccuracy: 0.8, belowGold: .downWeight))
        }

        #expect(throws: StoreError.refused("the minimum gold accuracy is a fraction from 0 to 1, not 80.0")) {
            try workspace.freezeDataset(policy: .majority, gold: GoldRule(minAccuracy: 80))
        }
        #expect(throws: StoreError.refused("only admins mark gold pairs; \"r0\" is a reviewer")) {
            try workspace.markGold(pairID: 1, verdict: .a, by: r[0])
        }
        #expect(throws: StoreError.refused("a gold verdict is a, b, tie or both-bad, not skip")) {
            try workspace.markGold(pairID: 1, verdict: .skip, by: lead)
        }
    }

    @Test func importingWithGoldMarksEachChosenAnswerAsItsPairsKnownVerdict() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (file, _) = try Fixtures.writeTRLFile(count: 3, in: folder)
        let report = try workspace.importPairs(from: file, reviewer: nil, gold: true)
        #expect(report.goldMarked == 3 && report.verdictsAdded == 0 && report.description.contains("3 gold verdicts"))
        let gold = try workspace.goldPairs()
        #expect(gold.count == 3 && gold.allSatisfy { $0.markedById == nil })
        // Rows 0–2 chose "0 shapes.", "Red (1)." and "2 shapes.".
        let known = try gold.map { mark in
            let pair = try workspace.pair(mark.pairId)
            return try workspace.candidate(mark.verdict == .a ? pair.candidateA : pair.candidateB).text
        }
        #expect(Set(known) == ["0 shapes.", "Red (1).", "2 shapes."])
        #expect(try workspace.comparisons().isEmpty)
        #expect(try workspace.importPairs(from: file, reviewer: nil, gold: true).changedNothing)
    }
}
