import Foundation
import JSON

/// Every text metric of a set of (hypothesis, reference) pairs, as `vlm-align eval text`
/// reports them: corpus BLEU and chrF (sacrebleu's, 0–100), mean ROUGE-L F-measure, exact match
/// share, mean token F1, and mean BERTScore precision, recall and F1 (all-MiniLM-L6-v2's last
/// layer, no IDF unless asked, no rescaling), all 0–1 but BLEU and chrF.
public struct TextMetrics: Equatable, Sendable {
    public var bleu: Double
    public var chrf: Double
    public var rougeL: Double
    public var exactMatch: Double
    public var tokenF1: Double
    public var bertscorePrecision: Double
    public var bertscoreRecall: Double
    public var bertscoreF1: Double
    public var pairs: Int

    /// Every metric; BERTScore through `encoder`.
    public static func compute(_ pairs: TextPairs, encoder: SentenceEncoder, idf: Bool = false) throws -> TextMetrics {
        let (h, r) = (pairs.hypotheses, pairs.references)
        let bert = try BERTScore.scores(hypotheses: h, references: r, encoder: encoder, idf: idf)
        let n = Double(max(pairs.count, 1))
        return TextMetrics(
            bleu: CorpusBLEU.score(hypotheses: h, references: r), chrf: CorpusChrF.score(hypotheses: h, references: r),
            rougeL: RougeL.meanF(hypotheses: h, references: r), exactMatch: ExactMatch.share(hypotheses: h, references: r),
            tokenF1: TokenF1.mean(hypotheses: h, references: r),
            bertscorePrecision: bert.reduce(0) { $0 + $1.precision } / n, bertscoreRecall: bert.reduce(0) { $0 + $1.recall } / n,
            bertscoreF1: bert.reduce(0) { $0 + $1.f1 } / n, pairs: pairs.count)
    }

    /// The JSON object of `eval text --json`, with exactly these keys in this order.
    public var json: JSONValue {
        .object([("bleu", .double(bleu)), ("chrf", .double(chrf)), ("rouge_l", .double(rougeL)), ("exact_match", .double(exactMatch)),
                 ("token_f1", .double(tokenF1)), ("bertscore_precision", .double(bertscorePrecision)),
                 ("bertscore_recall", .double(bertscoreRecall)), ("bertscore_f1", .double(bertscoreF1)), ("pairs", .int(pairs))])
    }

    /// A table for people.
    public var table: String {
        let rows: [(String, String)] = [
            ("BLEU (sacrebleu, 0-100)", String(format: "%.2f", bleu)), ("chrF (sacrebleu, 0-100)", String(format: "%.2f", chrf)),
            ("ROUGE-L F (mean)", String(format: "%.4f", rougeL)), ("exact match", String(format: "%.4f", exactMatch)),
            ("token F1 (SQuAD, mean)", String(format: "%.4f", tokenF1)),
            ("BERTScore precision", String(format: "%.4f", bertscorePrecision)), ("BERTScore recall", String(format: "%.4f", bertscoreRecall)),
            ("BERTScore F1", String(format: "%.4f", bertscoreF1)), ("pairs", "\(pairs)"),
        ]
        let width = rows.map(\.0.count).max()!
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}
