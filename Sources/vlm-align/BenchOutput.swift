import Foundation
import Tensor

/// A benchmark's named figures: one JSON object (with the engine and the BLAS kernels that ran),
/// or one aligned line each.
func printFigures(_ figures: [(String, Double)], json: Bool) {
    if json {
        print("{" + figures.map { "\"\($0.0)\":\(jsonNumber($0.1))" }.joined(separator: ",") + ",\"engine\":\"vlm-align\",\"blas\":\"\(BLASKernels.coreName)\"}")
    } else {
        print("OpenBLAS \(BLASKernels.coreName) kernels")
        for (k, v) in figures { print(String(format: "%-30@ %.3f", k, v)) }
    }
}

/// Progress of a benchmark, on stderr so that its figures alone go to stdout.
func benchProgress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
