import Foundation
import Testing
@testable import VLM

/// Fresh weights follow transformers' schemes: LLaMA's N(0, 0.02²) for the decoder and
/// connector, SigLIP's for the vision tower.
@Suite(.timeLimit(.minutes(10))) struct InitialWeightsTests {
    /// A ShapesWorld-sized model: tensors large enough that sample statistics are tight.
    static func config() throws -> Idefics3Config {
        let json = """
        {"model_type": "idefics3", "image_token_id": 5, "scale_factor": 2, "tie_word_embeddings": true, "pad_token_id": 3,
         "vision_config": {"hidden_size": 128, "intermediate_size": 512, "num_hidden_layers": 2, "num_attention_heads": 4,
                           "image_size": 64, "patch_size": 8},
         "text_config": {"hidden_size": 128, "intermediate_size": 512, "num_hidden_layers": 2, "num_attention_heads": 4,
                         "num_key_value_heads": 2, "vocab_size": 135, "pad_token_id": 3, "initializer_range": 0.02}}
        """
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("init-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(json.utf8).write(to: url)
        return try Idefics3Config(contentsOf: url)
    }

    static func stats(_ model: Idefics3Model, _ name: String) -> (mean: Double, std: Double, maxAbs: Double) {
        let values = model.parameters[name].array.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot(), values.map(abs).max() ?? 0)
    }

    @Test func eachTensorFollowsItsScheme() throws {
        let model = Idefics3Model.initialize(try Self.config(), seed: 3)
        func expectStd(_ name: String, _ expected: Double, sourceLocation: SourceLocation = #_sourceLocation) {
            let s = Self.stats(model, name)
            #expect(abs(s.std / expected - 1) < 0.05, "\(name): std \(s.std), expected \(expected)", sourceLocation: sourceLocation)
            #expect(abs(s.mean) < 0.1 * expected, "\(name): mean \(s.mean)", sourceLocation: sourceLocation)
        }
        let v = "model.vision_model", t = "model.text_model"
        // decoder and connector: N(0, 0.02²)
        for name in ["\(t).layers.0.self_attn.q_proj.weight", "\(t).layers.1.mlp.down_proj.weight",
                     "model.connector.modality_projection.proj.weight"] {
            expectStd(name, 0.02)
        }
        // vision tower: LeCun normal (fan_in 3·8·8), N(0, 1/128), Xavier uniform
        expectStd("\(v).embeddings.patch_embedding.weight", (1.0 / 192).squareRoot() / 0.87962566103423978)
        expectStd("\(v).embeddings.position_embedding.weight", (1.0 / 128).squareRoot())
        for (name, fanSum) in [("\(v).encoder.layers.0.self_attn.k_proj.weight", 256.0), ("\(v).encoder.layers.1.mlp.fc1.weight", 640.0)] {
            let bound = (6 / fanSum).squareRoot()
            expectStd(name, bound / 3.0.squareRoot())
            #expect(Self.stats(model, name).maxAbs <= bound)
        }
        #expect(Self.stats(model, "\(v).encoder.layers.0.mlp.fc1.bias").maxAbs < 1e-5)
        #expect(Self.stats(model, "\(v).encoder.layers.0.self_attn.q_proj.bias").maxAbs == 0)
        #expect(model.parameters["\(v).post_layernorm.weight"].array.allSatisfy { $0 == 1 })
        #expect(model.parameters["\(t).norm.weight"].array.allSatisfy { $0 == 1 })
        // the padding token's embedding is zero, as nn.Embedding(padding_idx:) leaves it
        let embed = model.parameters[Idefics3Model.embedPath].array
        #expect(embed[(3 * 128)..<(4 * 128)].allSatisfy { $0 == 0 })
        #expect(embed[(2 * 128)..<(3 * 128)].contains { $0 != 0 })
    }

    @Test func theSeedDecides() throws {
        let config = try Self.config()
        let a = Idefics3Model.initialize(config, seed: 3).parameters.values.array
        #expect(a == Idefics3Model.initialize(config, seed: 3).parameters.values.array)
        #expect(a != Idefics3Model.initialize(config, seed: 4).parameters.values.array)
    }
}
