import Foundation
import Interchange
import Tensor
import Testing
@testable import Training

/// The heads' loss and gradients against an independent Float64 implementation and its central
/// finite differences.
@Suite(.timeLimit(.minutes(10))) struct PatchHeadsTests {
    static let classes = [3, 2]
    static let (images, patches, width) = (2, 4, 5)

    static func targets() -> PatchHeads.Targets {
        PatchHeads.Targets(
            patches: [[0, 3, 1, 2, 3, 3, 0, 1], [2, 0, 1, 2, 2, 1, 0, 2]],
            regions: [.init(image: 0, coverage: [0.9, 0.3, 0, 0], classes: [0, 1]),
                      .init(image: 1, coverage: [0, 0.2, 0.7, 1], classes: [2, 0]),
                      .init(image: 1, coverage: [0.5, 0, 0, 0], classes: [1, 1])])
    }

    /// The loss in Float64 from features (N·P·W, row-major) and the heads' parameters (in the
    /// parameter set's order: per attribute patch weight, bias, region weight, bias).
    static func reference(features f: [Double], parameters: [Double]) -> Double {
        let t = targets()
        var offset = 0, loss = 0.0
        func take(_ n: Int) -> [Double] { defer { offset += n }; return Array(parameters[offset..<(offset + n)]) }
        func crossEntropy(_ rows: [[Double]], _ w: [Double], _ b: [Double], _ labels: [Int32]) -> Double {
            let c = b.count
            var total = 0.0
            for (row, label) in zip(rows, labels) {
                let logits = (0..<c).map { k in b[k] + (0..<width).reduce(0) { $0 + w[k * width + $1] * row[$1] } }
                let m = logits.max()!
                let lse = m + log(logits.reduce(0) { $0 + exp($1 - m) })
                total += lse - logits[Int(label)]
            }
            return total / Double(rows.count)
        }
        let patchRows = (0..<(images * patches)).map { Array(f[($0 * width)..<(($0 + 1) * width)]) }
        let regionRows = t.regions.map { r -> [Double] in
            let total = r.coverage.reduce(0) { $0 + Double($1) }
            return (0..<width).map { k in
                (0..<patches).reduce(0) { $0 + Double(r.coverage[$1]) * f[(r.image * patches + $1) * width + k] } / total
            }
        }
        for (a, c) in classes.enumerated() {
            let (pw, pb) = (take((c + 1) * width), take(c + 1))
            let (rw, rb) = (take(c * width), take(c))
            loss += crossEntropy(patchRows, pw, pb, t.patches[a])
            loss += crossEntropy(regionRows, rw, rb, t.regions.map { $0.classes[a] })
        }
        return loss
    }

    @Test func lossAndGradientsEqualTheReference() {
        var rng = SeededGenerator(seed: 5)
        let heads = PatchHeads(classes: Self.classes, width: Self.width)
        for i in 0..<heads.parameters.count { heads.parameters.values[i] = Float(rng.uniform(-1, 1)) }
        let features = Tensor(shape: [Self.images, Self.patches, Self.width])
        for i in 0..<features.count { features[i] = Float(rng.uniform(-2, 2)) }
        let dFeatures = Tensor(shape: features.shape)
        let result = heads.evaluate(features: features, targets: Self.targets(), dFeatures: dFeatures)

        let f = features.array.map(Double.init), p = heads.parameters.values.array.map(Double.init)
        let expected = Self.reference(features: f, parameters: p)
        #expect(abs(Double(result.loss) - expected) < 1e-5 * max(1, expected), "loss \(result.loss) vs \(expected)")

        func numeric(_ x: [Double], _ loss: ([Double]) -> Double) -> [Double] {
            let h = 1e-6
            return x.indices.map { i in
                var plus = x, minus = x
                plus[i] += h
                minus[i] -= h
                return (loss(plus) - loss(minus)) / (2 * h)
            }
        }
        let dF = numeric(f) { Self.reference(features: $0, parameters: p) }
        let dP = numeric(p) { Self.reference(features: f, parameters: $0) }
        for (i, (a, e)) in zip(dFeatures.array, dF).enumerated() {
            #expect(abs(Double(a) - e) <= 1e-5 + 1e-4 * abs(e), "dFeatures[\(i)]: \(a) vs \(e)")
        }
        for (i, (a, e)) in zip(heads.parameters.gradients!.array, dP).enumerated() {
            #expect(abs(Double(a) - e) <= 1e-5 + 1e-4 * abs(e), "dParameters[\(i)] (\(heads.parameters.specs.first { _ in true }!.name)…): \(a) vs \(e)")
        }
    }

    @Test func accuracyCountsTheArgmax() {
        let heads = PatchHeads(classes: [2], width: 1)
        // patch head: class k's logit = weight_k · x; background (class 2) never wins for x = ±1
        heads.parameters["patch.0.weight"][0] = 1
        heads.parameters["patch.0.weight"][1] = -1
        heads.parameters["patch.0.bias"][2] = -10
        heads.parameters["region.0.weight"][0] = 1
        heads.parameters["region.0.weight"][1] = -1
        let features = Tensor(shape: [1, 4, 1], values: [1, -1, 1, -1])
        let targets = PatchHeads.Targets(patches: [[0, 1, 1, 2]], regions: [.init(image: 0, coverage: [1, 0, 1, 0], classes: [0])])
        let r = heads.evaluate(features: features, targets: targets, dFeatures: nil)
        #expect(r.patchCorrect == [2] && r.regionCorrect == [1] && r.patches == 4 && r.regions == 1)
    }
}
