import Foundation
import Interchange
import Preferences
import Testing
@testable import ReviewServer

/// What a reviewer does through the API: blind pairs, verdicts about what was shown, undo, and
/// what the admin sees.
@Suite(.timeLimit(.minutes(10))) struct ReviewFlowTests {
    @Test func aPairShowsPromptImagesAndAnswersButNotWhereTheyCameFrom() async throws {
        try await TestServer.with(pairs: 1) { server in
            let ana = try await server.client(signedInAs: "ana")
            let reply = try await ana.post("/api/pairs/next")
            let object = try #require(try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])
            let pair = try #require(object["pair"] as? [String: Any])
            #expect(Set(pair.keys) == ["pairId", "prompt", "category", "images", "imageSizes", "left", "right", "boxes"])
            let shown = try #require(try reply.decode(NextPairReply.self).pair)
            #expect(shown.prompt == "Question 0?" && shown.category == "counting")
            #expect(shown.images == [try server.workspace.images(ofPrompt: 1)[0].sha256])
            #expect(Set([shown.left, shown.right]) == ["first answer 0", "second answer 0"])
        }
    }

    @Test func theReviewPageHasEveryControl() async throws {
        try await TestServer.with(pairs: 1) { server in
            let page = try await server.client(signedInAs: "ana").get("/review")
            #expect(page.status == 200 && page.header("Content-Type") == "text/html; charset=utf-8")
            for tag in ReasonTag.allCases { #expect(page.text.contains(#"data-tag="\#(tag.rawValue)""#), "\(tag)") }
            for side in ["left", "right"] {
                for criterion in ["accuracy", "grounding"] {
                    let row = #"data-side="\#(side)" data-criterion="\#(criterion)">"#
                    #expect(page.text.contains(row), "\(side) \(criterion)")
                }
            }
            #expect(page.text.components(separatedBy: "data-score=").count - 1 == 20)
            for verdict in ShownVerdict.allCases { #expect(page.text.contains(#"data-verdict="\#(verdict.rawValue)""#)) }
            // A reviewer's page links to no dashboard.
            #expect(!page.text.contains(#"href="/admin""#))
        }
    }

    @Test func verdictsAreStoredAboutTheCandidatesWithTagsScoresAndTime() async throws {
        try await TestServer.with(pairs: 2) { server in
            let ana = try await server.client(signedInAs: "ana")
            let shown = try #require(try await ana.post("/api/pairs/next").decode(NextPairReply.self).pair)
            let body = VerdictBody(pairId: shown.pairId, verdict: "right", reasonTags: ["wrong_count", "hallucinated_object", "wrong_count"],
                                   rubric: .init(left: .init(accuracy: 2), right: .init(accuracy: 5, grounding: 4)))
            let reply = try await ana.post("/api/verdicts", json: body)
            #expect(reply.status == 200)
            #expect(try reply.decode(VerdictReply.self).outcome == "added")
            // The same submission again (a retry) counts once.
            #expect(try await ana.post("/api/verdicts", json: body).decode(VerdictReply.self).outcome == "unchanged")

            let stored = try #require(try server.workspace.comparisons(ofPair: shown.pairId).only)
            let pair = try server.workspace.pair(shown.pairId)
            let rightSide: Side = shown.right == "first answer 0" ? .a : .b
            #expect(stored.verdict == rightSide.verdict && stored.leftShown == rightSide.other && pair.candidateA < pair.candidateB)
            #expect(stored.reasonTags == ["hallucinated_object", "wrong_count"])
            #expect(stored.rubric == ["\(rightSide.other.rawValue).accuracy": 2, "\(rightSide.rawValue).accuracy": 5, "\(rightSide.rawValue).grounding": 4])
            #expect(stored.timeSpentMs.map { $0 >= 0 && $0 < 60_000 } == true)
        }
    }

    /// Every reason tag toggles with a key of its own, none of the page's other keys (verdicts:
    /// 1, 2, T, B, S; undo: U); and the API takes every tag, the newest included.
    @Test func everyReasonTagHasItsOwnKeyAndIsAccepted() async throws {
        let keys = ReasonTag.allCases.map(\.key)
        #expect(Set(keys).count == keys.count)
        #expect(Set(keys).isDisjoint(with: ["1", "2", "t", "b", "s", "u"]))
        #expect(ReasonTag.needlessRefusal.rawValue == "needless_refusal" && ReasonTag.needlessRefusal.key == "r")
        try await TestServer.with(pairs: 1) { server in
            let ana = try await server.client(signedInAs: "ana")
            let page = try await ana.get("/review")
            #expect(page.text.contains(#"data-tag="needless_refusal" data-key="r""#))
            let shown = try #require(try await ana.post("/api/pairs/next").decode(NextPairReply.self).pair)
            let tags = ReasonTag.allCases.reversed().map(\.rawValue)
            let reply = try await ana.post("/api/verdicts", json: VerdictBody(pairId: shown.pairId, verdict: "both-bad", reasonTags: tags))
            #expect(reply.status == 200)
            #expect(try server.workspace.comparisons(ofPair: shown.pairId).only?.reasonTags == ReasonTag.allCases.map(\.rawValue))
        }
    }

    @Test func badVerdictsAreRefusedWithTheReason() async throws {
        try await TestServer.with(pairs: 2) { server in
            let ana = try await server.client(signedInAs: "ana")
            let shown = try #require(try await ana.post("/api/pairs/next").decode(NextPairReply.self).pair)
            let unknownTag = try await ana.post("/api/verdicts", json: VerdictBody(pairId: shown.pairId, verdict: "left", reasonTags: ["rude"]))
            #expect(unknownTag.status == 400)
            let badScore = try await ana.post("/api/verdicts", json: VerdictBody(pairId: shown.pairId, verdict: "left", rubric: .init(left: .init(accuracy: 6))))
            #expect(badScore.status == 400 && badScore.errorMessage == "accuracy is scored 1 to 5, not 6")
            #expect(try await ana.post("/api/verdicts", json: VerdictBody(pairId: shown.pairId, verdict: "a")).status == 400)
            let notHanded = try await ana.post("/api/verdicts", json: VerdictBody(pairId: 2, verdict: "left"))
            #expect(notHanded.status == 409 && notHanded.errorMessage == "pair 2 was not handed out to reviewer \"ana\"; ask for the next pair first")
            #expect(try server.workspace.comparisons(ofPair: shown.pairId).isEmpty && server.workspace.comparisons(ofPair: 2).isEmpty)
        }
    }

    @Test func undoBringsTheLastPairBackAsItWasShown() async throws {
        try await TestServer.with(pairs: 3) { server in
            let ana = try await server.client(signedInAs: "ana")
            #expect(try await ana.post("/api/verdicts/undo").status == 404)
            let first = try #require(try await ana.post("/api/pairs/next").decode(NextPairReply.self).pair)
            _ = try await ana.post("/api/verdicts", json: VerdictBody(pairId: first.pairId, verdict: "left"))
            let second = try #require(try await ana.post("/api/pairs/next").decode(NextPairReply.self).pair)
            let tied = try await ana.post("/api/verdicts", json: VerdictBody(pairId: second.pairId, verdict: "tie"))
            let progress = try tied.decode(VerdictReply.self).progress
            #expect(progress.done == 2 && progress.remaining == 1)

            let undo = try await ana.post("/api/verdicts/undo")
            #expect(undo.status == 200)
            #expect(try undo.decode(UndoReply.self).pairId == second.pairId && undo.decode(UndoReply.self).verdict == .tie)
            #expect(try server.workspace.comparisons(ofPair: second.pairId).isEmpty)
            let back = try await ana.post("/api/pairs/next").decode(NextPairReply.self)
            #expect(back.pair == second && back.progress.done == 1 && back.progress.remaining == 2)
            _ = try await ana.post("/api/verdicts", json: VerdictBody(pairId: second.pairId, verdict: "left"))
            let redone = try #require(try server.workspace.comparisons(ofPair: second.pairId).only)
            #expect(redone.verdict == redone.leftShown?.verdict)
            // Undo again withdraws that verdict; the first pair's stays.
            #expect(try await ana.post("/api/verdicts/undo").decode(UndoReply.self).pairId == second.pairId)
            #expect(try server.workspace.comparisons(ofPair: first.pairId).count == 1)
        }
    }

    @Test func eachPairGoesToOverlapReviewersAndNobodySeesAPairTwice() async throws {
        try await TestServer.with(pairs: 2, reviewers: ["ana", "bo", "cy"], overlap: 2) { server in
            var seen: [String: [Int64]] = [:]
            for name in ["ana", "bo", "cy"] {
                let client = try await server.client(signedInAs: name)
                while let pair = try await client.post("/api/pairs/next").decode(NextPairReply.self).pair {
                    seen[name, default: []].append(pair.pairId)
                    _ = try await client.post("/api/verdicts", json: VerdictBody(pairId: pair.pairId, verdict: "both-bad"))
                }
            }
            #expect(seen["ana"] == [1, 2] && seen["bo"] == [1, 2] && seen["cy"] == nil)
        }
        try await TestServer.with(pairs: 1, reviewers: ["ana", "bo"], overlap: 1) { server in
            let ana = try await server.client(signedInAs: "ana"), bo = try await server.client(signedInAs: "bo")
            let held = try #require(try await ana.post("/api/pairs/next").decode(NextPairReply.self).pair)
            // Ana holds the only slot, so Bo gets nothing until she skips.
            #expect(try await bo.post("/api/pairs/next").decode(NextPairReply.self).pair == nil)
            _ = try await ana.post("/api/verdicts", json: VerdictBody(pairId: held.pairId, verdict: "skip"))
            #expect(try await bo.post("/api/pairs/next").decode(NextPairReply.self).pair?.pairId == held.pairId)
            #expect(try await ana.post("/api/pairs/next").decode(NextPairReply.self).pair == nil)
        }
    }

    @Test func theDashboardReportsProgressAgreementAndFreezes() async throws {
        try await TestServer.with(pairs: 4, overlap: 2) { server in
            // Verdicts about the answers themselves (the one whose text sorts first, or the other),
            // whatever side each was shown on: by pair id modulo 4 the two reviewers agree on one
            // pair each way, conflict on one and call one a tie, so the freeze has pairs to keep.
            let plans = [("ana", ["first", "first", "tie", "second"]), ("bo", ["first", "second", "tie", "second"])]
            for (name, plan) in plans {
                let client = server.bearer(name)
                for _ in 0..<4 {
                    let pair = try #require(try await client.post("/api/pairs/next").decode(NextPairReply.self).pair)
                    let wanted = plan[Int(pair.pairId % 4)]
                    let firstIsLeft = pair.left <= pair.right
                    let verdict = wanted == "tie" ? "tie" : ((wanted == "first") == firstIsLeft ? "left" : "right")
                    _ = try await client.post("/api/verdicts", json: VerdictBody(pairId: pair.pairId, verdict: verdict))
                }
            }
            let root = try await server.client(signedInAs: "root")
            let reply = try await root.get("/api/admin/dashboard")
            #expect(reply.status == 200)
            let dashboard = try reply.decode(DashboardReply.self)
            #expect(dashboard.totals == .init(pairs: 4, complete: 4, verdicts: 8))
            #expect(dashboard.progress.map(\.category) == ["colour", "counting"])
            #expect(dashboard.kappas.map(\.reviewers) == [["ana", "bo"]] && dashboard.kappas.map(\.sharedPairs) == [4])
            #expect(dashboard.alpha != nil)
            #expect(dashboard.reviewers.first { $0.name == "ana" }?.comparisons == 4)
            // The conflicts from the plans alone: pairs where the two planned different verdicts,
            // each vote about candidate A ("first answer …", added first) or B.
            let verdictOf = ["first": "a", "second": "b", "tie": "tie"]
            let expected = (Int64(1)...4).compactMap { pair -> (Int64, [DashboardReply.Conflict.Vote])? in
                let votes = plans.map { DashboardReply.Conflict.Vote(reviewer: $0.0, verdict: verdictOf[$0.1[Int(pair % 4)]]!) }
                return Set(votes.map(\.verdict)).count > 1 ? (pair, votes) : nil
            }
            #expect(expected.count == 1, "the plans hold one conflict")
            #expect(dashboard.conflictCount == expected.count)
            #expect(dashboard.conflicts.map(\.pairId) == expected.map { $0.0 })
            #expect(dashboard.conflicts.map(\.votes) == expected.map { $0.1 })

            let page = try await root.get("/admin").text
            #expect(page.contains("Progress by round and category") && page.contains("<td>ana · bo</td><td>4</td>"))
            #expect(page.contains(#"<h2 id="conflicts-title">Conflicts <span class="count">\#(expected.count)</span></h2>"#))

            let frozen = try await root.post("/api/admin/datasets", json: ["policy": "majority"])
            #expect(frozen.status == 201)
            #expect(try await root.post("/api/admin/datasets", json: ["policy": "majority"]).status == 200)
            #expect(try server.workspace.datasetVersions().count == 1)
        }
    }
}

extension Collection {
    /// The one element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
