import ArgumentParser
import Foundation
import Tensor
import VLM

extension QLoRABenchmark.Base: ExpressibleByArgument {}

struct BenchQLoRA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qlora",
        abstract: "Peak memory and step time of LoRA DPO on an fp32 base and on an NF4 base.",
        discussion: "Each base runs in a fresh child process, so that its peak resident size (VmHWM) is its own."
    )

    @Option(help: "A model folder to load (default: a random model with SmolVLM-256M's decoder shapes).")
    var model: String?

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
        QLoRABenchmark(pairs: pairs, promptTokens: promptTokens, completionTokens: completionTokens, steps: steps, rank: rank,
                       modelFolder: model.map { URL(fileURLWithPath: $0) }, quantization: quantize)
    }

    func run() throws {
        let results = try base.map { [try benchmark.run(base: $0)] } ?? QLoRABenchmark.Base.allCases.map(runChild)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if json {
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print(table(results))
        }
    }

    /// This program again, for one base, with JSON out.
    func runChild(_ base: QLoRABenchmark.Base) throws -> QLoRABenchmark.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench", "qlora", "--base", base.rawValue, "--json", "--pairs", "\(pairs)",
                             "--prompt-tokens", "\(promptTokens)", "--completion-tokens", "\(completionTokens)",
                             "--steps", "\(steps)", "--rank", "\(rank)", "--quantize", quantize.rawValue] + (model.map { ["--model", $0] } ?? [])
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

    func table(_ results: [QLoRABenchmark.Result]) -> String {
        func mib(_ value: Double) -> String { String(format: "%.0f MiB", value) }
        func mib(_ bytes: Int) -> String { mib(Double(bytes) / 1_048_576) }
        func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }
        let config = try? benchmark.config()
        let t = config?.text, v = config?.vision
        let described = "\(t?.hiddenSize ?? 0) wide, \(t?.layers ?? 0) layers, \(t?.heads ?? 0)/\(t?.kvHeads ?? 0) heads, MLP \(t?.intermediateSize ?? 0), vocab \(t?.vocabSize ?? 0), \(config?.tieWordEmbeddings == true ? "tied" : "untied") head; vision \(v?.layers ?? 0) layers × \(v?.hiddenSize ?? 0), \(config?.imageSeqLen ?? 0) image tokens"
        var lines = [
            "machine: \(KernelBenchmark.cpuName()), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Parallel.threads) kernel threads, OpenBLAS \(BLASKernels.coreName) kernels",
            "model: \(model ?? "random, SmolVLM-256M's decoder shapes") (\(described))",
            "NF4 base: \(quantize == .nf4 ? "the decoder's linear weights" : "every linear weight but the LM head (decoder, vision tower, connector)")",
            "LoRA r=\(rank) α=\(2 * rank) on the decoder's q,k,v,o,gate,up,down (\(results.first?.adapterParameters ?? 0) parameters); DPO with the base as reference",
            "batch: \(pairs) pairs, \(config?.imageSeqLen ?? 0) image + \(promptTokens) prompt tokens, \(completionTokens)-token completions; \(steps == 1 ? "1 step" : "\(steps) steps") timed",
            "",
            "base   weights (fp32 + NF4)   RSS after build   peak RSS   reference pass   step: median   min",
        ]
        for r in results {
            let sorted = r.stepSeconds.sorted()
            let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            lines.append(r.base.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                + mib(r.parameterBytes).leftPadded(20) + mib(r.rssAfterBuildMiB).leftPadded(18)
                + mib(r.peakRSSMiB).leftPadded(11) + seconds(r.referenceSeconds).leftPadded(17)
                + seconds(median).leftPadded(15) + seconds(sorted.first ?? 0).leftPadded(8))
        }
        if let fp32 = results.first(where: { $0.base == .fp32 }), let nf4 = results.first(where: { $0.base == .nf4 }) {
            lines += ["", String(format: "NF4 base: peak RSS %.0f%% of the fp32 base's (%@ less); weights %.0f%%",
                                 100 * nf4.peakRSSMiB / fp32.peakRSSMiB, mib(fp32.peakRSSMiB - nf4.peakRSSMiB),
                                 100 * Double(nf4.parameterBytes) / Double(fp32.parameterBytes))]
        }
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
