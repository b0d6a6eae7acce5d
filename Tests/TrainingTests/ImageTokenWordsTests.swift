import Foundation
import Interchange
import Tensor
import Testing
import VLM
@testable import Training

/// SFT's image-token word loss: its value against a Float64 reference, and the gradients it adds
/// (through the LM head, tied to the embeddings, and the connector) against central finite
/// differences of the whole objective.
@Suite(.timeLimit(.minutes(10))) struct ImageTokenWordsTests {
    static func setup(weight: Float) throws -> (SFTObjective, [SupervisedExample], ImageTokenWords) {
        let loaded = try Idefics3Model.load(SFTParityTests.policyFolder)
        let processor = try Idefics3Processor(folder: SFTParityTests.policyFolder, config: loaded.config)
        let examples = Array(try SupervisedDataset.examples(SFTParityTests.folder.appendingPathComponent("completions.jsonl"),
                                                            processor: processor).prefix(2))
        loaded.parameters.enableGradients()
        let model = Idefics3Model(config: loaded.config, parameters: loaded.parameters)
        // seeded targets: one word, or two sharing the probability, per token of the first image
        var rng = SeededGenerator(seed: 9)
        let key = try #require(examples[0].imageKeys.first)
        let targets = (0..<model.config.imageSeqLen).map { t -> [ImageTokenWords.Word] in
            let a = Int32(rng.below(model.vocabularySize)), b = Int32(rng.below(model.vocabularySize))
            return t % 2 == 0 || a == b ? [.init(token: a, probability: 1)] : [.init(token: a, probability: 0.5), .init(token: b, probability: 0.5)]
        }
        let words = ImageTokenWords(targets: [key: targets], weight: weight)
        return (try SFTObjective(model: model, adapters: nil, examples: examples, padToken: processor.padToken, imageWords: words),
                examples, words)
    }

    /// The objective: SFT's loss plus the weighted word loss.
    static func total(_ objective: SFTObjective, _ examples: [SupervisedExample]) throws -> Double {
        var rng = SeededGenerator(seed: 0)
        let m = try objective.loss(examples, backward: false, scale: 1, rng: &rng).metrics
        return m["loss"]! + Double(objective.imageWords!.weight) * (m["image_word_loss"] ?? .nan)
    }

    @Test func wordLossEqualsTheReference() throws {
        let (objective, examples, words) = try Self.setup(weight: 1)
        var rng = SeededGenerator(seed: 0)
        let m = try objective.loss(examples, backward: false, scale: 1, rng: &rng).metrics
        let pass = try objective.model.forward(try PackedExamples(examples, padToken: 0).batch,
                                               images: try ImageBatch.concatenate(examples.compactMap(\.images)), visionOut: nil,
                                               caches: nil, training: false, rng: &rng)
        let logits = try #require(objective.model.imageTokenLogits(pass))
        let keys = examples.flatMap(\.imageKeys), v = logits.dim(1), perImage = logits.rows / keys.count
        var expected = 0.0, tokens = 0
        for (i, key) in keys.enumerated() {
            for (t, targets) in (words.targets[key] ?? []).enumerated() {
                let row = (0..<v).map { Double(logits[(i * perImage + t) * v + $0]) }
                let lse = log(row.map { exp($0) }.reduce(0, +))
                expected -= targets.reduce(0) { $0 + Double($1.probability) * (row[Int($1.token)] - lse) }
                tokens += 1
            }
        }
        expected /= Double(tokens)
        #expect(tokens > 0)
        #expect(abs(try #require(m["image_word_loss"]) - expected) < 1e-5 * expected, "\(m["image_word_loss"]!) vs \(expected)")
    }

    @Test func gradientsEqualFiniteDifferences() throws {
        let (objective, examples, _) = try Self.setup(weight: 0.7)
        let parameters = objective.model.parameters
        let gradients = try #require(parameters.gradients)
        for i in 0..<gradients.count { gradients[i] = 0 }
        var rng = SeededGenerator(seed: 0)
        _ = try objective.step(Array(examples.indices), scale: 1, rng: &rng)
        let analytic = gradients.array
        // without the word loss: the same step's gradients, to show the word loss's share is seen
        let (plain, plainExamples, _) = try Self.setup(weight: 0)
        let plainGradients = try #require(plain.model.parameters.gradients)
        for i in 0..<plainGradients.count { plainGradients[i] = 0 }
        _ = try plain.step(Array(plainExamples.indices), scale: 1, rng: &rng)

        var sampled: [Int] = []
        for name in ["model.connector.modality_projection.proj.weight", "model.text_model.embed_tokens.weight"] {
            let offset = parameters.offsets[try #require(parameters.specs.firstIndex { $0.name == name })], count = parameters[name].count
            // the largest entries of the word loss's share, where a missing term would show
            let share = (0..<count).sorted { abs(analytic[offset + $0] - plainGradients[offset + $0]) > abs(analytic[offset + $1] - plainGradients[offset + $1]) }
            sampled += share.prefix(12).map { offset + $0 }
        }
        var differs = 0
        for index in sampled {
            let saved = parameters.values[index], h: Float = 1e-2
            parameters.values[index] = saved + h
            let plus = try Self.total(objective, examples)
            parameters.values[index] = saved - h
            let minus = try Self.total(objective, examples)
            parameters.values[index] = saved
            let numeric = (plus - minus) / Double(2 * h), a = Double(analytic[index])
            #expect(abs(a - numeric) <= 2e-3 + 2e-2 * abs(numeric), "parameter \(index): \(a) vs \(numeric)")
            if abs(Double(plainGradients[index]) - numeric) > 2e-3 + 2e-2 * abs(numeric) { differs += 1 }
        }
        #expect(differs >= sampled.count / 2, "the word loss moved only \(differs) of \(sampled.count) gradients")
    }

    @Test func aTargetCountOtherThanTheImageTokensIsRefused() throws {
        let words = ImageTokenWords(targets: ["k#0": [[.init(token: 1, probability: 1)]]], weight: 1)
        #expect(throws: TrainingError.self) {
            _ = try words.evaluate(logits: Tensor(shape: [16, 10]), keys: ["k#0"], gradientScale: nil)
        }
    }
}
