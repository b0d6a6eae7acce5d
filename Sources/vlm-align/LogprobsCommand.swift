import ArgumentParser
import Foundation
import Training
import VLM

struct Logprobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summed log-probabilities of each pair's chosen and rejected completion.",
        discussion: """
            Reads TRL's vision preference JSONL (images relative to the file, prompt, chosen, \
            rejected) and builds each row's sequence as TRL's DPOTrainer does: prompt through the \
            processor without added special tokens, completion tokens appended, no EOS added.
            """
    )

    @OptionGroup var model: ModelOptions

    @Option(help: "TRL vision preference JSONL file.")
    var data: String

    @Option(help: "Pairs scored per forward pass.")
    var batchSize = 4

    @Flag(help: "One JSON object per pair (the default prints aligned columns).")
    var json = false

    func run() throws {
        let (model, processor, _) = try model.load()
        let pairs = try PreferenceDataset.pairs(URL(fileURLWithPath: data), processor: processor)
        var index = 0
        for start in stride(from: 0, to: pairs.count, by: max(batchSize, 1)) {
            let batch = Array(pairs[start..<min(pairs.count, start + max(batchSize, 1))])
            for (chosen, rejected) in try PairScorer.logProbs(model, pairs: batch, padToken: processor.padToken) {
                if json {
                    print("{\"index\":\(index),\"chosen_logps\":\(jsonNumber(chosen)),\"rejected_logps\":\(jsonNumber(rejected))}")
                } else {
                    print(String(format: "%5d  chosen %12.5f  rejected %12.5f", index, chosen, rejected))
                }
                index += 1
            }
        }
    }
}
