import ArgumentParser
import Benchmarks
import Foundation
import Tensor

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Linear and attention kernels beside the raw cblas_sgemm rate on the same shapes."
    )

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: "Seconds to spend timing each measurement.")
    var seconds: Double = 0.5

    func run() throws {
        let bench = KernelBenchmark(secondsPerMeasurement: seconds)
        let report = bench.run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
    }
}
