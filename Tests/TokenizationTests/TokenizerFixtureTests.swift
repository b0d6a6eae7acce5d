import Foundation
import JSON
import Testing
import Tokenization

/// Ids and decodes compared exactly with what the `tokenizers` crate produced for the same
/// tokenizer.json files and texts (Fixtures/tokenizer_cases.json).
@Suite(.timeLimit(.minutes(10))) struct TokenizerFixtureTests {
    static let cases = Fixtures.load("tokenizer_cases.json")

    static var suiteNames: [String] {
        (cases["suites"]?.arrayValue ?? []).map { "\($0["tokenizer"]!.stringValue!)/\($0["variant"]!.stringValue!)" }
    }

    static func suite(_ name: String) -> JSONValue {
        (cases["suites"]?.arrayValue ?? []).first { "\($0["tokenizer"]!.stringValue!)/\($0["variant"]!.stringValue!)" == name }!
    }

    static func tokenizer(for suite: JSONValue) throws -> Tokenizer {
        let base = try Fixtures.json("\(suite["tokenizer"]!.stringValue!)/tokenizer.json")
        return try Tokenizer(json: base.overriding(with: suite["overrides"]!))
    }

    @Test func fixturesCoverEveryKindOfTokenizer() {
        let names = Self.suiteNames
        #expect(names.count >= 20)
        for kind in ["bpe/", "bpe-metaspace/", "bpe-subword/", "wordpiece/", "wordlevel/"] {
            #expect(names.contains { $0.hasPrefix(kind) }, "no fixture suite for \(kind)")
        }
    }

    @Test(arguments: suiteNames)
    func idsMatchTokenizers(suiteName: String) throws {
        let suite = Self.suite(suiteName)
        let tokenizer = try Self.tokenizer(for: suite)
        for c in suite["cases"]!.arrayValue! {
            let text = c["text"]!.stringValue!
            let plain = try tokenizer.encode(text, addSpecialTokens: false)
            let plainDiff = difference(plain, c["ids"]!.ints)
            #expect(plainDiff.isEmpty, "\(suiteName) \(quoted(text)) without special tokens: \(plainDiff)")
            let special = try tokenizer.encode(text, addSpecialTokens: true)
            let specialDiff = difference(special, (c["ids_with_special_tokens"] ?? c["ids"]!).ints)
            #expect(specialDiff.isEmpty, "\(suiteName) \(quoted(text)) with special tokens: \(specialDiff)")
        }
    }

    @Test(arguments: suiteNames)
    func decodesMatchTokenizers(suiteName: String) throws {
        let suite = Self.suite(suiteName)
        let tokenizer = try Self.tokenizer(for: suite)
        for c in suite["cases"]!.arrayValue! {
            let ids = (c["ids_with_special_tokens"] ?? c["ids"]!).ints
            let decoded = try tokenizer.decode(ids, skipSpecialTokens: false)
            #expect(decoded.unicodeScalars.elementsEqual(c["decoded"]!.stringValue!.unicodeScalars),
                    "\(suiteName) decode of \(quoted(c["text"]!.stringValue!)): \(quoted(decoded)) vs \(quoted(c["decoded"]!.stringValue!))")
            let skipping = try tokenizer.decode(ids, skipSpecialTokens: true)
            let expected = (c["decoded_skipping_special"] ?? c["decoded"]!).stringValue!
            #expect(skipping.unicodeScalars.elementsEqual(expected.unicodeScalars),
                    "\(suiteName) decode skipping special tokens of \(quoted(c["text"]!.stringValue!)): \(quoted(skipping)) vs \(quoted(expected))")
            if let half = c["decoded_first_half"]?.stringValue {
                let plain = c["ids"]!.ints
                let decodedHalf = try tokenizer.decode(Array(plain.prefix(plain.count / 2)), skipSpecialTokens: false)
                #expect(decodedHalf.unicodeScalars.elementsEqual(half.unicodeScalars),
                        "\(suiteName) decode of the first half of \(quoted(c["text"]!.stringValue!)): \(quoted(decodedHalf)) vs \(quoted(half))")
            }
        }
    }

    @Test func mergesAsStringsEncodeLikeMergesAsPairs() throws {
        let base = try Fixtures.json("bpe/tokenizer.json")
        let pairs = base["model"]!["merges"]!.arrayValue!
        let strings = JSONValue.array(pairs.map { pair in
            let p = pair.arrayValue!
            return .string("\(p[0].stringValue!) \(p[1].stringValue!)")
        })
        let legacy = try Tokenizer(json: base.overriding(with: .object([("model", .object([("merges", strings)]))])))
        let modern = try Tokenizer(json: base)
        for c in Self.suite("bpe/smolvlm")["cases"]!.arrayValue! {
            let text = c["text"]!.stringValue!
            let diff = difference(try legacy.encode(text, addSpecialTokens: false), try modern.encode(text, addSpecialTokens: false))
            #expect(diff.isEmpty, "\(quoted(text)): \(diff)")
        }
    }
}

/// A string in double quotes with control characters escaped, for failure messages.
func quoted(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        if c.value < 0x20 || c == "\"" || c == "\\" { out += "\\u{\(String(c.value, radix: 16))}" } else { out.unicodeScalars.append(c) }
    }
    return out + "\""
}
