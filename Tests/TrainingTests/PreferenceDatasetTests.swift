import Foundation
import Tensor
import Testing
import Tokenization
import VLM
@testable import Training

@Suite(.timeLimit(.minutes(10))) struct PreferenceDatasetTests {
    static let policyFolder = TRLFixture.folder.appendingPathComponent("policy")

    /// From the JSONL file to token ids, exactly the sequences TRL's collator builds, and to the
    /// summed log-probs TRL's model gives them.
    @Test func trlJSONLBecomesTRLsTokensAndLogProbs() throws {
        let fixture = try TRLFixture()
        let model = try Idefics3Model.load(Self.policyFolder)
        let processor = try Idefics3Processor(folder: Self.policyFolder, config: model.config)
        let pairs = try PreferenceDataset.pairs(TRLFixture.folder.appendingPathComponent("pairs.jsonl"), processor: processor)
        #expect(pairs.count == fixture.pairEntries.count)
        for (i, (pair, entry)) in zip(pairs, fixture.pairEntries).enumerated() {
            #expect(pair.prompt == TRLFixture.ints(entry["prompt_ids"]), "pair \(i) prompt ids")
            #expect(pair.chosen == TRLFixture.ints(entry["chosen_ids"]), "pair \(i) chosen ids")
            #expect(pair.rejected == TRLFixture.ints(entry["rejected_ids"]), "pair \(i) rejected ids")
        }
        let logps = try PairScorer.logProbs(model, pairs: pairs, padToken: processor.padToken)
        for (i, entry) in fixture.pairEntries.enumerated() {
            #expect(abs(logps[i].chosen - TRLFixture.number(entry["chosen_logps"])!) <= 1e-3, "pair \(i) chosen")
            #expect(abs(logps[i].rejected - TRLFixture.number(entry["rejected_logps"])!) <= 1e-3, "pair \(i) rejected")
        }
    }

    @Test func badLinesNameTheFileAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-align-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let model = try Idefics3Model.load(Self.policyFolder)
        let processor = try Idefics3Processor(folder: Self.policyFolder, config: model.config)
        let good = #"{"prompt": "Hi", "chosen": "a", "rejected": "b"}"#
        let cases: [(String, String)] = [
            (good + "\n{not json\n", ":2: not valid JSON"),
            (good + "\n[1, 2]\n", ":2: not a JSON object"),
            (#"{"prompt": "Hi", "chosen": "a"}"#, ":1: needs prompt, chosen and rejected"),
            (#"{"images": "x.png", "prompt": "Hi", "chosen": "a", "rejected": "b"}"#, ":1: images must be a list"),
            (#"{"images": ["missing.png"], "prompt": "<image>Hi", "chosen": "a", "rejected": "b"}"#, "missing.png"),
            (#"{"images": [], "prompt": "<image>Hi", "chosen": "a", "rejected": "b"}"#, "placeholders"),
        ]
        for (text, problem) in cases {
            let url = dir.appendingPathComponent("\(UUID().uuidString).jsonl")
            try text.write(to: url, atomically: true, encoding: .utf8)
            #expect {
                _ = try PreferenceDataset.pairs(url, processor: processor)
            } throws: { error in
                let message = String(describing: error)
                return message.contains(url.lastPathComponent) && message.contains(problem)
            }
        }
    }
}
