import Foundation
import GRDB
import Interchange
import Testing
@testable import Preferences

/// Reviewers, their tokens, recording comparisons and the review queue: the API the review
/// server builds on.
@Suite(.timeLimit(.minutes(10))) struct ReviewTests {
    static func workspaceWithPairs(_ count: Int, in folder: TemporaryFolder) throws -> Workspace {
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let prompt = try workspace.addPrompt(images: [Fixtures.png(width: 2, height: 2, seed: 3)],
                                             body: .messages([ChatMessage(role: "user", content: .parts([.image, .text("Describe it.")]))]))
        for i in 0..<count {
            let a = try workspace.addCandidate(promptID: prompt.id!, body: .plain("answer \(i)a"), seed: Int64(i))
            let b = try workspace.addCandidate(promptID: prompt.id!, body: .plain("answer \(i)b"), seed: Int64(i))
            try workspace.addPair(a.id!, b.id!, reason: .coverage)
        }
        return workspace
    }

    @Test func tokensSignInUntilTheReviewerIsDisabled() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (ana, token) = try workspace.addReviewer(name: "ana", role: .admin)
        #expect(token.count == 64 && ana.tokenHash == SHA256.hex(token))
        #expect(try workspace.reviewer(token: token)?.id == ana.id)
        #expect(try workspace.reviewer(token: String(token.reversed())) == nil)
        #expect(throws: StoreError.refused("a reviewer named \"ana\" already exists")) { try workspace.addReviewer(name: "ana") }
        try workspace.setReviewer(named: "ana", disabled: true)
        #expect(try workspace.reviewer(token: token) == nil)
        #expect(throws: StoreError.notNamed(kind: "reviewer", name: "bo")) { try workspace.setReviewer(named: "bo", disabled: true) }
    }

    @Test func oneComparisonPerReviewerPerPairRetriesCountOnce() throws {
        let folder = try TemporaryFolder()
        let workspace = try Self.workspaceWithPairs(1, in: folder)
        let (ana, _) = try workspace.addReviewer(name: "ana")
        let vote = NewComparison(pairID: 1, reviewerID: ana.id!, verdict: .a, reasonTags: ["accurate"], rubric: ["correctness": 4],
                                 leftShown: .b, timeSpentMs: 5200)
        #expect(try workspace.recordComparison(vote).outcome == .added)
        #expect(try workspace.recordComparison(vote).outcome == .unchanged)
        var changed = vote
        changed.verdict = .tie
        #expect(try workspace.recordComparison(changed).outcome == .replaced(previous: .a))
        let stored = try workspace.comparisons(ofPair: 1)
        #expect(stored.count == 1)
        #expect(stored[0].verdict == .tie && stored[0].rubric == ["correctness": 4] && stored[0].leftShown == .b && stored[0].timeSpentMs == 5200)
    }

    @Test func aChangedVerdictCountsAndKeepsItsFirstSubmissionTime() throws {
        let folder = try TemporaryFolder()
        let workspace = try Self.workspaceWithPairs(1, in: folder)
        let ids = try ["ana", "bo"].map { try workspace.addReviewer(name: $0).reviewer.id! }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for id in ids {
            _ = try workspace.assignPair(to: id, overlap: 2, hold: 300, now: start, leftShown: .a)
            try workspace.recordVerdict(.left, onPair: 1, by: id, now: start.addingTimeInterval(10))
        }
        // The pair has both its reviewers; Ana changes her mind an hour later.
        let changed = try workspace.recordVerdict(.right, onPair: 1, by: ids[0], reasonTags: ["other"], now: start.addingTimeInterval(3600))
        #expect(changed.outcome == .replaced(previous: .a))
        let stored = try workspace.comparisons(ofPair: 1)
        #expect(stored.count == 2)
        #expect(stored[0].verdict == .b && stored[0].reasonTags == ["other"] && stored[0].leftShown == .a && stored[0].timeSpentMs == 10_000)
        #expect(stored[0].createdAt == start.addingTimeInterval(10) && stored[1].verdict == .a)
    }

    @Test func aSnapshotSeesNothingWrittenAfterItStarted() throws {
        let folder = try TemporaryFolder()
        let workspace = try Self.workspaceWithPairs(1, in: folder)
        let (reviewers, votes) = try workspace.readReview { snapshot in
            let reviewers = try snapshot.reviewers()
            // Another connection adds a reviewer with a verdict while the snapshot is open.
            try DispatchQueue.global().sync {
                let late = try workspace.addReviewer(name: "late").reviewer.id!
                try workspace.recordComparison(NewComparison(pairID: 1, reviewerID: late, verdict: .a))
            }
            return (reviewers, try snapshot.votes())
        }
        #expect(reviewers.map(\.name) == [Reviewer.importedName] && votes.isEmpty)
        #expect(try workspace.readReview { try $0.votes() }.count == 1)
    }

    @Test func unknownPairOrReviewerAndDisabledReviewerAreRefused() throws {
        let folder = try TemporaryFolder()
        let workspace = try Self.workspaceWithPairs(1, in: folder)
        let (ana, _) = try workspace.addReviewer(name: "ana")
        #expect(throws: StoreError.notFound(kind: "pair", id: "9")) {
            try workspace.recordComparison(NewComparison(pairID: 9, reviewerID: ana.id!, verdict: .a))
        }
        #expect(throws: StoreError.notFound(kind: "reviewer", id: "42")) {
            try workspace.recordComparison(NewComparison(pairID: 1, reviewerID: 42, verdict: .a))
        }
        try workspace.setReviewer(named: "ana", disabled: true)
        #expect(throws: StoreError.refused("reviewer \"ana\" is disabled")) {
            try workspace.recordComparison(NewComparison(pairID: 1, reviewerID: ana.id!, verdict: .a))
        }
        #expect(try workspace.comparisons(ofPair: 1).isEmpty)
    }

    @Test func pairsMustShareAPromptAndAreOnePairInEitherOrder() throws {
        let folder = try TemporaryFolder()
        let workspace = try Self.workspaceWithPairs(1, in: folder)
        let pair = try workspace.pair(1)
        #expect(try workspace.addPair(pair.candidateB, pair.candidateA, reason: .uncertainty).id == pair.id)
        let other = try workspace.addPrompt(images: [], body: .plain("Another question"))
        let stray = try workspace.addCandidate(promptID: other.id!, body: .plain("x"))
        #expect(throws: StoreError.refused("candidates \(pair.candidateA) and \(stray.id!) answer different prompts; a pair compares answers to one prompt")) {
            try workspace.addPair(pair.candidateA, stray.id!, reason: .coverage)
        }
        #expect(throws: StoreError.notFound(kind: "round", id: "3")) { try workspace.addPair(pair.candidateA, pair.candidateB, round: 3, reason: .coverage) }
        #expect(throws: StoreError.notFound(kind: "candidate", id: "99")) { try workspace.addPair(99, pair.candidateB, reason: .coverage) }
        #expect(throws: StoreError.notFound(kind: "prompt", id: "99")) { try workspace.addCandidate(promptID: 99, body: .plain("x")) }
    }

    @Test func reviewQueueSkipsPairsTheReviewerDidAndPairsWithEnoughVerdicts() throws {
        let folder = try TemporaryFolder()
        let workspace = try Self.workspaceWithPairs(4, in: folder)
        let ids = try (0..<3).map { try workspace.addReviewer(name: "r\($0)").reviewer.id! }
        try workspace.recordComparison(NewComparison(pairID: 1, reviewerID: ids[0], verdict: .a))
        try workspace.recordComparison(NewComparison(pairID: 1, reviewerID: ids[1], verdict: .b))
        try workspace.recordComparison(NewComparison(pairID: 2, reviewerID: ids[0], verdict: .skip))
        try workspace.recordComparison(NewComparison(pairID: 3, reviewerID: ids[1], verdict: .tie))
        // Overlap 2: pair 1 is full; r0 did 1 and 2; a skip does not count towards the overlap.
        #expect(try workspace.pairsNeedingReview(by: ids[0], overlap: 2, limit: 10).map(\.id) == [3, 4])
        #expect(try workspace.pairsNeedingReview(by: ids[1], overlap: 2, limit: 10).map(\.id) == [2, 4])
        #expect(try workspace.pairsNeedingReview(by: ids[2], overlap: 2, limit: 10).map(\.id) == [2, 3, 4])
        #expect(try workspace.pairsNeedingReview(by: ids[2], overlap: 1, limit: 10).map(\.id) == [2, 4])
        #expect(try workspace.pairsNeedingReview(by: ids[2], overlap: 2, limit: 2).map(\.id) == [2, 3])
    }
}
