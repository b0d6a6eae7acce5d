import Foundation
import Tensor
import JSON

/// A Hugging Face model folder: which family reads it, and writing one.
public enum ModelFolder {
    /// The model of the folder, by config.json's `model_type`. With `quantize`, the frozen
    /// base's linear weights are stored in NF4 as they are read (QLoRA).
    public static func load(_ folder: URL, quantize: Quantization? = nil) throws -> any VisionLanguageModel {
        try family(folder).load(folder, quantize)
    }

    /// A model of the folder's config.json with fresh weights, for training from scratch.
    public static func initialize(_ folder: URL, seed: UInt64) throws -> any VisionLanguageModel {
        try family(folder).initialize(folder, seed)
    }

    /// The model of the folder's config.json, described without its weights.
    public static func shape(_ folder: URL) throws -> ModelShape {
        try family(folder).shape(folder)
    }

    /// The folder's processor (tokenizer, chat template, images), without the model's weights.
    public static func processor(_ folder: URL) throws -> any Processor {
        try family(folder).processor(folder)
    }

    /// The family that reads the folder: config.json's `model_type`.
    static func family(_ folder: URL) throws -> Family {
        let url = folder.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError(file: url.path, "cannot read: \(error.localizedDescription)")
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: data) } catch { throw ModelError(file: url.path, "not valid JSON: \(error)") }
        let type = json["model_type"]?.stringValue ?? "idefics3"
        guard let family = families.first(where: { $0.modelTypes.contains(type) }) else {
            throw ModelError(file: url.path, "model_type \(type) is not a supported family (\(families.flatMap(\.modelTypes).joined(separator: ", ")))")
        }
        return family
    }

    /// A model family: the `model_type`s it reads, and how it loads and initializes a model.
    struct Family: Sendable {
        let modelTypes: [String]
        let load: @Sendable (URL, Quantization?) throws -> any VisionLanguageModel
        let initialize: @Sendable (URL, UInt64) throws -> any VisionLanguageModel
        let shape: @Sendable (URL) throws -> ModelShape
        let processor: @Sendable (URL) throws -> any Processor
    }

    static let families = [
        Family(modelTypes: ["idefics3", "smolvlm"], load: { try Idefics3Model.load($0, quantize: $1) },
               initialize: { try Idefics3Model.initialize(folder: $0, seed: $1) },
               shape: { Idefics3Model.shape(try Idefics3Config(contentsOf: $0.appendingPathComponent("config.json"))) },
               processor: { try Idefics3Processor(folder: $0, config: Idefics3Config(contentsOf: $0.appendingPathComponent("config.json"))) }),
        Family(modelTypes: Qwen2VLConfig.modelTypes, load: { try Qwen2VLModel.load($0, quantize: $1) },
               initialize: { Qwen2VLModel.initialize(try Qwen2VLConfig(contentsOf: $0.appendingPathComponent("config.json")), seed: $1) },
               shape: { Qwen2VLModel.shape(try Qwen2VLConfig(contentsOf: $0.appendingPathComponent("config.json"))) },
               processor: { try Qwen2VLProcessor(folder: $0, config: Qwen2VLConfig(contentsOf: $0.appendingPathComponent("config.json"))) }),
    ]

    /// Writes config.json and model.safetensors (fp32 unless `dtype` says otherwise) for
    /// `model`; the other files of `companionsFrom` (tokenizer, processor, chat template,
    /// generation config) are copied.
    public static func save(_ model: any VisionLanguageModel, to folder: URL, companionsFrom source: URL? = nil,
                            dtype: SafetensorsDType = .f32) throws {
        guard model.parameters.quantizedSpecs.isEmpty else {
            throw ModelError(file: folder.path, "the model's base is quantized to NF4: save its adapters, or load the base without quantization to save full weights")
        }
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(model.configJSON.serialized().utf8).write(to: folder.appendingPathComponent("config.json"), options: .atomic)
        let tensors = model.parameters.specs.map { (model.checkpointKey(of: $0.name), model.parameters[$0.name]) }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], dtype: dtype, to: folder.appendingPathComponent("model.safetensors"))
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
