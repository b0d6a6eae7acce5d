import Foundation
import JSON
import Tensor
import Tokenization

/// LoRA adapters in PEFT's folder layout: `adapter_config.json` and `adapter_model.safetensors`
/// with keys `base_model.model.<module path>.lora_A.weight` / `.lora_B.weight`.
public enum PEFTFormat {
    static let prefix = "base_model.model."

    public static func save(_ adapters: Adapters, to folder: URL, baseModel: String) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let c = adapters.config
        let targets: JSONValue = switch c.targets {
        case .pattern(let p): .string(p)
        case .suffixes(let names): .array(names.map { .string($0) })
        }
        let config: JSONValue = .object([
            ("alpha_pattern", .object([])), ("base_model_name_or_path", .string(baseModel)), ("bias", .string("none")),
            ("fan_in_fan_out", .bool(false)), ("inference_mode", .bool(true)), ("init_lora_weights", .bool(true)),
            ("layers_pattern", .null), ("layers_to_transform", .null), ("lora_alpha", .double(Double(c.alpha))),
            ("lora_dropout", .double(Double(c.dropout))), ("modules_to_save", .null), ("peft_type", .string("LORA")),
            ("r", .int(c.rank)), ("rank_pattern", .object([])), ("target_modules", targets), ("task_type", .null),
            ("use_dora", .bool(false)), ("use_rslora", .bool(c.useRSLoRA)),
        ])
        try Data(config.serialized().utf8).write(to: folder.appendingPathComponent("adapter_config.json"), options: .atomic)
        let tensors = adapters.parameters.specs.map { (prefix + $0.name, adapters.parameters[$0.name]) }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("adapter_model.safetensors"))
    }

    /// Reads a PEFT LoRA folder and attaches its adapters to `model`.
    public static func load(_ folder: URL, into model: any VisionLanguageModel) throws -> Adapters {
        let configURL = folder.appendingPathComponent("adapter_config.json")
        guard let data = try? Data(contentsOf: configURL) else { throw ModelError(file: configURL.path, "cannot read") }
        guard let json = try? JSONValue(parsing: data), json.objectValue != nil else { throw ModelError(file: configURL.path, "not a JSON object") }
        let r = JSONReader(json, file: configURL.path, path: "")
        let type = try r.string("peft_type", default: "")
        guard type == "LORA" else { throw ModelError(file: configURL.path, "peft_type \(type): only LORA adapters are supported") }
        for (key, unsupported) in [("use_dora", "DoRA"), ("fan_in_fan_out", "fan_in_fan_out layers")] where try r.bool(key, default: false) {
            throw ModelError(file: configURL.path, "\(unsupported) is not supported")
        }
        for key in ["rank_pattern", "alpha_pattern"] where !(json[key]?.objectValue?.isEmpty ?? true) {
            throw ModelError(file: configURL.path, "\(key) is not supported")
        }
        let bias = try r.string("bias", default: "none")
        guard bias == "none" else { throw ModelError(file: configURL.path, "bias \(bias) is not supported (only none)") }
        let targets: LoRAConfig.Targets
        if let pattern = json["target_modules"]?.stringValue {
            targets = .pattern(pattern)
        } else if let names = json["target_modules"]?.arrayValue?.compactMap(\.stringValue) {
            targets = .suffixes(names)
        } else {
            throw ModelError(file: configURL.path, "target_modules must be a list of names or a regular expression")
        }
        var config = LoRAConfig(rank: try r.int("r", default: 8), alpha: Float(try r.double("lora_alpha", default: 8)),
                                dropout: Float(try r.double("lora_dropout", default: 0)), targets: targets)
        config.useRSLoRA = try r.bool("use_rslora", default: false)
        let adapters = try Adapters(model: model, config: config)
        let file = try SafetensorsFile(path: folder.appendingPathComponent("adapter_model.safetensors").path)
        var problems: [String] = []
        let expected = Set(adapters.parameters.names)
        for spec in adapters.parameters.specs {
            guard let entry = file.entries[prefix + spec.name] else {
                problems.append("missing \(prefix + spec.name) \(spec.shape)")
                continue
            }
            guard entry.shape == spec.shape else {
                problems.append("\(prefix + spec.name): expected shape \(spec.shape), found \(entry.shape)")
                continue
            }
            file.read(entry, into: adapters.parameters[spec.name].data)
        }
        for name in file.entries.keys.sorted() where !name.hasPrefix(prefix) || !expected.contains(String(name.dropFirst(prefix.count))) {
            problems.append("unexpected \(name)")
        }
        guard problems.isEmpty else {
            for layer in model.linearLayers where adapters.byPath[layer.path] != nil { layer.lora = nil }
            throw ModelError(file: file.path, "adapter does not match the model:\n  " + problems.joined(separator: "\n  "))
        }
        return adapters
    }
}
