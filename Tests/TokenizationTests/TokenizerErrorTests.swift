import Foundation
import JSON
import Testing
import Tokenization

/// Bad or unsupported tokenizer files, texts and ids give errors that name the file and the problem.
@Suite(.timeLimit(.minutes(10))) struct TokenizerErrorTests {
    static func write(_ text: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-error-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try text.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        return dir
    }

    /// The message of the error loading `text` as a model folder's tokenizer.json.
    static func loadError(_ text: String) throws -> (message: String, path: String) {
        let dir = try write(text)
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try Tokenizer(directory: dir)
        } catch let error as TokenizerError {
            return (error.message, dir.appendingPathComponent("tokenizer.json").path)
        }
        return ("", "")
    }

    static let wordLevel = #"{"model": {"type": "WordLevel", "vocab": {"a": 0, "b": 1}, "unk_token": "[UNK]"}"#

    @Test func corruptJSONNamesTheFileAndThePosition() throws {
        let (message, path) = try Self.loadError("{\n  \"model\": {\"type\": \"BPE\",\n  \"vocab\": {\"a\": 0,}\n}")
        #expect(message.hasPrefix(path + ": invalid JSON at line 3, column 20: expected a string key"), "\(message)")
        let truncated = try Self.loadError(#"{"model": {"type": "BPE", "vocab": {"a"#)
        #expect(truncated.message.contains("invalid JSON") && truncated.message.contains(truncated.path), "\(truncated.message)")
    }

    @Test func missingFileIsNamed() {
        let dir = URL(fileURLWithPath: "/nonexistent/model")
        #expect(throws: TokenizerError("/nonexistent/model/tokenizer.json: no such file")) { try Tokenizer(directory: dir) }
    }

    static let unsupported: [(json: String, mentions: String)] = [
        (#"{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}"#, #"unsupported model type "Unigram" at 'model'"#),
        (#"{"model": {"type": "WordLevel", "vocab": {}}, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "UnicodeScripts"}]}}"#,
         #"unsupported pre-tokenizer type "UnicodeScripts" at 'pre_tokenizer.pretokenizers[1]'"#),
        (#"{"model": {"type": "WordLevel", "vocab": {}}, "normalizer": {"type": "Precompiled", "precompiled_charsmap": ""}}"#,
         #"unsupported normalizer type "Precompiled" at 'normalizer'"#),
        (#"{"model": {"type": "WordLevel", "vocab": {}}, "decoder": {"type": "CTC"}}"#, #"unsupported decoder type "CTC" at 'decoder'"#),
        (#"{"model": {"type": "WordLevel", "vocab": {}}, "post_processor": {"type": "Fancy"}}"#, #"unsupported post-processor type "Fancy""#),
        (#"{"model": {"type": "WordLevel", "vocab": {}}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(?<=a)b"}, "behavior": "Isolated", "invert": false}}"#,
         "unsupported regex construct look-behind"),
        (#"{"model": {"type": "WordLevel", "vocab": {}}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\p{Greek}"}, "behavior": "Isolated", "invert": false}}"#,
         #"unsupported regex construct Unicode property \p{Greek}"#),
        (#"{"model": {"type": "WordLevel", "vocab": {}}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated", "invert": false}}"#,
         "missing ')'"),
        (#"{"model": {"type": "WordLevel", "vocab": {}}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways", "invert": false}}"#,
         #"unknown split behavior "Sideways""#),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}"#, #"the merged token "ab" is not in the vocabulary"#),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a  b c"]}}"#, "is not two tokens separated by one space"),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0}}}"#, "'model' has no 'merges'"),
        (#"{"model": {"type": "WordPiece", "vocab": {"a": "zero"}}}"#, "'model.vocab.a' is a string, expected an integer"),
        (#"{"version": "2.0", "model": {"type": "WordLevel", "vocab": {}}}"#, #"unknown tokenizer.json version "2.0""#),
        (#"[1, 2]"#, "the top level is an array, not an object"),
        (#"{"added_tokens": [{"id": 0, "content": 5}], "model": {"type": "WordLevel", "vocab": {}}}"#, "'added_tokens[0].content' is a number"),
    ]

    @Test(arguments: 0..<unsupported.count)
    func unsupportedOrMalformedPartsAreNamed(index: Int) throws {
        let (json, mention) = Self.unsupported[index]
        let (message, path) = try Self.loadError(json)
        #expect(message.hasPrefix(path + ": "), "\(message)")
        #expect(message.contains(mention), "\(message)")
    }

    @Test func unknownWordWithoutAnUnknownTokenIsAnError() throws {
        let tokenizer = try Tokenizer(json: try JSONValue(parsing: #"{"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "[UNK]"}, "pre_tokenizer": {"type": "WhitespaceSplit"}}"#))
        #expect(try tokenizer.encode("a a", addSpecialTokens: false) == [0, 0])
        #expect(throws: TokenizerError.self) { try tokenizer.encode("a b", addSpecialTokens: false) }
    }

    /// tokenizer.json is input: a split pattern that backtracks exponentially, or repeats a
    /// group deeper than the stack allows, ends in an error naming it, not a hang or a crash.
    @Test func hostileSplitPatternsAreErrors() throws {
        func tokenizer(_ pattern: String) throws -> Tokenizer {
            let json = #"{"model": {"type": "WordLevel", "vocab": {"a": 0, "b": 1, "ab": 2}, "unk_token": "a"}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\#(pattern)"}, "behavior": "Isolated", "invert": false}}"#
            return try Tokenizer(json: try JSONValue(parsing: json))
        }
        let exponential = try tokenizer("(a|a)*c")
        #expect(try exponential.encode("aaab", addSpecialTokens: false) == [0], "a small text still encodes (no match: one unknown word)")
        #expect {
            _ = try exponential.encode(String(repeating: "a", count: 40), addSpecialTokens: false)
        } throws: { error in
            "\(error)".contains("the pattern \"(a|a)*c\" takes more than") && "\(error)".contains("on a text of 40 characters")
        }
        let deep = try tokenizer("(?:ab)+")
        #expect(try deep.encode("ab b", addSpecialTokens: false) == [2, 0], "a small text still encodes")
        #expect {
            _ = try deep.encode(String(repeating: "ab", count: 100_000), addSpecialTokens: false)
        } throws: { error in "\(error)".contains("nests more than 2000 repetitions deep") }
    }

    @Test func decodingAnUnknownIdIsAnError() throws {
        let tokenizer = try Tokenizer(directory: Fixtures.url("bpe"))
        #expect(throws: TokenizerError("cannot decode id 999999: it is neither in the vocabulary nor an added token")) {
            try tokenizer.decode([1, 999_999], skipSpecialTokens: false)
        }
    }

    @Test func vocabularyLookups() throws {
        let tokenizer = try Tokenizer(directory: Fixtures.url("bpe"))
        let image = try #require(tokenizer.id(of: "<image>"))
        #expect(tokenizer.token(of: image) == "<image>")
        #expect(tokenizer.added.first { $0.content == "<image>" }?.special == true)
        #expect(tokenizer.id(of: "no such token") == nil)
        #expect(tokenizer.vocabularySize == 3000)
        // Byte-level tokens spell a space as "Ġ".
        let spaced = try #require(tokenizer.id(of: "Ġthe"))
        #expect(try tokenizer.encode(" the", addSpecialTokens: false) == [spaced])
    }
}
