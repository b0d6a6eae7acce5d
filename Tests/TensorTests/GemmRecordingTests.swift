import Interchange
import Testing
@testable import Tensor

/// The products a benchmark records: every call inside `record`, by shape, with its FLOPs, and
/// none outside it.
@Suite(.timeLimit(.minutes(10))) struct GemmRecordingTests {
    @Test func aLinearLayersProductsAreCountedByShape() {
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.uniform(shape: [40, 24], using: &rng), w = Tensor.uniform(shape: [16, 24], using: &rng)
        let y = Tensor(shape: [40, 16]), dY = Tensor.uniform(shape: [40, 16], using: &rng)
        let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape)
        Linear.forward(x, weight: w, bias: nil, into: y)  // before: not recorded
        let (_, recording) = GemmRecording.record {
            Linear.forward(x, weight: w, bias: nil, into: y)
            Linear.forward(x, weight: w, bias: nil, into: y)
            Linear.backward(dY, x: x, weight: w, dX: dX, dWeight: dW, dBias: nil)
        }
        Linear.forward(x, weight: w, bias: nil, into: y)  // after: not recorded
        let forward = GemmShape(transA: false, transB: true, m: 40, n: 16, k: 24)
        let tallies = Dictionary(uniqueKeysWithValues: recording.shapes.map { ($0.shape, $0.tally.calls) })
        #expect(tallies[forward] == 2)
        // forward twice, then dX = dY·W and dW = dYᵀ·x: three times the forward's work in all
        #expect(recording.flop == 4 * forward.flop)
        #expect(recording.flop == 4 * 2 * 40 * 16 * 24)
        #expect(recording.seconds > 0)
    }
}
