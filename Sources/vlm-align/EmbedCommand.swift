import ArgumentParser
import Evaluation
import Foundation
import Interchange
import JSON

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print all-MiniLM-L6-v2 sentence embeddings of texts, one JSON string per input line.",
        discussion: """
            Reads standard input; each non-blank line must be one JSON string (so a text may hold \
            newlines: "a\\nb"). Prints, for each, the JSON array of its 384 numbers: mean-pooled, \
            L2-normalised last-layer states, as sentence-transformers computes them.
            """
    )

    @Option(help: "all-MiniLM-L6-v2's model folder (default: $VLM_ALIGN_MINILM, then .build-minilm).")
    var minilm: String?

    func run() throws {
        var texts: [String] = []
        var number = 0
        while let line = readLine(strippingNewline: true) {
            number += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            let value: JSONValue
            do { value = try JSONValue(parsing: line) } catch {
                throw InputError(file: "<stdin>", line: number, "not valid JSON: \(error)")
            }
            guard let text = value.stringValue else {
                throw InputError(file: "<stdin>", line: number, "\(value.typeName) where a JSON string is expected")
            }
            texts.append(text)
        }
        let encoder = try SentenceEncoder(locating: minilm)
        for embedding in try encoder.embed(texts) {
            print("[" + embedding.map { "\($0)" }.joined(separator: ",") + "]")
        }
    }
}
