import Foundation
import Interchange
import Preferences
@testable import ReviewServer
import Testing

/// A reviewer may change their own verdict on a pair, even once the pair has all its reviewers:
/// the latest verdict counts, the first submission time stays.
@Suite(.timeLimit(.minutes(10))) struct VerdictChangeTests {
    @Test func theLatestVerdictCountsAndTheFirstTimeStays() async throws {
        try await TestServer.with(pairs: 1, reviewers: ["ana", "bo", "cy"], overlap: 2) { server in
            let ana = try await server.client(signedInAs: "ana"), bo = try await server.client(signedInAs: "bo")
            for (client, verdict) in [(ana, "left"), (bo, "right")] {
                let pair = try #require(try await client.post("/api/pairs/next").decode(NextPairReply.self).pair)
                #expect(try await client.post("/api/verdicts", json: VerdictBody(pairId: pair.pairId, verdict: verdict)).status == 200)
            }
            let anaID = try server.workspace.reviewer(named: "ana").id!
            let before = try #require(try server.workspace.comparisons(ofPair: 1).first { $0.reviewerId == anaID })
            try await Task.sleep(for: .milliseconds(20))

            let changed = try await ana.post("/api/verdicts", json: VerdictBody(pairId: 1, verdict: "tie", reasonTags: ["other"]))
            #expect(changed.status == 200)
            let reply = try changed.decode(VerdictReply.self)
            #expect(reply.outcome == "replaced" && reply.progress.done == 1)
            let after = try server.workspace.comparisons(ofPair: 1)
            #expect(after.count == 2)
            let mine = try #require(after.first { $0.reviewerId == anaID })
            #expect(mine.id == before.id && mine.verdict == .tie && mine.reasonTags == ["other"])
            #expect(mine.createdAt == before.createdAt && mine.leftShown == before.leftShown && mine.timeSpentMs == before.timeSpentMs)
            // The pair stays complete: a third reviewer gets nothing.
            let cy = try await server.client(signedInAs: "cy")
            #expect(try await cy.post("/api/pairs/next").decode(NextPairReply.self).pair == nil)
        }
    }
}
