import Foundation
import Imaging
import Interchange
import JSON
import Tensor
import TestSupport
import Testing
import Tokenization
import VLM
@testable import Training

/// `vlm-align logprobs` and `generate` on TRL's fixture model, checked against TRL's numbers
/// and against the model's own forward pass.
@Suite(.timeLimit(.minutes(10))) struct ModelCommandsTests {
    static let policy = TRLFixture.folder.appendingPathComponent("policy")

    /// The summed log-probs of each pair's completions are TRL's, whatever the batch size.
    @Test(arguments: [1, 3, 4])
    func logprobsPrintsTRLsLogProbs(batchSize: Int) throws {
        let result = try CLI.run(["logprobs", "--model", Self.policy.path, "--data", TRLFixture.folder.appendingPathComponent("pairs.jsonl").path,
                                  "--batch-size", String(batchSize), "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let lines = try result.output.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        let expected = try TRLFixture().pairEntries
        #expect(lines.count == expected.count && expected.count == 4)
        for (index, (line, pair)) in zip(lines, expected).enumerated() {
            #expect(line["index"]?.intValue == index)
            for key in ["chosen_logps", "rejected_logps"] {
                let ours = line[key]?.doubleValue ?? .nan, theirs = pair[key]?.doubleValue ?? .nan
                #expect(abs(ours - theirs) <= 1e-4 * abs(theirs), "pair \(index) \(key): \(ours) vs TRL's \(theirs)")
            }
        }
    }

    /// Greedy `generate` on an image and a question gives, token by token, the argmax of the
    /// model's full forward pass (no KV cache) over the prompt as TRL tokenized it and the
    /// tokens so far; it stops at a stop token or at --max-new-tokens; the answer is those
    /// tokens as text.
    @Test func generateAnswersGreedilyAsTheForwardPassRanks() throws {
        let maxNew = 8
        let result = try CLI.run(["generate", "--model", Self.policy.path, "--image", TRLFixture.folder.appendingPathComponent("images/scene0.png").path,
                                  "--prompt", "What shape is red?", "--max-new-tokens", String(maxNew), "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let reply = try JSONValue(parsing: result.output)
        let tokens = (reply["tokens"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) }
        #expect(!tokens.isEmpty && tokens.count <= maxNew)

        // the fixture's first pair asks this question of this image
        let model = try Idefics3Model.load(Self.policy)
        let pair = try #require(try TRLFixture().pairs(processor: try ImageProcessor(folder: Self.policy)).first)
        var rng = SeededGenerator(seed: 0)
        for step in tokens.indices {
            let sequence = pair.prompt + tokens[..<step]
            let batch = TextBatch(tokens: sequence, batch: 1, length: sequence.count, positions: (0..<Int32(sequence.count)).map { $0 })
            let pass = try model.forward(batch, images: pair.images, visionOut: nil, caches: nil, training: false, rng: &rng)
            let logits = model.logits(pass, rows: [sequence.count - 1]).array
            let best = logits.indices.max { logits[$0] < logits[$1] }!
            #expect(Int32(best) == tokens[step], "token \(step): generate chose \(tokens[step]), the forward pass ranks \(best) first")
        }
        let processor = try model.processor(folder: Self.policy)
        let stopped = tokens.last.map(processor.stopTokens.contains) ?? false
        #expect(stopped || tokens.count == maxNew, "ended early without a stop token: \(tokens)")
        #expect(reply["answer"]?.stringValue == (try processor.tokenizer.decode(tokens.map(Int.init), skipSpecialTokens: true)))
    }
}
