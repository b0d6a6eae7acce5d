import Foundation
import Interchange
import Testing
@testable import Preferences

@Suite(.timeLimit(.minutes(10))) struct ReviewVocabularyTests {
    @Test func theStandardVocabularyIsTheOraclesTagsWithAccuracyAndGrounding() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let vocabulary = try workspace.reviewVocabulary()
        #expect(vocabulary == .standard && vocabulary.problems.isEmpty)
        #expect(vocabulary.rubric.map(\.id) == ["accuracy", "grounding"])
        #expect(vocabulary.reasonTags.map(\.id) == ReasonTag.allCases.map(\.rawValue))
        #expect(try workspace.reviewGuidelines() == nil)
    }

    @Test func aFileSetsTheRubricAndTagsAndKeepsWhatItLeavesOut() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let file = try folder.write(#"{"rubric": [{"id": "fluency", "label": "Fluency"}]}"#, to: "rubric.json")
        try workspace.setReviewVocabulary(from: file)
        #expect(try workspace.reviewVocabulary().rubric.map(\.id) == ["fluency"])
        #expect(try workspace.reviewVocabulary().reasonTags == ReviewVocabulary.standard.reasonTags)

        let tags = try folder.write(#"{"reasonTags": [{"id": "unsafe", "label": "Unsafe advice", "key": "x", "guidelines": "g-safety"}]}"#, to: "tags.json")
        try workspace.setReviewVocabulary(from: tags)
        let vocabulary = try workspace.reviewVocabulary()
        #expect(vocabulary.rubric == ReviewVocabulary.standard.rubric)
        #expect(vocabulary.reasonTags.map(\.id) == ["unsafe"] && vocabulary.reasonTags[0].guidelines == "g-safety")
    }

    @Test func aBadFileIsRefusedNamingEveryProblemAndChangesNothing() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let bad = try folder.write(#"""
            {"rubric": [{"id": "Accuracy!", "label": "A"}, {"id": "x", "label": " "}],
             "reasonTags": [{"id": "a", "label": "A", "key": "t"}, {"id": "b", "label": "B", "key": "xy"},
                            {"id": "c", "label": "C", "key": "q"}, {"id": "c", "label": "D", "key": "q"}]}
            """#, to: "bad.json")
        #expect(throws: StoreError.badInput(file: bad.path, line: nil, problem: [
            "every rubric dimension and reason tag needs a label", "key \"q\" is given to two reason tags",
            "reason tag \"a\": key \"t\" is the review page's own (1 2 ? b s t u v z)",
            "reason tag \"b\": key \"xy\" is not one lowercase letter or digit", "reason tag ID \"c\" is given twice",
            "rubric dimension ID \"Accuracy!\" is not 1–40 lowercase letters, digits or _",
        ].joined(separator: "; "))) { try workspace.setReviewVocabulary(from: bad) }

        let wrongShape = try folder.write(#"{"rubric": [{"label": "Accuracy"}]}"#, to: "shape.json")
        #expect(throws: StoreError.badInput(file: wrongShape.path, line: nil, problem: "not a rubric and reason tags file: at .rubric[0]: \"id\" is missing")) {
            try workspace.setReviewVocabulary(from: wrongShape)
        }
        let missing = folder.appending("missing.json")
        #expect(throws: StoreError.self) { try workspace.setReviewVocabulary(from: missing) }
        #expect(try workspace.reviewVocabulary() == .standard)
    }

    @Test func guidelinesAreStoredAsGiven() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let text = "# Guidelines\n\nPrefer the answer that is **true**.\n"
        try workspace.setReviewGuidelines(from: try folder.write(text, to: "guide.md"))
        #expect(try workspace.reviewGuidelines() == text)
        let binary = folder.appending("binary.md")
        try Data([0xFF, 0xFE, 0x00]).write(to: binary)
        #expect(throws: StoreError.badInput(file: binary.path, line: nil, problem: "not UTF-8 text")) { try workspace.setReviewGuidelines(from: binary) }
        #expect(try workspace.reviewGuidelines() == text)
    }
}
