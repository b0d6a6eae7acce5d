import Foundation
import Tensor
import Testing

@Suite(.timeLimit(.minutes(10))) struct ActivationTests {
    @Test func swiGLU() {
        var r = Inputs(seed: 11)
        let gate = r.tensor([7, 33], scale: 4), up = r.tensor([7, 33])
        let out = Tensor(shape: gate.shape)
        SwiGLU.forward(gate: gate, up: up, into: out)
        let f = { (x: [[Double]]) in zip(x[0], x[1]).map { g, u in g / (1 + exp(-g)) * u } }
        let inputs = [gate.doubles, up.doubles]
        expectClose(out.array, f(inputs), .forward, "swiglu forward")
        let g = r.tensor(gate.shape)
        let dGate = Tensor(shape: gate.shape), dUp = Tensor(shape: up.shape)
        SwiGLU.backward(g, gate: gate, up: up, dGate: dGate, dUp: dUp)
        expectClose(dGate.array, numericGradient(inputs, wrt: 0, upstream: g.doubles, f), .gradient, "swiglu dGate")
        expectClose(dUp.array, numericGradient(inputs, wrt: 1, upstream: g.doubles, f), .gradient, "swiglu dUp")
    }

    @Test(arguments: [GELU.Approximation.none, .tanh])
    func gelu(approximation: GELU.Approximation) {
        var r = Inputs(seed: 12)
        let x = r.tensor([3, 33], scale: 5)
        let out = Tensor(shape: x.shape)
        GELU.forward(x, approximation: approximation, into: out)
        let f = { (v: [[Double]]) -> [Double] in
            v[0].map { x in
                approximation == .none
                    ? 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
                    : 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
            }
        }
        expectClose(out.array, f([x.doubles]), .forward, "gelu \(approximation) forward")
        let g = r.tensor(x.shape)
        let dX = Tensor(shape: x.shape)
        GELU.backward(g, x: x, approximation: approximation, dX: dX)
        expectClose(dX.array, numericGradient([x.doubles], wrt: 0, upstream: g.doubles, f),
                    .gradient, "gelu \(approximation) dX")

        // far out both ways: exactly 0 / x and gradients 0 / 1, no overflow into NaN
        let far = Tensor(shape: [4], values: [-1e4, -100, 100, 1e4])
        let farOut = Tensor(shape: far.shape), farDX = Tensor(shape: far.shape)
        GELU.forward(far, approximation: approximation, into: farOut)
        GELU.backward(Tensor(shape: far.shape, values: [1, 1, 1, 1]), x: far, approximation: approximation, dX: farDX)
        #expect(farOut.array == [0, 0, 100, 1e4], "gelu \(approximation) far out: \(farOut.array)")
        #expect(farDX.array == [0, 0, 1, 1], "gelu \(approximation) far-out gradients: \(farDX.array)")
    }

    @Test func residual() {
        var r = Inputs(seed: 13)
        let a = r.tensor([7, 3]), b = r.tensor([7, 3])
        let out = Tensor(shape: a.shape)
        Residual.forward(a, b, into: out)
        let f = { (x: [[Double]]) in zip(x[0], x[1]).map(+) }
        let inputs = [a.doubles, b.doubles]
        expectClose(out.array, f(inputs), .rounding, "residual forward")
        let g = r.tensor(a.shape)
        let dA = Tensor(shape: a.shape), dB = Tensor(shape: b.shape)
        Residual.backward(g, dA: dA, dB: dB)
        expectClose(dA.array, numericGradient(inputs, wrt: 0, upstream: g.doubles, f), .gradient, "residual dA")
        expectClose(dB.array, numericGradient(inputs, wrt: 1, upstream: g.doubles, f), .gradient, "residual dB")
    }

    @Test func logSigmoid() {
        let x = Tensor(shape: [9], values: [-100, -20, -3.5, -1, 0, 0.5, 3, 20, 100])
        let out = Tensor(shape: x.shape)
        LogSigmoid.forward(x, into: out)
        // log σ(x) = -log(1 + e^(-x)), written stably for the reference too
        let logSigmoid = { (x: Double) in x < 0 ? x - log1p(exp(x)) : -log1p(exp(-x)) }
        // relative everywhere: accurate tails are what the stable form is for (DPO's large
        // margins); only fp32's subnormals (log σ(100) ≈ -4e-44) hold fewer digits
        expectClose(out.array, x.doubles.map(logSigmoid), Tolerance(rtol: 1e-6, atol: 1e-44), "logsigmoid forward")
        #expect(out.array.allSatisfy { $0.isFinite })
        let g = Tensor(shape: [9], values: [1, -2, 0.5, 1, 1, 3, -1, 1, 1])
        let dX = Tensor(shape: x.shape)
        LogSigmoid.backward(g, x: x, dX: dX)
        // differences element by element: differences of the whole sum would lose the tails
        expectClose(dX.array, elementwiseGradient(x.doubles, upstream: g.doubles) { logSigmoid($1) },
                    Tolerance(rtol: 1e-5, atol: 1e-44), "logsigmoid dX")
    }
}
