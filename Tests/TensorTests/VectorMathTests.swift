import Foundation
import Tensor
import Testing

@Suite(.timeLimit(.minutes(10))) struct VectorMathTests {
    @Test func expIsWithinTwoUlpOfTheTrueValue() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88.5 {
            let exact = Foundation.exp(Double(x))
            let approx = VectorMath.exp(x)
            worst = max(worst, Float(abs(Double(approx) - exact) / Double(Float(exact).ulp)))
            x += 0.0137
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(VectorMath.exp(-Float.infinity) == 0)
        #expect(VectorMath.exp(-100) == 0)
        #expect(VectorMath.exp(100) == .infinity)
        #expect(VectorMath.exp(Float.nan).isNaN)
        #expect(VectorMath.exp(0) == 1)
    }

    @Test(arguments: [0, 1, 7, 8, 9, 33])
    func reductionsOverRowsOfAnyLength(count: Int) {
        var r = Inputs(seed: 20)
        let x = r.tensor([max(count, 1)], scale: 10), y = r.tensor([max(count, 1)])
        let xs = Array(x.doubles.prefix(count)), ys = Array(y.doubles.prefix(count))
        #expect(VectorMath.max(x.data, count: count) == Float(xs.max() ?? -.infinity))
        let shift: Float = 3
        let expected = xs.map { exp($0 - Double(shift)) }
        // x - shift rounds in fp32 (up to 2^-24 · 13 in the exponent), then exp's 2 ulp
        let exponential = Tolerance(rtol: 1e-6, atol: 0)
        expectClose([VectorMath.sumExpShifted(x.data, count: count, shift: shift)], [expected.reduce(0, +)],
                    exponential, "sum of exp, not stored")
        // a sum's rounding error is bounded by its terms' magnitudes, not its value
        expectClose([VectorMath.sum(x.data, count: count)], [xs.reduce(0, +)],
                    Tolerance(rtol: 0, atol: 1e-6 * xs.reduce(0) { $0 + abs($1) }), "sum")
        let magnitude = zip(xs, ys).reduce(0) { $0 + abs($1.0 * $1.1) }
        expectClose([VectorMath.dot(x.data, y.data, count: count)], [zip(xs, ys).reduce(0) { $0 + $1.0 * $1.1 }],
                    Tolerance(rtol: 0, atol: 1e-6 * magnitude), "dot")
    }
}
