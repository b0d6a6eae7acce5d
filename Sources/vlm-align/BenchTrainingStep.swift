import ArgumentParser
import Benchmarks
import Foundation
import Tensor

/// The options `bench dpo` and `bench sft` share, and how they print.
struct TrainingStepOptions: ParsableArguments {
    @Option(help: "Model folder (trained in full).") var model: String
    @Option(help: "TRL JSONL file (batch size × (steps + 2) rows at least).") var data: String
    @Option(name: .customLong("batch-size"), help: "Rows a step (pairs, examples, or packed sequences).") var batchSize = 4
    @Option(help: "Timed steps, after two untimed ones.") var steps = 8
    @Flag(name: .customLong("freeze-vision"), help: "Train everything but the vision tower.") var freezeVision = false
    @Flag(help: "One JSON object.") var json = false

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size \(batchSize): at least one row a step") }
        if steps < 1 { throw ValidationError("--steps \(steps): at least one timed step") }
    }

    func run(_ method: TrainingStepBenchmark.Method) throws {
        let result = try TrainingStepBenchmark(method, model: URL(fileURLWithPath: model), data: URL(fileURLWithPath: data),
                                               batchSize: batchSize, steps: steps, freezeVision: freezeVision)
            .run(progress: benchProgress)
        printFigures(result, json: json)
    }
}

struct BenchDPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "A full fine-tuning DPO step in steady state: seconds, the FLOPs its products need, and the machine's sgemm rate.")

    @OptionGroup var options: TrainingStepOptions
    @Option(name: .customLong("ref-model"), help: "Reference model folder.") var refModel: String

    func run() throws { try options.run(.dpo(reference: URL(fileURLWithPath: refModel))) }
}

struct BenchSFT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "A full fine-tuning SFT step in steady state: seconds, examples/s, the FLOPs its products need, and the machine's sgemm rate.")

    @OptionGroup var options: TrainingStepOptions
    @Flag(name: .customLong("pack-by-image"), help: "Examples of one image that follow each other as one sequence (--batch-size counts sequences).")
    var packByImage = false

    func run() throws { try options.run(.sft(packByImage: packByImage)) }
}
