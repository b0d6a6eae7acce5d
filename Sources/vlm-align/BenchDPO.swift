import ArgumentParser
import Benchmarks
import Foundation
import Tensor

struct BenchDPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "A full fine-tuning DPO step in steady state: seconds, the FLOPs its products need, and the machine's sgemm rate.")

    @Option(help: "Policy model folder.") var model: String
    @Option(name: .customLong("ref-model"), help: "Reference model folder.") var refModel: String
    @Option(help: "TRL vision preference JSONL file (batch size × (steps + 2) pairs at least).") var data: String
    @Option(name: .customLong("batch-size"), help: "Pairs a step.") var batchSize = 4
    @Option(help: "Timed steps, after two untimed ones.") var steps = 8
    @Flag(name: .customLong("freeze-vision"), help: "Train everything but the vision tower.") var freezeVision = false
    @Flag(help: "One JSON object.") var json = false

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size \(batchSize): at least one pair a step") }
        if steps < 1 { throw ValidationError("--steps \(steps): at least one timed step") }
    }

    func run() throws {
        let result = try DPOStepBenchmark(policy: URL(fileURLWithPath: model), reference: URL(fileURLWithPath: refModel),
                                          data: URL(fileURLWithPath: data), batchSize: batchSize, steps: steps,
                                          freezeVision: freezeVision).run { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        if json {
            print("{" + result.map { "\"\($0.0)\":\(jsonNumber($0.1))" }.joined(separator: ",") + ",\"engine\":\"vlm-align\",\"blas\":\"\(BLASKernels.coreName)\"}")
        } else {
            print("OpenBLAS \(BLASKernels.coreName) kernels")
            for (k, v) in result { print(String(format: "%-30@ %.3f", k, v)) }
        }
    }
}
