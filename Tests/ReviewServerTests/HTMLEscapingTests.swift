import Foundation
import Interchange
import Preferences
@testable import ReviewServer
import Testing

/// Prompts, answers, categories and reviewer names are data, not markup: the server's pages
/// show them escaped, and the JSON API hands them over as they are (the review page's script
/// sets them as text).
@Suite(.timeLimit(.minutes(10))) struct HTMLEscapingTests {
    // each hostile text and, written out by hand, what the page must show instead
    static let prompt = (#"Is <script>alert("prompt")</script> here & 'there'?"#,
                         "Is &lt;script&gt;alert(&quot;prompt&quot;)&lt;/script&gt; here &amp; &#39;there&#39;?")
    static let answerA = (#"<img src=x onerror="alert(1)">"#, "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;")
    static let answerB = ("Tom & Jerry's </li></ol><b>bold</b>", "Tom &amp; Jerry&#39;s &lt;/li&gt;&lt;/ol&gt;&lt;b&gt;bold&lt;/b&gt;")
    static let category = ("<i>colour</i>", "&lt;i&gt;colour&lt;/i&gt;")
    static let reviewer = (#"<svg onload='x'> & "co""#, "&lt;svg onload=&#39;x&#39;&gt; &amp; &quot;co&quot;")

    @Test func pagesEscapeWhatReviewersAndDataSay() async throws {
        try await TestServer.with(pairs: 0, reviewers: ["bo", Self.reviewer.0]) { server in
            let prompt = try server.workspace.addPrompt(images: [onePixelPNG], body: .plain(Self.prompt.0), category: Self.category.0)
            let a = try server.workspace.addCandidate(promptID: prompt.id!, body: .plain(Self.answerA.0))
            let b = try server.workspace.addCandidate(promptID: prompt.id!, body: .plain(Self.answerB.0))
            let pair = try server.workspace.addPair(a.id!, b.id!, reason: .coverage)

            // a verdict from each reviewer that cannot agree, so the pair is listed as a conflict
            for (name, verdict) in [("bo", "tie"), (Self.reviewer.0, "both-bad")] {
                let client = server.bearer(name)
                let shown = try #require(try await client.post("/api/pairs/next").decode(NextPairReply.self).pair)
                #expect(shown.pairId == pair.id && shown.prompt == Self.prompt.0 && shown.category == Self.category.0)
                #expect(Set([shown.left, shown.right]) == [Self.answerA.0, Self.answerB.0], "the API gives the text as it is")
                #expect(try await client.post("/api/verdicts", json: VerdictBody(pairId: shown.pairId, verdict: verdict)).status == 200)
            }

            let dashboard = try await server.client(signedInAs: "root").get("/admin")
            #expect(dashboard.status == 200)
            let review = try await server.client(signedInAs: Self.reviewer.0).get("/review")
            #expect(review.status == 200)
            for (page, texts) in [(dashboard.text, [Self.prompt, Self.answerA, Self.answerB, Self.category, Self.reviewer]),
                                  (review.text, [Self.reviewer])] {
                for (raw, shown) in texts {
                    #expect(!page.contains(raw), "the page holds \(raw) unescaped")
                    #expect(page.contains(shown), "the page lacks \(shown)")
                }
            }
            // no markup of the data made it into the page: its only scripts are the app's own
            #expect(dashboard.text.components(separatedBy: "<script").count == 2)
            #expect(!dashboard.text.contains("<img") && !dashboard.text.contains("<svg") && !dashboard.text.contains("<i>"))
        }
    }
}
