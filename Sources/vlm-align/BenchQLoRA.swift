import ArgumentParser
import Benchmarks
import Foundation
import Tensor
import VLM

extension QLoRABenchmark.Base: ExpressibleByArgument {}
extension QLoRABenchmark.Shape: ExpressibleByArgument {}

struct BenchQLoRA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qlora",
        abstract: "Peak memory and step time of LoRA DPO on an fp32 base and on an NF4 base.",
        discussion: "Each base runs in a fresh child process, so that its peak resident size (VmHWM) is its own."
    )

    @Option(help: "A model folder to load (default: a random model with SmolVLM-256M's decoder shapes).")
    var model: String?

    @Option(help: "The random model: smolvlm-256m (its decoder's shapes) or qwen2.5-vl-3b.")
    var shape = QLoRABenchmark.Shape.smolvlm

    @Option(help: "What the NF4 base quantizes: nf4 (the decoder's linears) or nf4-vision (also the vision tower's and the connector).")
    var quantize = Quantization.nf4

    @Option(help: "Run one base in this process instead of both in child processes.")
    var base: QLoRABenchmark.Base?

    @Option(help: "Preference pairs per step.")
    var pairs = 2

    @Option(help: "Text tokens per prompt (after the image's tokens).")
    var promptTokens = 32

    @Option(help: "Tokens per completion (chosen and rejected).")
    var completionTokens = 24

    @Option(help: "DPO steps to time.")
    var steps = 3

    @Option(help: "LoRA rank (alpha = 2 × rank) on the decoder's seven projections.")
    var rank = 16

    @Flag(help: "Print a JSON array of the results instead of the table.")
    var json = false

    var benchmark: QLoRABenchmark {
        var benchmark = QLoRABenchmark(pairs: pairs, promptTokens: promptTokens, completionTokens: completionTokens, steps: steps,
                                       rank: rank, modelFolder: model.map { URL(fileURLWithPath: $0) }, quantization: quantize)
        benchmark.shape = shape
        return benchmark
    }

    func run() throws {
        let results = try base.map { [try benchmark.run(base: $0)] } ?? QLoRABenchmark.Base.allCases.map(runChild)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if json {
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print(benchmark.table(results))
        }
    }

    /// This program again, for one base, with JSON out.
    func runChild(_ base: QLoRABenchmark.Base) throws -> QLoRABenchmark.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench", "qlora", "--base", base.rawValue, "--json", "--pairs", "\(pairs)",
                             "--prompt-tokens", "\(promptTokens)", "--completion-tokens", "\(completionTokens)",
                             "--steps", "\(steps)", "--rank", "\(rank)", "--quantize", quantize.rawValue,
                             "--shape", shape.rawValue] + (model.map { ["--model", $0] } ?? [])
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("the \(base.rawValue) run exited with status \(process.terminationStatus)")
        }
        guard let result = try JSONDecoder().decode([QLoRABenchmark.Result].self, from: data).first else {
            throw ValidationError("the \(base.rawValue) run printed no result")
        }
        return result
    }
}
