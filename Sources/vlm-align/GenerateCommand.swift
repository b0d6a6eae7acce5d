import ArgumentParser
import Foundation
import Imaging
import JSON
import Tokenization
import Runs
import VLM

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a prompt about an image.",
        discussion: """
            With a chat template the prompt becomes a user turn holding the image and the text, \
            followed by the assistant's generation prompt; without one, the prompt is used as \
            written (put <image> where the image goes).
            """
    )

    @OptionGroup var model: ModelOptions

    @Option(help: "PNG or JPEG image.")
    var image: String?

    @Option(help: "The question or instruction.")
    var prompt: String?

    @Option(help: "Answer every row of a JSONL file instead (id, images relative to the file, prompt as text or messages).")
    var data: String?

    @Option(help: "With --data: where to write one {\"id\", \"answer\"} line per row (default: standard output).")
    var out: String?

    @Option(name: .customLong("batch-size"), help: "With --data: prompts answered together.")
    var batchSize = 8

    @Option(help: "0 answers greedily; above 0 samples.")
    var temperature: Float = 0

    @Option(name: .customLong("top-p"), help: "Nucleus sampling: keep the most likely tokens up to this mass.")
    var topP: Float = 1

    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens and any tied with the k-th (0: all), as transformers does.")
    var topK = 0

    @Option(help: "Seed of the sampler.")
    var seed: UInt64 = 0

    @Option(name: .customLong("max-new-tokens"), help: "Longest answer in tokens.")
    var maxNewTokens = 64

    @Flag(help: "Print one JSON object with the answer and its token ids.")
    var json = false

    func run() throws {
        let (model, processor, _) = try model.load()
        let settings = SamplingSettings(temperature: temperature, topK: topK, topP: topP, seed: seed,
                                        maxNewTokens: maxNewTokens, stopTokens: processor.stopTokens)
        if let data {
            let answers = try Answers.generate(URL(fileURLWithPath: data), model: model, processor: processor, settings: settings,
                                               batchSize: batchSize)
            let lines = answers.map { "{\"id\":\($0.id.serialized(indent: 0)),\"answer\":\(jsonString($0.text))}\n" }.joined()
            if let out { try Data(lines.utf8).write(to: URL(fileURLWithPath: out), options: .atomic) } else { print(lines, terminator: "") }
            return
        }
        guard let prompt else { throw ValidationError("give --prompt (with --image), or --data") }
        let images = try image.map { [try RGBImage(contentsOf: URL(fileURLWithPath: $0))] } ?? []
        let encoded = try processor.generationPrompt(.plain(prompt), images: images)
        let tokens = try Generator.generate(model, prompts: [encoded], settings: settings, padToken: processor.padToken)[0]
        let answer = try processor.decodeAnswer(tokens)
        if json {
            print("{\"answer\":\(jsonString(answer)),\"tokens\":[\(tokens.map(String.init).joined(separator: ","))]}")
        } else {
            print(answer)
        }
    }

}
