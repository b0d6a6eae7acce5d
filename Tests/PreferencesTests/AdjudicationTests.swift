import Foundation
import Interchange
import Testing
@testable import Preferences

@Suite(.timeLimit(.minutes(10))) struct AdjudicationTests {
    /// Pair 5 (a b: unresolved) decided B, pair 1 (a a: A) decided a tie: the version takes both,
    /// says which entries an admin decided, and agreement is still the reviewers' own.
    @Test func anAdjudicationWinsInFreezeAndIsRecordedWhileAgreementKeepsTheReviewersVerdicts() throws {
        let folder = try TemporaryFolder()
        let (workspace, _) = try DatasetTests.reviewedWorkspace(in: folder)
        let lead = try workspace.addReviewer(name: "lead", role: .admin).reviewer.id!
        let before = try workspace.agreement(policy: .majority)
        try workspace.adjudicate(pairID: 5, verdict: .a, reason: "first thoughts", by: lead)
        try workspace.adjudicate(pairID: 5, verdict: .b, reason: "  B counts the hidden square ", by: lead)
        try workspace.adjudicate(pairID: 1, verdict: .tie, reason: "both are right", by: lead)
        #expect(try workspace.adjudications().map { [$0.pairId: "\($0.verdict.rawValue) \($0.reason)"] }
            == [[1: "tie both are right"], [5: "b B counts the hidden square"]])

        let (version, isNew) = try workspace.freezeDataset(policy: .majority)
        #expect(isNew && version.adjudicatedCount == 2 && version.goldCount == 0)
        #expect(version.pairCount == 3 && version.tieCount == 2 && version.bothBadCount == 1 && version.unresolvedCount == 0)
        let entries = try workspace.entries(ofDataset: version.id!)
        #expect(entries.map(\.pairId) == [2, 5, 7] && entries.map(\.chosen) == [.b, .b, .a])
        #expect(entries.map(\.source) == [.reviewers, .adjudication, .reviewers])

        let after = try workspace.agreement(policy: .majority)
        #expect(after.alpha == before.alpha && after.kappas.map(\.kappa) == before.kappas.map(\.kappa))
        #expect(after.conflicts.map(\.pairID) == [5] && after.conflicts[0].resolved == nil)
    }

    /// Deciding a pair as its reviewers did changes no verdict, but the version says an admin
    /// decided it: a new version, with another hash.
    @Test func confirmingTheReviewersVerdictStillMakesAVersionThatSaysSo() throws {
        let folder = try TemporaryFolder()
        let (workspace, _) = try DatasetTests.reviewedWorkspace(in: folder)
        let lead = try workspace.addReviewer(name: "lead", role: .admin).reviewer.id!
        let first = try workspace.freezeDataset(policy: .majority).version
        try workspace.adjudicate(pairID: 1, verdict: .a, reason: "A is right", by: lead)
        let (second, isNew) = try workspace.freezeDataset(policy: .majority)
        #expect(isNew && second.contentHash != first.contentHash && second.adjudicatedCount == 1 && first.adjudicatedCount == 0)
        #expect(try workspace.entries(ofDataset: second.id!).map(\.chosen) == workspace.entries(ofDataset: first.id!).map(\.chosen))
        #expect(try workspace.diffDatasets(first, second).flipped.isEmpty)
    }

    @Test func anAdjudicationNeedsAnAdminAReasonAVerdictAndAPair() throws {
        let folder = try TemporaryFolder()
        let (workspace, r) = try DatasetTests.reviewedWorkspace(in: folder)
        let lead = try workspace.addReviewer(name: "lead", role: .admin).reviewer.id!
        #expect(throws: StoreError.refused("an adjudication needs a reason")) {
            try workspace.adjudicate(pairID: 1, verdict: .a, reason: " \n", by: lead)
        }
        #expect(throws: StoreError.refused("an adjudication decides the pair: a, b, tie or both-bad, not skip")) {
            try workspace.adjudicate(pairID: 1, verdict: .skip, reason: "no", by: lead)
        }
        #expect(throws: StoreError.refused("only admins adjudicate; \"r0\" is a reviewer")) {
            try workspace.adjudicate(pairID: 1, verdict: .a, reason: "mine", by: r[0])
        }
        #expect(throws: StoreError.notFound(kind: "pair", id: "99")) {
            try workspace.adjudicate(pairID: 99, verdict: .a, reason: "no such pair", by: lead)
        }
        #expect(try workspace.adjudications().isEmpty)
    }

    /// The export says how each row was judged: every verdict with its comment, about chosen and
    /// rejected, and the adjudication.
    @Test func theExportCarriesVerdictsCommentsAndAdjudications() throws {
        let folder = try TemporaryFolder()
        let (workspace, r) = try DatasetTests.reviewedWorkspace(in: folder)
        let lead = try workspace.addReviewer(name: "lead", role: .admin).reviewer.id!
        try workspace.recordComparison(NewComparison(pairID: 5, reviewerID: r[2], verdict: .tie, reasonTags: ["other"], comment: "Both miss the square."))
        try workspace.adjudicate(pairID: 5, verdict: .b, reason: "B counts the hidden square", by: lead)
        let version = try workspace.freezeDataset(policy: .majority).version
        let out = folder.appending("export")
        try workspace.exportDataset(version, to: out)
        let lines = try String(contentsOf: out.appending(path: "reviews.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)  // pairs 1, 2, 5 (train) and 7 (held-out)
        #expect(lines[2] == #"{"adjudication":{"adjudicator":"lead","reason":"B counts the hidden square","verdict":"chosen"},"line":3,"pairId":5,"#
                + #""source":"adjudication","split":"train","verdicts":[{"reasonTags":[],"reviewer":"r0","verdict":"rejected"},"#
                + #"{"reasonTags":[],"reviewer":"r1","verdict":"chosen"},{"comment":"Both miss the square.","reasonTags":["other"],"reviewer":"r2","verdict":"tie"}]}"#)
        #expect(lines[3].contains(#""line":1,"pairId":7,"source":"reviewers","split":"held-out""#))
    }
}
