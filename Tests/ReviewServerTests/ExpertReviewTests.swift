import Foundation
import Imaging
import Interchange
import Preferences
import Testing
@testable import ReviewServer

/// What experts and their leads do beyond the verdict: boxes, comments, the workspace's own rubric
/// and tags, guidelines, gold pairs and adjudication.
@Suite(.timeLimit(.minutes(10))) struct ExpertReviewTests {
    struct Body: Encodable {
        var pairId: Int64
        var verdict: String
        var reason: String? = nil
        var comment: String? = nil
        var reasonTags: [String]? = nil
        var rubric: [String: [String: Int]]? = nil
    }

    struct BoxesReply: Decodable {
        struct Pair: Decodable {
            var imageSizes: [ImageSize]
            var left: String
            var boxes: [String: [AnswerBox]]
        }

        var pair: Pair
    }

    @Test func aGroundingAnswersBoxesComeWithThePairInTheImagesPixels() async throws {
        try await TestServer.with(pairs: 0) { server in
            let prompt = try server.workspace.addPrompt(images: [onePixelPNG], body: .plain("Where is it?"))
            let a = try server.workspace.addCandidate(promptID: prompt.id!, body: .plain("[0, 0, 1, 1]"))
            let b = try server.workspace.addCandidate(promptID: prompt.id!, body: .plain("<|box_start|>(0,0),(2000,500)<|box_end|>"))
            try server.workspace.addPair(a.id!, b.id!, reason: .coverage)
            let reply = try await server.client(signedInAs: "ana").post("/api/pairs/next").decode(BoxesReply.self)
            #expect(reply.pair.imageSizes.map { [$0.width, $0.height] } == [[1, 1]])
            let (mine, theirs) = reply.pair.left == "[0, 0, 1, 1]" ? ("left", "right") : ("right", "left")
            #expect(reply.pair.boxes[mine] == [AnswerBox(x1: 0, y1: 0, x2: 1, y2: 1, clipped: false, text: "[0, 0, 1, 1]")])
            #expect(reply.pair.boxes[theirs]?.map { [$0.x2, $0.y2] } == [[1, 0.5]] && reply.pair.boxes[theirs]?[0].clipped == true)
        }
    }

    @Test func aCommentIsStoredAndShownToAdminsOnly() async throws {
        try await TestServer.with(pairs: 2) { server in
            let ana = try await server.client(signedInAs: "ana"), bo = try await server.client(signedInAs: "bo")
            let pair = try #require(try await ana.post("/api/pairs/next").decode(NextPairReply.self).pair)
            #expect(try await bo.post("/api/pairs/next").decode(NextPairReply.self).pair?.pairId == pair.pairId)
            let long = try await ana.post("/api/verdicts", json: Body(pairId: pair.pairId, verdict: "left", comment: String(repeating: "x", count: 2001)))
            #expect(long.status == 400 && long.errorMessage == "a comment is at most 2000 characters, not 2001")
            #expect(try await ana.post("/api/verdicts", json: Body(pairId: pair.pairId, verdict: "left", comment: "  A <b>counts</b> right ")).status == 200)
            #expect(try await bo.post("/api/verdicts", json: Body(pairId: pair.pairId, verdict: "tie", comment: " ")).status == 200)
            let stored = try server.workspace.comparisons(ofPair: pair.pairId)
            #expect(stored.map(\.comment) == ["A <b>counts</b> right", nil])
            // The same verdict with another comment replaces it.
            let changed = try await ana.post("/api/verdicts", json: Body(pairId: pair.pairId, verdict: "left", comment: "A counts right"))
            #expect(try changed.decode(VerdictReply.self).outcome == "replaced")

            let root = try await server.client(signedInAs: "root")
            let dashboard = try #require(try JSONSerialization.jsonObject(with: try await root.get("/api/admin/dashboard").body) as? [String: Any])
            let comments = try #require(dashboard["comments"] as? [[String: Any]])
            #expect(dashboard["commentCount"] as? Int == 1 && comments.first?["comment"] as? String == "A counts right")
            let votes = try #require(((dashboard["conflicts"] as? [[String: Any]])?.first?["votes"]) as? [[String: Any]])
            #expect(votes.compactMap { $0["comment"] as? String } == ["A counts right"])
            let page = try await root.get("/admin")
            #expect(page.text.contains("<q class=\"comment\">A counts right</q>"))
            #expect(try await ana.get("/api/admin/dashboard").status == 403)
        }
    }

    @Test func theWorkspacesRubricTagsAndGuidelinesAreWhatThePageShowsAndTheAPITakes() async throws {
        try await TestServer.with(pairs: 1) { server in
            let folder = try TemporaryFolder()
            let vocabulary = folder.url.appending(path: "vocabulary.json")
            try Data(#"{"rubric": [{"id": "fluency", "label": "Fluency"}], "reasonTags": [{"id": "unsafe", "label": "Unsafe advice", "key": "x"}]}"#.utf8)
                .write(to: vocabulary)
            try server.workspace.setReviewVocabulary(from: vocabulary)
            let guide = folder.url.appending(path: "guide.md")
            try Data("# Unsafe advice\n\nAdvice that could hurt <someone>.\n".utf8).write(to: guide)
            try server.workspace.setReviewGuidelines(from: guide)

            let ana = try await server.client(signedInAs: "ana")
            let page = try await ana.get("/review")
            #expect(page.text.contains(#"data-tag="unsafe" data-key="x""#) && !page.text.contains(#"data-tag="wrong_count""#))
            #expect(page.text.contains(#"data-guidelines="g-unsafe-advice""#) && page.text.contains(#"<h3 id="g-unsafe-advice">Unsafe advice</h3>"#))
            #expect(page.text.contains("Advice that could hurt &lt;someone&gt;."))
            #expect(page.text.contains(#"data-criterion="fluency""#) && !page.text.contains(#"data-criterion="accuracy""#))

            let pair = try #require(try await ana.post("/api/pairs/next").decode(NextPairReply.self).pair)
            let oldTag = try await ana.post("/api/verdicts", json: Body(pairId: pair.pairId, verdict: "left", reasonTags: ["wrong_count"]))
            #expect(oldTag.status == 400 && oldTag.errorMessage == "unknown reason tag \"wrong_count\"; this workspace's are unsafe")
            let oldCriterion = try await ana.post("/api/verdicts", json: Body(pairId: pair.pairId, verdict: "left", rubric: ["left": ["accuracy": 3]]))
            #expect(oldCriterion.status == 400 && oldCriterion.errorMessage == "\"accuracy\" is not a rubric dimension here; they are fluency")
            let good = try await ana.post("/api/verdicts", json: Body(pairId: pair.pairId, verdict: "left", reasonTags: ["unsafe"],
                                                                       rubric: ["right": ["fluency": 2]]))
            #expect(good.status == 200)
            let stored = try #require(try server.workspace.comparisons(ofPair: pair.pairId).first)
            #expect(stored.reasonTags == ["unsafe"] && stored.rubric?.values.map { $0 } == [2])
        }
    }

    @Test func adminsAdjudicateAndMarkGoldAndTheDashboardShowsBoth() async throws {
        try await TestServer.with(pairs: 3, overlap: 2, configure: { $0.goldRate = 0 }) { server in
            let ana = try await server.client(signedInAs: "ana"), bo = try await server.client(signedInAs: "bo")
            for (client, verdict) in [(ana, "left"), (bo, "tie")] {
                let pair = try #require(try await client.post("/api/pairs/next").decode(NextPairReply.self).pair)
                #expect(pair.pairId == 1)
                #expect(try await client.post("/api/verdicts", json: Body(pairId: 1, verdict: verdict)).status == 200)
            }
            let root = try await server.client(signedInAs: "root")
            #expect(try await ana.post("/api/admin/adjudications", json: Body(pairId: 1, verdict: "a", reason: "A")).status == 403)
            let skip = try await root.post("/api/admin/adjudications", json: Body(pairId: 1, verdict: "skip", reason: "no"))
            #expect(skip.status == 400 && skip.errorMessage == "the verdict is a, b, tie or both-bad here, not skip")
            let noReason = try await root.post("/api/admin/adjudications", json: Body(pairId: 1, verdict: "b", reason: " "))
            #expect(noReason.status == 409 && noReason.errorMessage == "an adjudication needs a reason")
            #expect(try await root.post("/api/admin/adjudications", json: Body(pairId: 9, verdict: "b", reason: "x")).status == 404)
            let decided = try await root.post("/api/admin/adjudications", json: Body(pairId: 1, verdict: "b", reason: "B is the right count"))
            #expect(decided.status == 201)
            #expect(try server.workspace.adjudications().map(\.verdict) == [.b])

            let gold = try await root.post("/api/admin/gold", json: Body(pairId: 3, verdict: "a"))
            struct GoldReply: Decodable, Equatable { var pairId: Int64; var verdict: String }
            #expect(gold.status == 200)
            #expect(try gold.decode(GoldReply.self) == GoldReply(pairId: 3, verdict: "a"))
            #expect(try await bo.post("/api/admin/gold", json: Body(pairId: 2, verdict: "a")).status == 403)
            try server.workspace.recordComparison(NewComparison(pairID: 3, reviewerID: try server.workspace.reviewer(named: "bo").id!, verdict: .b))

            let dashboard = try #require(try JSONSerialization.jsonObject(with: try await root.get("/api/admin/dashboard").body) as? [String: Any])
            #expect(dashboard["goldPairs"] as? Int == 1)
            let conflict = try #require((dashboard["conflicts"] as? [[String: Any]])?.first)
            let adjudication = try #require(conflict["adjudication"] as? [String: Any])
            #expect(adjudication["verdict"] as? String == "b" && adjudication["adjudicator"] as? String == "root"
                    && adjudication["reason"] as? String == "B is the right count")
            let reviewers = try #require(dashboard["reviewers"] as? [[String: Any]])
            let boGold = try #require(reviewers.first { $0["name"] as? String == "bo" }?["gold"] as? [String: Any])
            #expect(boGold["answered"] as? Int == 1 && boGold["correct"] as? Int == 0 && boGold["accuracy"] as? Double == 0)
            #expect(reviewers.first { $0["name"] as? String == "ana" }?["gold"] == nil)
            let page = try await root.get("/admin")
            #expect(page.text.contains(#"<p class="decided" data-pair="1"><b>2 better</b> by root: B is the right count</p>"#))
            #expect(page.text.contains(#"<span class="gold" data-reviewer="bo">0% (0%–79%) · 0 of 1</span>"#))

            let freeze = try await root.post("/api/admin/datasets", json: ["policy": "majority"])
            #expect(freeze.status == 201)
            let version = try #require(try server.workspace.datasetVersions().last)
            #expect(version.adjudicatedCount == 1 && version.goldCount == 1 && version.pairCount == 2)
            let badRule = try await root.post("/api/admin/datasets", json: ["minGoldAccuracy": 2])
            #expect(badRule.status == 400 && badRule.errorMessage == "minGoldAccuracy is a fraction from 0 to 1, not 2.0")
        }
    }

    @Test func aLargeImageIsServedShrunkToFitAndCachedByContentID() async throws {
        try await TestServer.with(pairs: 0) { server in
            var picture = RGBImage(width: 400, height: 200, fill: (255, 255, 255))
            for y in 0..<200 { for x in 0..<200 { picture[x, y] = (0, 0, 255) } }
            let prompt = try server.workspace.addPrompt(images: [try picture.pngData()], body: .plain("Large"))
            let id = try server.workspace.images(ofPrompt: prompt.id!)[0].sha256
            let ana = try await server.client(signedInAs: "ana")
            let scaled = try await ana.get("/api/images/\(id)?fit=128")
            #expect(scaled.status == 200 && scaled.header("Content-Type") == "image/png")
            let small = try RGBImage(decoding: scaled.body, source: "reply")
            #expect(small.width == 128 && small.height == 64 && small[10, 10] == (0, 0, 255) && small[120, 50] == (255, 255, 255))
            let cached = server.workspace.root.appending(path: "cache/images/\(id)-128.png")
            #expect(try Data(contentsOf: cached) == scaled.body)
            #expect(try await ana.get("/api/images/\(id)?fit=128").body == scaled.body)
            // No larger than asked: the stored bytes.
            #expect(try await ana.get("/api/images/\(id)?fit=512").body == (try picture.pngData()))
            #expect(try await ana.get("/api/images/\(id)").body == (try picture.pngData()))
            let bad = try await ana.get("/api/images/\(id)?fit=big")
            #expect(bad.status == 400 && bad.errorMessage == "fit is one of 64, 128, 256, 512, 1024, 2048, 4096 pixels, not \"big\"")
            // neither too small nor between the sizes: each new size would be one more cached copy
            for fit in [10, 100, 8192] { #expect(try await ana.get("/api/images/\(id)?fit=\(fit)").status == 400) }
            #expect(try await Client(base: server.base).get("/api/images/\(id)?fit=128").status == 401)
        }
    }

    /// What needs a decision comes first: conflicts the policy leaves unresolved, then resolved
    /// ones, adjudicated ones last.
    @Test func conflictsNeedingADecisionComeFirst() async throws {
        try await TestServer.with(pairs: 3, reviewers: ["ana", "bo", "cy"]) { server in
            let workspace = server.workspace
            let (ana, bo, cy) = (try workspace.reviewer(named: "ana").id!, try workspace.reviewer(named: "bo").id!, try workspace.reviewer(named: "cy").id!)
            for (pair, reviewer, verdict) in [(1, ana, Verdict.a), (1, bo, .a), (1, cy, .b), (2, ana, .a), (2, bo, .b), (3, ana, .a), (3, bo, .tie)] {
                try workspace.recordComparison(NewComparison(pairID: Int64(pair), reviewerID: reviewer, verdict: verdict))
            }
            try workspace.adjudicate(pairID: 3, verdict: .tie, reason: "both fine", by: try workspace.reviewer(named: "root").id!)
            let root = try await server.client(signedInAs: "root")
            let dashboard = try await root.get("/api/admin/dashboard").decode(DashboardReply.self)
            #expect(dashboard.conflicts.map(\.pairId) == [2, 1, 3] && dashboard.conflictCount == 3)
        }
    }
}
