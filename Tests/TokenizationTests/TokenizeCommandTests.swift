import Foundation
import JSON
import TestSupport
import Testing

/// `vlm-align tokenize` prints, for each JSON string on standard input, the ids the `tokenizers`
/// crate gave for that text (Fixtures/tokenizer_cases.json), for each kind of tokenizer the
/// fixtures hold as a folder; a line that is not a JSON string is refused by number.
@Suite(.timeLimit(.minutes(10))) struct TokenizeCommandTests {
    /// The fixture suites that are a tokenizer folder as it is, without overrides.
    static var folders: [String] {
        (TokenizerFixtureTests.cases["suites"]?.arrayValue ?? [])
            .filter { $0["overrides"]?.objectValue?.isEmpty == true }
            .compactMap { $0["tokenizer"]?.stringValue }
    }

    @Test func everyKindOfTokenizerHasAFolderSuite() {
        #expect(Set(Self.folders) == ["bpe", "bpe-metaspace", "bpe-subword", "wordpiece", "wordlevel"])
    }

    @Test(arguments: folders)
    func tokenizePrintsTheIdsTokenizersGave(folder: String) throws {
        let suite = try #require((TokenizerFixtureTests.cases["suites"]?.arrayValue ?? []).first {
            $0["tokenizer"]?.stringValue == folder && $0["overrides"]?.objectValue?.isEmpty == true
        })
        let cases = suite["cases"]?.arrayValue ?? []
        let input = cases.map { JSONValue.string($0["text"]?.stringValue ?? "").serialized(indent: 0) + "\n" }.joined()
        let result = try CLI.run(["tokenize", "--model", Fixtures.url(folder).path], input: input)
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == cases.count)
        for (line, c) in zip(lines, cases) {
            let ids = try JSONValue(parsing: String(line)).ints
            let diff = difference(ids, c["ids"]?.ints ?? [])
            #expect(diff.isEmpty, "\(folder) \(quoted(c["text"]?.stringValue ?? "")): \(diff)")
        }
    }

    @Test func aLineThatIsNotAJSONStringIsRefusedByNumber() throws {
        let folder = Fixtures.url("bpe").path
        for (input, problem) in [("\"a\"\nhello\n", "standard input line 2: not a JSON string: "),
                                 ("\"a\"\n\"b\"\n[1, 2]\n", "standard input line 3: expected a JSON string, got an array")] {
            let result = try CLI.run(["tokenize", "--model", folder], input: input)
            #expect(result.status != 0 && result.errors.contains(problem), "\(problem) not in: \(result.errors)")
        }
        let missing = try CLI.run(["tokenize", "--model", "/nonexistent"], input: "\"a\"\n")
        #expect(missing.status != 0 && missing.errors.contains("/nonexistent/tokenizer.json"), "\(missing.errors)")
    }
}
