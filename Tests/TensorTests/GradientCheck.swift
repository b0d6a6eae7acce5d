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

/// Central differences of Σ upstream · f(x) where f acts on each row of `cols` values alone: a
/// row's gradient needs only that row's outputs, so large inputs stay cheap.
func rowwiseGradient(
    _ x: [Double], cols: Int, upstream: [Double], _ f: (_ row: Int, _ values: [Double]) -> [Double]
) -> [Double] {
    let outCols = upstream.count / (x.count / cols)
    return (0..<x.count / cols).flatMap { r in
        numericGradient([Array(x[(r * cols)..<((r + 1) * cols)])], wrt: 0,
                        upstream: Array(upstream[(r * outCols)..<((r + 1) * outCols)])) { f(r, $0[0]) }
    }
}

/// Central differences of an elementwise function: upstream[i] · d/dx f(i, x) at x[i].
func elementwiseGradient(_ x: [Double], upstream: [Double], h: Double = 1e-6, _ f: (Int, Double) -> Double) -> [Double] {
    x.indices.map { i in upstream[i] * (f(i, x[i] + h) - f(i, x[i] - h)) / (2 * h) }
}

/// How far an fp32 result may be from its Float64 reference, element by element, as
/// numpy.allclose judges: |actual − expected| ≤ atol + rtol · |expected|. Per element, so a small
/// value next to a large one gets no slack from it.
struct Tolerance: CustomStringConvertible {
    var rtol: Double
    var atol: Double

    /// Forward: fp32 kernel against the Float64 reference, to a few ulps of the value (2^-23 is
    /// 1.2e-7), or 1e-6 where the value cancels out of terms of order 1.
    static let forward = Tolerance(rtol: 1e-6, atol: 1e-6)
    /// Backward: fp32 analytic gradient against Float64 finite differences.
    static let gradient = Tolerance(rtol: 1e-5, atol: 1e-6)
    /// Products through BLAS: an fp32 sum of ~500 products of values in [-1, 1] has partial
    /// sums near 10, so it rounds by ~5e-6 (one standard deviation) even where it nearly cancels.
    static let products = Tolerance(rtol: 1e-6, atol: 3e-5)
    /// One fp32 rounding of the exact value (a sum of two fp32 numbers).
    static let rounding = Tolerance(rtol: 0x1p-24, atol: 0)
    /// Copies.
    static let exact = Tolerance(rtol: 0, atol: 0)

    var description: String { "rtol \(rtol), atol \(atol)" }

    func allows(_ actual: Float, _ expected: Double) -> Bool {
        abs(Double(actual) - expected) <= atol + rtol * abs(expected)
    }
}

/// Expects every element within `tolerance` of its reference; a failure names the worst element
/// (the one furthest past its bound) and how many fail.
func expectClose(
    _ actual: [Float], _ expected: [Double], _ tolerance: Tolerance, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values vs \(expected.count) expected", sourceLocation: sourceLocation)
        return
    }
    var failures = 0, worst: Int?, worstExcess = 0.0
    for (i, (a, e)) in zip(actual, expected).enumerated() where !tolerance.allows(a, e) {
        failures += 1
        let excess = abs(Double(a) - e) / (tolerance.atol + tolerance.rtol * abs(e))
        if worst == nil || excess > worstExcess { (worst, worstExcess) = (i, excess) }
    }
    if let worst {
        Issue.record("\(what): \(failures) of \(actual.count) elements outside \(tolerance); worst [\(worst)]: \(actual[worst]) vs \(expected[worst])",
                     sourceLocation: sourceLocation)
    }
}
