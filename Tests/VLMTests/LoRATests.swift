import Foundation
import Interchange
import Tensor
import Testing
@testable import VLM

@Suite(.timeLimit(.minutes(10))) struct LoRATests {
    static let loraFolder = FixtureModel.folder("gqa-untied").appendingPathComponent("lora")

    static func maxError(_ a: Tensor, _ b: Tensor) -> (Float, Float) {
        var worst: Float = 0, largest: Float = 0
        for i in 0..<a.count {
            worst = max(worst, abs(a[i] - b[i]))
            largest = max(largest, abs(b[i]))
        }
        return (worst, largest)
    }

    /// The logits of all rows of the fixture batch.
    static func logits(_ model: Idefics3Model, _ fixture: FixtureModel) throws -> Tensor {
        var rng = SeededGenerator(seed: 0)
        let pass = try model.forward(fixture.batch, images: try fixture.images(size: model.config.vision.patches), rng: &rng)
        return model.logits(pass, rows: Array(0..<fixture.batch.tokens.count))
    }

    /// Rows of real (unpadded) tokens only.
    static func realRows(_ fixture: FixtureModel) -> [Int] {
        (0..<fixture.batch.tokens.count).filter { fixture.attentionMask[$0 / fixture.batch.length][$0 % fixture.batch.length] == 1 }
    }

    static func compareRealRows(_ logits: Tensor, _ expected: Tensor, _ fixture: FixtureModel, vocab: Int, _ what: String) {
        var worst: Float = 0, largest: Float = 0
        for r in realRows(fixture) {
            for j in 0..<vocab {
                worst = max(worst, abs(logits[r * vocab + j] - expected[r * vocab + j]))
                largest = max(largest, abs(expected[r * vocab + j]))
            }
        }
        #expect(worst <= 1e-4 * largest, "\(what): error \(worst) of \(largest)")
    }

    @Test func peftAdapterMatchesPEFTForwardBackwardMergeAndDisable() throws {
        let fixture = try FixtureModel("gqa-untied")
        let model = try Idefics3Model.load(fixture.folder)
        let adapters = try PEFTFormat.load(Self.loraFolder, into: model)
        #expect(adapters.byPath.count == 2 * 7)
        #expect(adapters.byPath.keys.allSatisfy { $0.contains("text_model") })
        let expected = try SafetensorsFile(path: fixture.folder.appendingPathComponent("lora-expected.safetensors").path)
        let vocab = model.config.text.vocabSize

        // forward with adapters
        let adapted = try Self.logits(model, fixture)
        Self.compareRealRows(adapted, try expected.tensor("logits"), fixture, vocab: vocab, "adapted logits")

        // gradients of every lora_A / lora_B
        try fixture.lossAndBackward(model)
        var failures: [String] = []
        for spec in adapters.parameters.specs {
            let (worst, largest) = Self.maxError(adapters.parameters.gradient(spec.name)!, try expected.tensor("grad.\(spec.name)"))
            if worst > 1e-3 * largest { failures.append("\(spec.name): \(worst) of \(largest)") }
        }
        #expect(failures.isEmpty, "LoRA gradients differ:\n\(failures.joined(separator: "\n"))")
        #expect(model.parameters.gradients == nil, "the base model must stay frozen")

        // disabled adapters give the base model
        adapters.setEnabled(false)
        let base = try Self.logits(model, fixture)
        Self.compareRealRows(base, try fixture.expected.tensor("logits"), fixture, vocab: vocab, "adapters disabled")
        adapters.setEnabled(true)

        // merged weights give what PEFT's merge_and_unload gives
        try adapters.merge(into: model)
        #expect(model.linearLayers.allSatisfy { $0.lora == nil })
        let merged = try Self.logits(model, fixture)
        Self.compareRealRows(merged, try expected.tensor("merged_logits"), fixture, vocab: vocab, "merged logits")
    }

    @Test func savedAdaptersRoundTripThroughPEFTLayout() throws {
        let fixture = try FixtureModel("gqa-untied")
        let model = try Idefics3Model.load(fixture.folder)
        let adapters = try PEFTFormat.load(Self.loraFolder, into: model)
        let dir = try SafetensorsTests.temporaryDirectory()
        try PEFTFormat.save(adapters, to: dir, baseModel: "gqa-untied")
        let saved = try SafetensorsFile(path: dir.appendingPathComponent("adapter_model.safetensors").path)
        let original = try SafetensorsFile(path: Self.loraFolder.appendingPathComponent("adapter_model.safetensors").path)
        #expect(Set(saved.entries.keys) == Set(original.entries.keys), "PEFT key names")
        let other = try Idefics3Model.load(fixture.folder)
        let again = try PEFTFormat.load(dir, into: other)
        #expect(again.parameters.values.array == adapters.parameters.values.array)
        #expect(again.config == adapters.config)
    }

    @Test func newAdaptersStartAtTheBaseModelAndTargetOnlyTheDecoder() throws {
        let fixture = try FixtureModel("gqa-untied")
        let model = try Idefics3Model.load(fixture.folder)
        let before = try Self.logits(model, fixture)
        let adapters = try Adapters(attachingTo: model, config: LoRAConfig(rank: 2, alpha: 4, targets: model.loraTargets(LoRAConfig.decoderProjections, includeVision: false)), seed: 3)
        #expect(adapters.byPath.count == 14)
        #expect(model.vision.layers.allSatisfy { $0.linears.allSatisfy { $0.lora == nil } })
        let after = try Self.logits(model, fixture)
        #expect(after.array == before.array, "B = 0 leaves the model unchanged")
        let withVision = LoRAConfig(rank: 2, alpha: 4, targets: model.loraTargets(["q_proj"], includeVision: true))
        #expect(withVision.targets("model.vision_model.encoder.layers.0.self_attn.q_proj"))
        #expect(LoRAConfig(rank: 2, alpha: 4, targets: .suffixes(["q_proj"])).targets("model.text_model.layers.1.self_attn.q_proj"))
        #expect(!LoRAConfig(rank: 2, alpha: 4, targets: .suffixes(["q_proj"])).targets("model.text_model.layers.1.self_attn.o_proj"))
    }

    @Test func mismatchedAdaptersAreRefusedByName() throws {
        let model = try Idefics3Model.load(FixtureModel.folder("mha-tied"))
        #expect {
            _ = try PEFTFormat.load(Self.loraFolder, into: model)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("adapter_model.safetensors") && text.contains("expected shape")
        }
        #expect(model.linearLayers.allSatisfy { $0.lora == nil }, "a refused adapter leaves the model as it was")
    }
}
