import Foundation
import GRDB
import Interchange
import Testing
@testable import Preferences

/// Handing pairs out to reviewers, verdicts about what they were shown, undo, sessions and the
/// dashboard's figures: what the review app adds to the store.
@Suite(.timeLimit(.minutes(10))) struct AssignmentTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aHeldPairKeepsItsSlotUntilItExpires() throws {
        let folder = try TemporaryFolder()
        let workspace = try ReviewTests.workspaceWithPairs(2, in: folder)
        let ids = try (0..<3).map { try workspace.addReviewer(name: "r\($0)").reviewer.id! }
        // Overlap 2: r0 and r1 take pair 1's two slots, so r2 gets pair 2.
        #expect(try workspace.assignPair(to: ids[0], overlap: 2, hold: 300, now: start)?.pairId == 1)
        #expect(try workspace.assignPair(to: ids[1], overlap: 2, hold: 300, now: start)?.pairId == 1)
        #expect(try workspace.assignPair(to: ids[2], overlap: 2, hold: 300, now: start)?.pairId == 2)
        // Asking again returns the pair already held, whatever the order asked for.
        let again = try workspace.assignPair(to: ids[0], overlap: 2, hold: 300, now: start.addingTimeInterval(10), leftShown: .a)
        let first = try workspace.database.read { try Assignment.fetchOne($0, key: ["pairId": 1, "reviewerId": ids[0]]) }
        #expect(again == first && again?.handedOutAt == start)
        // r1's hold expires and r0's is renewed: pair 1's slot goes to r2 after r2 gives pair 2 up.
        try workspace.recordVerdict(.skip, onPair: 2, by: ids[2], now: start.addingTimeInterval(20))
        #expect(try workspace.assignPair(to: ids[2], overlap: 2, hold: 300, now: start.addingTimeInterval(200)) == nil)
        #expect(try workspace.assignPair(to: ids[2], overlap: 2, hold: 300, now: start.addingTimeInterval(301))?.pairId == 1)
        // r1 comes back after expiry: pair 1 is full now, so r1's hold lapses and r1 gets pair 2.
        #expect(try workspace.assignPair(to: ids[1], overlap: 2, hold: 300, now: start.addingTimeInterval(302))?.pairId == 2)
    }

    @Test func verdictsAreAboutTheAnswersAsShown() throws {
        let folder = try TemporaryFolder()
        let workspace = try ReviewTests.workspaceWithPairs(2, in: folder)
        let ana = try workspace.addReviewer(name: "ana").reviewer.id!
        let first = try #require(try workspace.assignPair(to: ana, overlap: 1, hold: 300, now: start, leftShown: .b))
        let (comparison, outcome) = try workspace.recordVerdict(
            .left, onPair: first.pairId, by: ana, reasonTags: ["wrong_count"],
            scores: ShownScores(left: ["accuracy": 5], right: ["accuracy": 2, "grounding": 1]), now: start.addingTimeInterval(4.25))
        #expect(outcome == .added)
        #expect(comparison.verdict == .b && comparison.leftShown == .b && comparison.timeSpentMs == 4250)
        #expect(comparison.rubric == ["b.accuracy": 5, "a.accuracy": 2, "a.grounding": 1] && comparison.reasonTags == ["wrong_count"])
        // A retry counts once; a changed mind replaces; the hold is gone.
        #expect(try workspace.recordVerdict(.left, onPair: first.pairId, by: ana, reasonTags: ["wrong_count"],
                                            scores: ShownScores(left: ["accuracy": 5], right: ["accuracy": 2, "grounding": 1])).outcome == .unchanged)
        #expect(try workspace.recordVerdict(.right, onPair: first.pairId, by: ana).outcome == .replaced(previous: .b))
        #expect(try workspace.comparisons(ofPair: first.pairId).map(\.verdict) == [.a])
        #expect(try workspace.database.read { try Assignment.fetchCount($0) } == 0)
        // A pair never handed out is refused.
        #expect(throws: StoreError.refused("pair 2 was not handed out to reviewer \"ana\"; ask for the next pair first")) {
            try workspace.recordVerdict(.tie, onPair: 2, by: ana)
        }
        #expect(try workspace.progress(of: ana, overlap: 1) == ReviewerProgress(done: 1, remaining: 1))
    }

    @Test func undoHandsTheLastPairBackShownAsBefore() throws {
        let folder = try TemporaryFolder()
        let workspace = try ReviewTests.workspaceWithPairs(3, in: folder)
        let ana = try workspace.addReviewer(name: "ana").reviewer.id!
        #expect(try workspace.undoLastVerdict(by: ana, hold: 300) == nil)
        for (i, side) in [Side.a, .b].enumerated() {
            let assignment = try #require(try workspace.assignPair(to: ana, overlap: 1, hold: 300, now: start, leftShown: side))
            #expect(assignment.pairId == Int64(i + 1))
            try workspace.recordVerdict(.left, onPair: assignment.pairId, by: ana, now: start.addingTimeInterval(Double(i + 1)))
        }
        #expect(try workspace.assignPair(to: ana, overlap: 1, hold: 300, now: start.addingTimeInterval(3))?.pairId == 3)
        let undone = try #require(try workspace.undoLastVerdict(by: ana, hold: 300, now: start.addingTimeInterval(4)))
        #expect(undone.pairId == 2 && undone.verdict == .b)
        #expect(try workspace.comparisons(ofPair: 2).isEmpty)
        // Pair 2 comes back first, shown as before, then pair 3, which ana still holds.
        let back = try #require(try workspace.assignPair(to: ana, overlap: 1, hold: 300, now: start.addingTimeInterval(5), leftShown: .a))
        #expect(back.pairId == 2 && back.leftShown == .b)
        try workspace.recordVerdict(.tie, onPair: 2, by: ana, now: start.addingTimeInterval(7))
        #expect(try workspace.comparisons(ofPair: 2).map(\.timeSpentMs) == [3000])
        #expect(try workspace.assignPair(to: ana, overlap: 1, hold: 300, now: start.addingTimeInterval(8))?.pairId == 3)
        // Imported verdicts were never shown, so undo leaves them alone.
        let imported = try workspace.reviewer(named: Reviewer.importedName).id!
        try workspace.recordComparison(NewComparison(pairID: 3, reviewerID: imported, verdict: .a))
        #expect(try workspace.undoLastVerdict(by: imported, hold: 300) == nil)
    }

    @Test func sessionsEndWhenTheyExpireOrTheReviewerIsDisabled() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let ana = try workspace.addReviewer(name: "ana").reviewer
        let hour = SessionLimits(lifetime: 3600, idle: 3600)
        let (token, session) = try workspace.openSession(reviewerID: ana.id!, limits: hour, now: start)
        #expect(session.tokenHash == SHA256.hex(token) && session.csrfToken.count == 64 && session.csrfToken != token)
        #expect(try workspace.session(token: token, limits: hour, now: start.addingTimeInterval(3599))?.reviewer.id == ana.id)
        #expect(try workspace.session(token: token, limits: hour, now: start.addingTimeInterval(3600)) == nil)
        #expect(try workspace.session(token: (token.first == "0" ? "1" : "0") + token.dropFirst(), limits: hour, now: start) == nil)
        let second = try workspace.openSession(reviewerID: ana.id!, limits: hour, now: start).token
        try workspace.closeSession(token: second)
        #expect(try workspace.session(token: second, limits: hour, now: start) == nil)
        #expect(try workspace.session(token: token, limits: hour, now: start) != nil)
        // Disabling ends every session for good: enabled again, the reviewer signs in anew.
        try workspace.setReviewer(named: "ana", disabled: true)
        #expect(try workspace.session(token: token, limits: hour, now: start) == nil)
        #expect(throws: StoreError.refused("reviewer \"ana\" is disabled")) { try workspace.openSession(reviewerID: ana.id!, limits: hour) }
        try workspace.setReviewer(named: "ana", disabled: false)
        #expect(try workspace.session(token: token, limits: hour, now: start) == nil)
        #expect(try workspace.database.read { try ReviewSession.fetchCount($0) } == 0)
    }

    @Test func aSessionEndsWhenUnusedForTheIdleTimeOrAtItsLifetime() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let ana = try workspace.addReviewer(name: "ana").reviewer
        let limits = SessionLimits(lifetime: 4 * 3600, idle: 1800)
        let token = try workspace.openSession(reviewerID: ana.id!, limits: limits, now: start).token
        // Used every 25 minutes, it lasts until its lifetime runs out, and not a moment longer.
        var used = start
        while used.addingTimeInterval(1500) < start.addingTimeInterval(4 * 3600) {
            used = used.addingTimeInterval(1500)
            #expect(try workspace.session(token: token, limits: limits, now: used) != nil, "\(used.timeIntervalSince(start))")
        }
        #expect(try workspace.session(token: token, limits: limits, now: start.addingTimeInterval(4 * 3600)) == nil)

        // Left unused for the idle time, it ends.
        let other = try workspace.openSession(reviewerID: ana.id!, limits: limits, now: start).token
        #expect(try workspace.session(token: other, limits: limits, now: start.addingTimeInterval(1000)) != nil)
        #expect(try workspace.session(token: other, limits: limits, now: start.addingTimeInterval(2799)) != nil)
        #expect(try workspace.session(token: other, limits: limits, now: start.addingTimeInterval(2799 + 1800)) == nil)
        // A use that would move the expiry by less than the renewal step writes nothing.
        let third = try workspace.openSession(reviewerID: ana.id!, limits: limits, now: start)
        _ = try workspace.session(token: third.token, limits: limits, now: start.addingTimeInterval(30))
        let stored = try workspace.database.read { try ReviewSession.fetchOne($0, key: third.session.tokenHash) }
        #expect(stored?.expiresAt == third.session.expiresAt)
    }

    @Test func progressPerRoundAndCategoryAndReviewerActivity() throws {
        let folder = try TemporaryFolder()
        let workspace = try ReviewTests.workspaceWithPairs(3, in: folder)
        let counting = try workspace.addPrompt(images: [], body: .plain("How many?"), category: "counting")
        let a = try workspace.addCandidate(promptID: counting.id!, body: .plain("2"))
        let b = try workspace.addCandidate(promptID: counting.id!, body: .plain("3"))
        try workspace.addPair(a.id!, b.id!, reason: .coverage)
        let ids = try (0..<2).map { try workspace.addReviewer(name: "r\($0)").reviewer.id! }
        for (reviewer, seconds) in [(ids[0], 2.0), (ids[1], 6.0)] {
            for step in 0..<2 {
                let assignment = try #require(try workspace.assignPair(to: reviewer, overlap: 2, hold: 300, now: start))
                try workspace.recordVerdict(step == 0 ? .left : .skip, onPair: assignment.pairId, by: reviewer,
                                            now: start.addingTimeInterval(seconds * Double(step + 1)))
            }
        }
        let progress = try workspace.reviewProgress(overlap: 2)
        #expect(progress.map(\.category) == ["counting", nil])
        #expect(progress[0] == ReviewProgress(round: nil, category: "counting", pairs: 1, complete: 0, started: 0, verdicts: 0, skips: 0))
        // Pair 1: two verdicts (complete); pair 2: two skips.
        #expect(progress[1] == ReviewProgress(round: nil, category: nil, pairs: 3, complete: 1, started: 0, verdicts: 2, skips: 2))
        let activity = try workspace.reviewerActivity(since: start.addingTimeInterval(3))
        let r1 = try #require(activity.first { $0.reviewerId == ids[1] })
        #expect(r1.comparisons == 2 && r1.skips == 1 && r1.recent == 2 && r1.medianTimeMs == 9000 && r1.totalTimeMs == 18000)
        #expect(r1.perHour == 400)
        let r0 = try #require(activity.first { $0.reviewerId == ids[0] })
        #expect(r0.recent == 1 && r0.medianTimeMs == 3000 && r0.lastComparisonAt != nil)
    }

    @Test func unreviewedImportRecordsNoVerdicts() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (file, _) = try Fixtures.writeTRLFile(count: 3, in: folder)
        let report = try workspace.importPairs(from: file, reviewer: nil)
        #expect(report.pairsAdded == 3 && report.verdictsAdded == 0)
        #expect(try workspace.rowCounts()["comparison"] == 0)
        let ana = try workspace.addReviewer(name: "ana").reviewer.id!
        #expect(try workspace.progress(of: ana, overlap: 1) == ReviewerProgress(done: 0, remaining: 3))
    }
}
