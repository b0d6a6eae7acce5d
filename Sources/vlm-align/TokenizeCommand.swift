import ArgumentParser
import Foundation
import JSON
import Tokenization

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of texts, one JSON string per input line (no special tokens added).",
        discussion: """
            Reads standard input line by line; each line must be one JSON string, so a text may hold \
            newlines ("a\\nb"). Prints, for each line, the JSON array of its ids under the model \
            folder's tokenizer.json.
            """
    )

    @Option(help: "Model folder holding tokenizer.json.")
    var model: String

    @Flag(help: "Machine-readable output; the output is JSON arrays either way.")
    var json = false

    func run() throws {
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: model))
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            let text: String
            do {
                guard case .string(let s) = try JSONValue(parsing: line) else {
                    throw TokenizeInputError(line: lineNumber, problem: "expected a JSON string, got \(Self.kind(of: line))")
                }
                text = s
            } catch let error as JSONError {
                throw TokenizeInputError(line: lineNumber, problem: "not a JSON string: \(error.message)")
            }
            let ids = try tokenizer.encode(text, addSpecialTokens: false)
            print("[" + ids.map(String.init).joined(separator: ",") + "]")
        }
    }

    private static func kind(of line: String) -> String {
        switch try? JSONValue(parsing: line) {
        case .array?: return "an array"
        case .object?: return "an object"
        case .int?, .double?: return "a number"
        case .bool?: return "a boolean"
        default: return "null"
        }
    }
}

struct TokenizeInputError: Error, CustomStringConvertible {
    let line: Int
    let problem: String
    var description: String { "standard input line \(line): \(problem)" }
}
