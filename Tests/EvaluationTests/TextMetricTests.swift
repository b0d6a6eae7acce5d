import Evaluation
import Foundation
import JSON
import Testing

/// BLEU, chrF, ROUGE-L, exact match and token F1 against sacrebleu, rouge-score and the
/// fixture script's own implementation of the definitions (tools/fixtures/text_metric_fixtures.py).
@Suite(.timeLimit(.minutes(10))) struct TextMetricTests {
    static let cases: [JSONValue] = (try? Fixture.json("text_metrics.json")["cases"]?.arrayValue) ?? []

    @Test func fixtureHasTheCorpora() {
        let names = Self.cases.compactMap { $0["name"]?.stringValue }
        #expect(names.contains("unicode") && names.contains("single") && names.contains("all_empty_hypotheses"))
    }

    @Test(arguments: cases)
    func corpusScoresEqualSacrebleus(_ c: JSONValue) {
        let h = c["hypotheses"]!.strings, r = c["references"]!.strings
        let bleu = CorpusBLEU.score(hypotheses: h, references: r), chrf = CorpusChrF.score(hypotheses: h, references: r)
        #expect(abs(bleu - c["bleu"]!.number) < 0.01, "\(c["name"]!): BLEU \(bleu) vs sacrebleu \(c["bleu"]!.number)")
        #expect(abs(chrf - c["chrf"]!.number) < 0.01, "\(c["name"]!): chrF \(chrf) vs sacrebleu \(c["chrf"]!.number)")
    }

    @Test(arguments: cases)
    func rougeLEqualsRougeScores(_ c: JSONValue) {
        let h = c["hypotheses"]!.strings, r = c["references"]!.strings
        for (i, expected) in c["rouge_l_per_pair"]!.numbers.enumerated() {
            let got = RougeL.score(hypothesis: h[i], reference: r[i]).fmeasure
            #expect(abs(got - expected) < 1e-12, "\(c["name"]!)[\(i)]: \(got) vs rouge-score \(expected)")
        }
        #expect(abs(RougeL.meanF(hypotheses: h, references: r) - c["rouge_l"]!.number) < 1e-12)
    }

    @Test(arguments: cases)
    func exactMatchAndTokenF1EqualTheDefinitions(_ c: JSONValue) {
        let h = c["hypotheses"]!.strings, r = c["references"]!.strings
        #expect(abs(ExactMatch.share(hypotheses: h, references: r) - c["exact_match"]!.number) < 1e-12)
        #expect(abs(TokenF1.mean(hypotheses: h, references: r) - c["token_f1"]!.number) < 1e-12, "\(c["name"]!)")
    }

    @Test func tokenizer13aSplitsAsMteval() {
        #expect(Tokenizer13a.tokenize("Hello, world. It's 1,000.5 dollars (3-4)!") ==
                ["Hello", ",", "world", ".", "It's", "1,000.5", "dollars", "(", "3", "-", "4", ")", "!"])
        #expect(Tokenizer13a.tokenize("a &amp; b &lt;c&gt;") == ["a", "&", "b", "<", "c", ">"])
    }

    @Test func handMadeScores() {
        #expect(CorpusBLEU.score(hypotheses: ["the cat sat on the mat"], references: ["the cat sat on the mat"]) > 99.999)
        #expect(CorpusBLEU.score(hypotheses: ["x"], references: ["y"]) == 0)
        #expect(RougeL.tokens("Café, NAÏVE 42!") == ["caf", "na", "ve", "42"])
        #expect(TokenF1.tokens("The cat's hat, a_b!") == ["cats", "hat", "ab"])
        #expect(TokenF1.score(hypothesis: "", reference: "") == 1)
        #expect(TokenF1.score(hypothesis: "the", reference: "cat") == 0)
        #expect(ExactMatch.matches(hypothesis: "  Two Circles\n", reference: "two circles"))
        #expect(!ExactMatch.matches(hypothesis: "No.", reference: "no"))
    }
}
