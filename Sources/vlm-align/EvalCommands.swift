import ArgumentParser
import Evaluation
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model against its reference (alignment and task metrics), or answers against references (text).",
        subcommands: [EvalModel.self, EvalText.self],
        defaultSubcommand: EvalModel.self
    )
}

struct EvalText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Text metrics of hypotheses against references: BLEU, chrF, ROUGE-L, exact match, token F1, BERTScore.",
        discussion: """
            Each file holds one JSON string per line; line i of each is a pair. BLEU and chrF are \
            sacrebleu's corpus scores (0-100); ROUGE-L (rouge-score, no stemming), exact match, \
            token F1 and BERTScore (all-MiniLM-L6-v2, last layer, no rescaling) are means over \
            pairs (0-1). docs/evaluation.md defines each.
            """
    )

    @Option(help: "JSONL file of hypotheses (one JSON string per line).")
    var hypotheses: String

    @Option(help: "JSONL file of references (one JSON string per line).")
    var references: String

    @Flag(help: "BERTScore with IDF weights from the references.")
    var idf = false

    @Option(help: "all-MiniLM-L6-v2's model folder (default: $VLM_ALIGN_MINILM, then .build-minilm).")
    var minilm: String?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() throws {
        let pairs = try TextPairs(hypotheses: URL(fileURLWithPath: hypotheses), references: URL(fileURLWithPath: references))
        let metrics = try TextMetrics.compute(pairs, encoder: try SentenceEncoder(locating: minilm), idf: idf)
        print(json ? metrics.json.serialized(indent: 0) : metrics.table)
    }
}
