import Interchange
import Testing
@testable import Tensor

/// The products a benchmark records: every call inside `record`, by shape, with its FLOPs, and
/// none outside it.
@Suite(.timeLimit(.minutes(10))) struct GemmRecordingTests {
    /// Shapes no other test makes: tests run in parallel in one process, and a recording
    /// counts every product made while it is on.
    @Test func aLinearLayersProductsAreCountedByShape() {
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.uniform(shape: [37, 23], using: &rng), w = Tensor.uniform(shape: [19, 23], using: &rng)
        let y = Tensor(shape: [37, 19]), dY = Tensor.uniform(shape: [37, 19], using: &rng)
        let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape)
        let forward = GemmShape(transA: false, transB: true, m: 37, n: 19, k: 23)
        let dInput = GemmShape(transA: false, transB: false, m: 37, n: 23, k: 19)
        let dWeight = GemmShape(transA: true, transB: false, m: 19, n: 23, k: 37)
        func tallies(_ recording: GemmRecording) -> [GemmShape: Int] {
            Dictionary(uniqueKeysWithValues: recording.shapes.map { ($0.shape, $0.tally.calls) })
        }
        let (_, recording) = GemmRecording.record {
            Linear.forward(x, weight: w, bias: nil, into: y)
            Linear.forward(x, weight: w, bias: nil, into: y)
            Linear.backward(dY, x: x, weight: w, dX: dX, dWeight: dW, dBias: nil)
        }
        let counted = tallies(recording)
        #expect(counted[forward] == 2 && counted[dInput] == 1 && counted[dWeight] == 1)
        // the three shapes do the same work: 2 · 37 · 19 · 23 FLOPs
        #expect(forward.flop == 2 * 37 * 19 * 23 && dInput.flop == forward.flop && dWeight.flop == forward.flop)
        #expect(recording.flop >= 4 * forward.flop)
        #expect(recording.seconds > 0)
        #expect(GemmRecording.active == nil, "recording ends with its body")
    }
}
