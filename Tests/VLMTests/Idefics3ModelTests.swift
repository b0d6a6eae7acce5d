import Foundation
import Interchange
import Tensor
import Testing
@testable import VLM

@Suite(.timeLimit(.minutes(10))) struct Idefics3ModelTests {
    /// Logits of every real token agree with transformers within 1e-4 of the largest |logit|.
    @Test(arguments: FixtureModel.names)
    func logitsMatchTransformers(name: String) throws {
        let fixture = try FixtureModel(name)
        let model = try Idefics3Model.load(fixture.folder)
        var rng = SeededGenerator(seed: 0)
        let batch = fixture.batch
        let pass = try model.forward(batch, images: try fixture.images(size: model.config.vision.patches), rng: &rng)
        let rows = (0..<batch.tokens.count).filter { fixture.attentionMask[$0 / batch.length][$0 % batch.length] == 1 }
        let logits = model.logits(pass, rows: rows)
        let expected = try fixture.expected.tensor("logits")
        let vocab = model.config.text.vocabSize
        var worst: Float = 0, largest: Float = 0
        for (i, r) in rows.enumerated() {
            for j in 0..<vocab {
                let e = expected[r * vocab + j]
                largest = max(largest, abs(e))
                worst = max(worst, abs(logits[i * vocab + j] - e))
            }
        }
        #expect(worst <= 1e-4 * largest, "\(name): max logit error \(worst), largest |logit| \(largest)")
    }

    /// Every parameter's gradient of the fixture's loss agrees with PyTorch's, with attention's
    /// tables kept for backward and without.
    @Test(arguments: FixtureModel.names, [true, false])
    func gradientsMatchPyTorch(name: String, tablesKept: Bool) throws {
        let fixture = try FixtureModel(name)
        let loaded = try Idefics3Model.load(fixture.folder)
        loaded.parameters.enableGradients()
        let model = Idefics3Model(config: loaded.config, parameters: loaded.parameters)
        let loss = try AttentionTables.$forced.withValue(tablesKept) { try fixture.lossAndBackward(model) }
        #expect(abs(Double(loss) - fixture.loss) <= 1e-4 * fixture.loss, "\(name): loss \(loss) vs \(fixture.loss)")
        // Each tensor within 1e-3 of its largest |gradient|; a gradient that is zero in exact
        // arithmetic (the key bias: softmax ignores a per-row constant) is fp32 noise on both
        // sides, so the bound never drops below 1e-6 of the largest gradient of the model.
        let expected = try model.parameters.specs.map { try fixture.expected.tensor("grad.\($0.name)") }
        let globalLargest = expected.map { $0.array.map(abs).max() ?? 0 }.max() ?? 0
        var failures: [String] = []
        for (spec, expected) in zip(model.parameters.specs, expected) {
            let actual = model.parameters.gradient(spec.name)!
            var worst: Float = 0, largest: Float = 0
            for i in 0..<actual.count {
                worst = max(worst, abs(actual[i] - expected[i]))
                largest = max(largest, abs(expected[i]))
            }
            if worst > 1e-3 * max(largest, 1e-3 * globalLargest) { failures.append("\(spec.name): error \(worst) of \(largest)") }
        }
        #expect(failures.isEmpty, "\(name): gradients differ:\n\(failures.joined(separator: "\n"))")
    }
}
