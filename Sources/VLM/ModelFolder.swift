import Foundation
import Tensor
import Tokenization

/// A Hugging Face model folder of an Idefics3 / SmolVLM model: reading and writing.
public enum ModelFolder {
    /// Loads config.json and the weights; every mismatch is reported by name. With
    /// `quantize`, those linear weights are stored in NF4 as they are read (QLoRA's base).
    public static func load(_ folder: URL, quantize: Quantization? = nil) throws -> Idefics3Model {
        let config = try ModelConfig(contentsOf: folder.appendingPathComponent("config.json"))
        let parameters = quantize?.parameterSet(config) ?? ParameterSet(Idefics3Model.specs(config))
        let files = try WeightFiles(folder: folder)
        try files.load(into: parameters, aliases: sanitizeAliases(config))
        return Idefics3Model(config: config, parameters: parameters)
    }

    /// A model with fresh weights, drawn as transformers draws them (`InitialWeights`), for
    /// training a small model from scratch (e.g. on ShapesWorld).
    public static func initialize(_ config: ModelConfig, seed: UInt64) -> Idefics3Model {
        let parameters = ParameterSet(Idefics3Model.specs(config))
        InitialWeights.fill(parameters, config: config, seed: seed)
        return Idefics3Model(config: config, parameters: parameters)
    }

    /// Checkpoint quirks, in one place: a tied model's files may carry `lm_head.weight` as well
    /// (older writers saved both); it is then an alias, not an unexpected tensor.
    static func sanitizeAliases(_ config: ModelConfig) -> [String: String] {
        config.tieWordEmbeddings ? [Idefics3Model.embedPath: Idefics3Model.headPath] : [:]
    }

    /// Writes config.json and model.safetensors (fp32) for `model`; the other files of
    /// `companionsFrom` (tokenizer, processor, chat template, generation config) are copied.
    public static func save(_ model: Idefics3Model, to folder: URL, companionsFrom source: URL? = nil) throws {
        guard model.parameters.quantizedSpecs.isEmpty else {
            throw ModelError(file: folder.path, "the model's base is quantized to NF4: save its adapters, or load the base without quantization to save full weights")
        }
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = model.config.raw.setting("architectures", to: .array([.string("Idefics3ForConditionalGeneration")]))
        try Data(config.serialized().utf8).write(to: folder.appendingPathComponent("config.json"), options: .atomic)
        let tensors = model.parameters.specs.map { ($0.name, model.parameters[$0.name]) }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
        guard let source, source.standardizedFileURL != folder.standardizedFileURL else { return }
        for name in companionFiles where fm.fileExists(atPath: source.appendingPathComponent(name).path) {
            let target = folder.appendingPathComponent(name)
            try? fm.removeItem(at: target)
            try fm.copyItem(at: source.appendingPathComponent(name), to: target)
        }
    }

    /// The files of a model folder that are not weights or config.
    public static let companionFiles = [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "vocab.json", "merges.txt", "chat_template.json", "chat_template.jinja",
        "preprocessor_config.json", "processor_config.json", "generation_config.json",
    ]
}
