import Interchange
import Tensor
import Testing

/// Float64 references for the engine's fp32 kernels: a test computes the op's forward naively in
/// Float64, compares the kernel's forward with it, and compares the kernel's backward with
/// central finite differences of that Float64 forward.

struct Inputs {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor.uniform(shape: shape, scale: scale, using: &rng)
    }
}

extension Tensor {
    var doubles: [Double] { array.map(Double.init) }
}

/// Gradient of L(x) = Σ upstream · f(x) with respect to inputs[wrt], by central differences in
/// Float64 (step h; truncation error O(h²), far below fp32 rounding).
func numericGradient(
    _ inputs: [[Double]], wrt: Int, upstream: [Double], h: Double = 1e-6,
    _ f: ([[Double]]) -> [Double]
) -> [Double] {
    var x = inputs
    var grad = [Double](repeating: 0, count: inputs[wrt].count)
    for i in grad.indices {
        let saved = x[wrt][i]
        x[wrt][i] = saved + h
        let plus = zip(f(x), upstream).reduce(0) { $0 + $1.0 * $1.1 }
        x[wrt][i] = saved - h
        let minus = zip(f(x), upstream).reduce(0) { $0 + $1.0 * $1.1 }
        x[wrt][i] = saved
        grad[i] = (plus - minus) / (2 * h)
    }
    return grad
}

/// max |actual - expected| / max(1, max |expected|): the error relative to the values' scale.
func relativeError(_ actual: [Float], _ expected: [Double]) -> Double {
    precondition(actual.count == expected.count, "\(actual.count) values vs \(expected.count)")
    var worst = 0.0, scale = 1.0
    for (a, e) in zip(actual, expected) {
        worst = max(worst, abs(Double(a) - e))
        scale = max(scale, abs(e))
    }
    return worst / scale
}

func expectClose(
    _ actual: [Float], _ expected: [Double], tolerance: Double, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = relativeError(actual, expected)
    #expect(error <= tolerance, "\(what): relative error \(error) > \(tolerance)", sourceLocation: sourceLocation)
}

/// Forward tolerance: fp32 kernel against the Float64 reference.
let forwardTolerance = 2e-5
/// Backward tolerance: fp32 analytic gradient against Float64 finite differences.
let gradientTolerance = 1e-4
