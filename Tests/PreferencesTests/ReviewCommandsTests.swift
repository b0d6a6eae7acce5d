import Foundation
@testable import Preferences
import Interchange
import TestSupport
import Testing

/// `review guidelines`, `review vocabulary`, `import pairs --gold` and `dataset freeze` with a gold rule, through the built `vlm-align`.
@Suite(.timeLimit(.minutes(10))) struct ReviewCommandsTests {
    @Test func guidelinesAndVocabulary() throws {
        let folder = try CLITests.inputs()
        let ws = folder.appending("ws")
        try CLITests.succeeds(["init", ws.path])
        #expect(try CLITests.succeeds(["review", "guidelines", "show"], in: ws).contains("no guidelines"))
        _ = try folder.write("# Wrong count\n\nCount them all.\n", to: "guide.md")
        try CLITests.succeeds(["review", "guidelines", "set", "../guide.md"], in: ws)
        #expect(try CLITests.succeeds(["review", "guidelines", "show"], in: ws) == "# Wrong count\n\nCount them all.\n\n")

        let standard = try CLITests.succeeds(["review", "vocabulary", "show"], in: ws)
        #expect(try JSONDecoder().decode(ReviewVocabulary.self, from: Data(standard.utf8)) == .standard)
        _ = try folder.write(#"{"rubric": [{"id": "fluency", "label": "Fluency"}]}"#, to: "rubric.json")
        #expect(try CLITests.succeeds(["review", "vocabulary", "set", "../rubric.json"], in: ws).hasPrefix("rubric: fluency\nreason tags: hallucinated_object (h), "))
        _ = try folder.write(#"{"reasonTags": [{"id": "x", "label": "X", "key": "u"}]}"#, to: "bad.json")
        let error = try CLITests.fails(["review", "vocabulary", "set", "../bad.json"], in: ws)
        #expect(error.contains("bad.json: reason tag \"x\": key \"u\" is the review page's own"))
        #expect(try Workspace.open(at: ws).reviewVocabulary().rubric.map(\.id) == ["fluency"])
    }

    @Test func goldImportAndAFreezeWithAGoldRule() throws {
        let folder = try CLITests.inputs()
        let ws = folder.appending("ws")
        try CLITests.succeeds(["init", ws.path])
        #expect(try CLITests.fails(["import", "pairs", "../more.jsonl", "--gold", "--reviewer", "ana"], in: ws)
            .contains("--gold records no verdicts; leave out --reviewer"))
        #expect(try CLITests.succeeds(["import", "pairs", "../more.jsonl", "--gold"], in: ws).contains("3 gold verdicts"))
        try CLITests.succeeds(["import", "pairs", "../pairs.jsonl"], in: ws)
        #expect(try CLITests.fails(["dataset", "freeze", "--min-gold-accuracy", "1.5"], in: ws).contains("--min-gold-accuracy is a fraction from 0 to 1"))
        #expect(try CLITests.fails(["dataset", "freeze", "--min-gold-accuracy", "0.5", "--below-gold", "halve"], in: ws).contains("halve"))
        let frozen = try CLITests.succeeds(["dataset", "freeze", "--min-gold-accuracy", "0.5", "--below-gold", "down-weight"], in: ws)
        #expect(frozen.contains("8 pairs (8 train, 0 held-out)") && frozen.contains("decided by an admin's adjudication: 0; by their gold verdict: 3"))
        #expect(frozen.hasSuffix("reviewers below 0.5 gold accuracy, down-weighted: 0\n"))
        #expect(try CLITests.succeeds(["reviewers", "agreement"], in: ws).hasSuffix("accuracy on gold pairs (95% Wilson interval):\nno verdicts on gold pairs\n"))
        let workspace = try Workspace.open(at: ws)
        let gold = try #require(try workspace.goldPairs().first)
        try workspace.recordComparison(NewComparison(pairID: gold.pairId, reviewerID: try workspace.reviewer(named: Reviewer.importedName).id!,
                                                     verdict: gold.verdict))
        let agreement = try CLITests.succeeds(["reviewers", "agreement"], in: ws).split(separator: "\n")
        let row = try #require(agreement.last).split(separator: " ", omittingEmptySubsequences: true)
        #expect(row == ["imported", "1", "1", "1.000", "0.207–1.000"])
        let show = try CLITests.succeeds(["dataset", "show", "1"], in: ws)
        #expect(show.contains("gold rule: at least 0.5 gold accuracy; 0 reviewers below it down-weighted") && show.contains("  gold  "))
    }
}
