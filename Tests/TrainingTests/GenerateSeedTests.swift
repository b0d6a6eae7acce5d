import Foundation
import JSON
import TestSupport
import Testing

/// `vlm-align generate --data` with sampling: each batch draws from its own seed, so the same
/// prompt answered in batches of one is not the same draw over and over; the run as a whole
/// repeats under its seed.
@Suite(.timeLimit(.minutes(10))) struct GenerateSeedTests {
    @Test func everyBatchSamplesAfresh() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = SFTCommandTests.images.appendingPathComponent("scene0.png").path
        let row = #"{"images": ["\#(image)"], "prompt": "Describe the image."}"#
        let data = dir.appendingPathComponent("prompts.jsonl")
        try Array(repeating: row, count: 12).joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
        func answers(_ name: String) throws -> [String] {
            let out = dir.appendingPathComponent(name)
            let result = try CLI.run(["generate", "--model", SFTCommandTests.policy.path, "--data", data.path, "--out", out.path,
                                      "--batch-size", "1", "--temperature", "1", "--seed", "5", "--max-new-tokens", "8"])
            #expect(result.status == 0, "\(result.errors)")
            return try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
                .map { try JSONValue(parsing: String($0))["answer"]?.stringValue ?? "" }
        }
        let first = try answers("a.jsonl")
        #expect(first.count == 12)
        // the tiny model's 8 sampled tokens: one draw repeated 12 times would be one answer
        #expect(Set(first).count > 6, "\(first)")
        #expect(try answers("b.jsonl") == first)
    }
}
