import ArgumentParser
import Benchmarks
import Foundation
import Tensor

extension ModelBenchmark.Shape: ExpressibleByArgument {}

struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Prefill and generated tokens/s and peak memory of a random SmolVLM-256M- or Qwen2-VL-2B-shaped model.")

    @Option(help: "smolvlm-256m, tiny, qwen2-vl-2b or qwen2-vl-tiny.") var shape = ModelBenchmark.Shape.smolvlm256m
    @Option(name: .customLong("text-tokens"), help: "Text tokens of the prompt besides the image's.") var textTokens = 64
    @Option(name: .customLong("new-tokens"), help: "Tokens generated (no stop token).") var newTokens = 64
    @Option(help: "Timed repetitions (the best is reported).") var repeats = 3
    @Option(help: "Prompts generated at once; above 1 they are sampled at temperature 1.") var batch = 1
    @Flag(help: "One JSON object.") var json = false

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch \(batch): at least one prompt is generated") }
        if repeats < 1 { throw ValidationError("--repeats \(repeats): at least one timed run") }
        if newTokens < 2 { throw ValidationError("--new-tokens \(newTokens): decoding is timed from the first token to the last, so at least 2") }
        if textTokens < 0 { throw ValidationError("--text-tokens \(textTokens) is negative") }
    }

    func run() throws {
        let result = try ModelBenchmark(shape: shape, textTokens: textTokens, newTokens: newTokens, repeats: repeats, batch: batch).run()
        printFigures(result, json: json)
    }
}
