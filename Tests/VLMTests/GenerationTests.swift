import Foundation
import Interchange
import JSON
import Tensor
import Testing
import Tokenization
@testable import VLM

@Suite(.timeLimit(.minutes(10))) struct GenerationTests {
    static func prompts(_ fixture: FixtureModel, _ model: Idefics3Model) throws -> [GenerationPrompt] {
        let images = try fixture.images(size: model.config.vision.patches)
        let tile = images.pixels.count / images.pixels.dim(0), patches = images.patchMask.dim(1)
        return fixture.ids.enumerated().map { row, ids in
            let real = zip(ids, fixture.attentionMask[row]).filter { $0.1 == 1 }.map(\.0)
            let pixels = Tensor(shape: [1] + Array(images.pixels.shape.dropFirst()))
            pixels.data.update(from: images.pixels.data + row * tile, count: tile)
            return GenerationPrompt(tokens: real, images: ImageBatch(pixels: pixels, patchMask: Tensor(shape: [1, patches], values: [Float](repeating: 1, count: patches))))
        }
    }

    /// Greedy decoding of a left-padded batch with the KV cache gives transformers' tokens.
    @Test(arguments: FixtureModel.names)
    func greedyBatchMatchesTransformersGenerate(name: String) throws {
        let fixture = try FixtureModel(name)
        let model = try Idefics3Model.load(fixture.folder)
        let inputs = try JSONValue(parsing: Data(contentsOf: fixture.folder.appendingPathComponent("inputs.json")))
        guard let rows = inputs["generated"]?.arrayValue else { Issue.record("fixture has no generated tokens"); return }
        let expected = rows.map { ($0.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) } }
        let out = try Generator.generate(model, prompts: try Self.prompts(fixture, model), settings: SamplingSettings(maxNewTokens: 8))
        #expect(out == expected)
    }

    /// A prompt generates the same alone as in a batch with a longer one (padding is invisible),
    /// and generation stops at a stop token.
    @Test func batchingAndStopping() throws {
        let fixture = try FixtureModel("gqa-untied")
        let model = try Idefics3Model.load(fixture.folder)
        let prompts = try Self.prompts(fixture, model)
        var steps: [Int] = []
        let both = try Generator.generate(model, prompts: prompts, settings: SamplingSettings(maxNewTokens: 6)) { steps.append($0) }
        #expect(steps == Array(1...6), "onStep hears the prompts' encoding and each of the five steps after it")
        let alone = try Generator.generate(model, prompts: [prompts[1]], settings: SamplingSettings(maxNewTokens: 6))
        #expect(alone[0] == both[1])
        let stop = both[0][2]
        let stopped = try Generator.generate(model, prompts: [prompts[0]], settings: SamplingSettings(maxNewTokens: 6, stopTokens: [stop]))
        #expect(stopped[0] == Array(both[0].prefix(3)))
        steps = []
        _ = try Generator.generate(model, prompts: [prompts[0]], settings: SamplingSettings(maxNewTokens: 6, stopTokens: [stop])) { steps.append($0) }
        #expect(steps == [1, 2, 3], "no step runs after the last token")
    }
}
