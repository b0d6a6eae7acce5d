import ArgumentParser
import Foundation
import JSON
import Tokenization
import VLM

/// A model folder and, optionally, a PEFT adapter on it: what every model command loads.
struct ModelOptions: ParsableArguments {
    @Option(help: "Hugging Face model folder (Idefics3 / SmolVLM).")
    var model: String

    @Option(help: "PEFT LoRA adapter folder to apply on the model.")
    var adapter: String?

    var folder: URL { URL(fileURLWithPath: model) }

    /// The model, its processor, and the adapter when one was given.
    func load() throws -> (any VisionLanguageModel, any Processor, Adapters?) {
        let model = try ModelFolder.load(folder)
        let processor = try model.processor(folder: folder)
        let adapters = try adapter.map { try PEFTFormat.load(URL(fileURLWithPath: $0), into: model) }
        return (model, processor, adapters)
    }
}

/// Numbers as JSON writes them: integers without a fraction, non-finite values as null.
func jsonNumber(_ v: Double) -> String {
    guard v.isFinite else { return "null" }
    return v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
}

/// A JSON string literal.
func jsonString(_ s: String) -> String { JSONValue.string(s).serialized(indent: 0) }
