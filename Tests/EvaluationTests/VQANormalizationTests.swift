import Evaluation
import Foundation
import JSON
import Testing

/// The VQA convention's answer normalisation and VQA exact match against the reference
/// implementation (mmpretrain's vqa.py, run by tools/fixtures/vqa_normalization_fixtures.py).
@Suite(.timeLimit(.minutes(10))) struct VQANormalizationTests {
    static let fixture = try? Fixture.json("vqa_normalization.json")
    static let cases: [JSONValue] = fixture?["cases"]?.arrayValue ?? []
    static let shares: [JSONValue] = fixture?["shares"]?.arrayValue ?? []

    @Test func fixtureHasTheTrickyCases() {
        let answers = Self.cases.compactMap { $0["answer"]?.stringValue }
        #expect(answers.count >= 40)
        for needed in ["", "two dogs", "The cat.", "3,000", "1.5", "dont", "isnt it?", "a/b", "ten", "yes!", "ΟΔΟΣ", "cafe\u{301}"] {
            #expect(answers.contains { $0.unicodeScalars.elementsEqual(needed.unicodeScalars) }, "fixture lacks \(needed.debugDescription)")
        }
        #expect(Self.shares.count >= 4)
    }

    @Test(arguments: cases)
    func normalizedAsTheReference(_ c: JSONValue) {
        let answer = c["answer"]!.stringValue!, expected = c["normalized"]!.stringValue!
        let got = ExactMatch.vqaNormalized(answer)
        // code points, not Swift's canonical equivalence: Python's strings compare that way
        #expect(got.unicodeScalars.elementsEqual(expected.unicodeScalars),
                "\(answer.debugDescription) → \(got.debugDescription), reference \(expected.debugDescription)")
    }

    @Test(arguments: shares)
    func shareAsTheReference(_ c: JSONValue) {
        let h = c["hypotheses"]!.strings, r = c["references"]!.strings
        #expect(ExactMatch.vqaShare(hypotheses: h, references: r) == c["share"]!.number, "\(h) vs \(r)")
    }

    @Test func handMadeShares() {
        #expect(ExactMatch.vqaShare(hypotheses: [], references: []) == 0)
        #expect(ExactMatch.vqaShare(hypotheses: ["Two dogs.", "no"], references: ["2 dogs", "yes"]) == 0.5)
        #expect(ExactMatch.vqaMatches(hypothesis: "The cat.", reference: "cat"))
        // strip + lower-case exact match stays strict
        #expect(!ExactMatch.matches(hypothesis: "The cat.", reference: "cat"))
        // composed and decomposed é differ, as in Python
        #expect(!ExactMatch.vqaMatches(hypothesis: "café", reference: "cafe\u{301}"))
        // U+037E (Greek question mark) is canonically ";" but is not the reference's ";"
        #expect(ExactMatch.vqaNormalized("a\u{37E}b").unicodeScalars.elementsEqual("a\u{37E}b".unicodeScalars))
    }
}
