import Evaluation
import Foundation
import JSON
import Testing

/// BERTScore against bert-score 0.3.13 (all-MiniLM-L6-v2, 6 layers, no rescaling), with and
/// without IDF (tools/fixtures/minilm_fixtures.py).
@Suite(.timeLimit(.minutes(10))) struct BERTScoreTests {
    static let fixture = try? Fixture.json("minilm.json")

    @Test(arguments: [false, true])
    func scoresEqualBertScores(idf: Bool) throws {
        let encoder = try MiniLM.load()
        let f = try #require(Self.fixture?["bertscore"])
        let expected = f[idf ? "idf" : "plain"]!
        let got = try BERTScore.scores(hypotheses: f["candidates"]!.strings, references: f["references"]!.strings, encoder: encoder, idf: idf)
        for (i, s) in got.enumerated() {
            for (name, value) in [("precision", s.precision), ("recall", s.recall), ("f1", s.f1)] {
                let reference = expected[name]!.numbers[i]
                #expect(abs(value - reference) < 1e-4, "pair \(i) \(name): \(value) vs bert-score \(reference)")
            }
        }
    }

    /// 150 answer pairs in bert-score's batches of 64: where a batch pads a text, its tokens'
    /// maxima take in the padding's zero similarities.
    @Test func batchedScoresEqualBertScores() throws {
        let encoder = try MiniLM.load()
        let f = try #require(Self.fixture?["bertscore_batches"])
        let got = try BERTScore.scores(hypotheses: f["candidates"]!.strings, references: f["references"]!.strings, encoder: encoder)
        #expect(got.count == 150)
        var worst = 0.0
        for (i, s) in got.enumerated() {
            for (name, value) in [("precision", s.precision), ("recall", s.recall), ("f1", s.f1)] {
                let reference = f[name]!.numbers[i]
                worst = max(worst, abs(value - reference))
                #expect(abs(value - reference) < 1e-4, "pair \(i) \(name): \(value) vs bert-score \(reference)")
            }
        }
        #expect(worst < 1e-4)
        // the unpadded definition differs on these pairs: the emulation is what makes them equal
        let unpadded = try BERTScore.scores(hypotheses: f["candidates"]!.strings, references: f["references"]!.strings,
                                            encoder: encoder, batchSize: nil)
        #expect(zip(unpadded, f["precision"]!.numbers).contains { abs($0.precision - $1) > 1e-3 })
    }

    @Test func identicalTextsScoreOne() throws {
        let s = try BERTScore.scores(hypotheses: ["two blue squares"], references: ["two blue squares"], encoder: MiniLM.load())[0]
        #expect(abs(s.f1 - 1) < 1e-5 && abs(s.precision - 1) < 1e-5)
    }
}
