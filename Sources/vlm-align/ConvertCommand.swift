import ArgumentParser
import Foundation
import VLM

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model folder's weights in another precision (e.g. fp16 to ship a small model).")

    @Option(help: "The model folder to read.") var model: String
    @Option(help: "The folder to write (its model.safetensors and config.json are replaced).") var out: String
    @Option(help: "f32, f16 or bf16.") var dtype = "f16"

    func run() throws {
        guard let type: SafetensorsDType = ["f32": .f32, "f16": .f16, "bf16": .bf16][dtype] else {
            throw ValidationError("--dtype \(dtype): use f32, f16 or bf16")
        }
        let source = URL(fileURLWithPath: model)
        try ModelFolder.save(try ModelFolder.load(source), to: URL(fileURLWithPath: out), companionsFrom: source, dtype: type)
        print("wrote \(out) in \(dtype)")
    }
}
