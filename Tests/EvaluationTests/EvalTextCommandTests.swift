import Evaluation
import Foundation
import JSON
import Testing
import TestSupport

/// `vlm-align eval text` and `vlm-align embed` as a user runs them.
@Suite(.timeLimit(.minutes(10))) struct EvalTextCommandTests {
    static func write(_ lines: [String], _ name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func quoted(_ texts: [String]) -> [String] { texts.map { JSONValue.string($0).serialized(indent: 0) } }

    @Test func printsExactlyTheKeysWithTheReferenceValues() throws {
        let folder = try CLI.temporaryDirectory()
        let c = try #require(Fixture.json("text_metrics.json")["cases"]?.arrayValue?.first { $0["name"]?.stringValue == "answers" })
        let h = try Self.write(Self.quoted(c["hypotheses"]!.strings), "h.jsonl", in: folder)
        let r = try Self.write(Self.quoted(c["references"]!.strings), "r.jsonl", in: folder)
        let result = try CLI.run(["eval", "text", "--hypotheses", h.path, "--references", r.path, "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let json = try JSONValue(parsing: result.output)
        let keys = json.objectValue?.map(\.0)
        #expect(keys == ["bleu", "chrf", "rouge_l", "exact_match", "token_f1", "bertscore_precision", "bertscore_recall", "bertscore_f1", "pairs"])
        #expect(abs(json["bleu"]!.number - c["bleu"]!.number) < 0.01 && abs(json["chrf"]!.number - c["chrf"]!.number) < 0.01)
        #expect(abs(json["rouge_l"]!.number - c["rouge_l"]!.number) < 1e-9 && abs(json["token_f1"]!.number - c["token_f1"]!.number) < 1e-9)
        #expect(json["exact_match"]!.number == c["exact_match"]!.number && json["pairs"]!.intValue == c["hypotheses"]!.strings.count)
        for key in ["bertscore_precision", "bertscore_recall", "bertscore_f1"] { #expect((0.5...1).contains(json[key]!.number)) }
        let table = try CLI.run(["eval", "text", "--hypotheses", h.path, "--references", r.path])
        #expect(table.status == 0 && table.output.contains("BLEU") && table.output.contains("BERTScore F1"))
    }

    @Test func badInputNamesTheFileAndLine() throws {
        let folder = try CLI.temporaryDirectory()
        let good = try Self.write(Self.quoted(["a", "b", "c"]), "good.jsonl", in: folder)
        let short = try Self.write(Self.quoted(["a", "b"]), "short.jsonl", in: folder)
        let broken = try Self.write(["\"a\"", "{\"text\": ", "\"c\""], "broken.jsonl", in: folder)
        let notString = try Self.write(["\"a\"", "\"b\"", "[1, 2]"], "array.jsonl", in: folder)
        let missing = folder.appendingPathComponent("missing.jsonl")
        let cases: [(URL, URL, String)] = [
            (missing, good, "\(missing.path): no such file"),
            (good, broken, "\(broken.path):2: not valid JSON"),
            (notString, good, "\(notString.path):3: an array where a JSON string is expected"),
            (good, short, "\(good.path):3:"),
        ]
        for (h, r, message) in cases {
            let result = try CLI.run(["eval", "text", "--hypotheses", h.path, "--references", r.path, "--json"])
            #expect(result.status != 0 && result.errors.contains(message), "\(message) not in: \(result.errors)")
        }
    }

    @Test func embedPrintsOneUnitVectorPerLine() throws {
        let process = try CLI.process(["embed"])
        let input = Pipe(), output = Pipe(), errors = Pipe()
        (process.standardInput, process.standardOutput, process.standardError) = (input, output, errors)
        try process.run()
        input.fileHandleForWriting.write(Data("\"a red square\"\n\n\"two\\nlines\"\n".utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        let expected = try MiniLM.load().embed(["a red square"])[0]
        let first = try JSONValue(parsing: String(lines[0])).numbers
        #expect(first.count == 384 && zip(first, expected).allSatisfy { abs($0 - Double($1)) < 1e-6 })
        #expect(abs(first.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
    }
}
