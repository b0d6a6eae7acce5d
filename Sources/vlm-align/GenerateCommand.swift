import ArgumentParser
import Foundation
import Imaging
import Tokenization
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
    var prompt: String

    @Option(help: "0 answers greedily; above 0 samples.")
    var temperature: Float = 0

    @Option(name: .customLong("top-p"), help: "Nucleus sampling: keep the most likely tokens up to this mass.")
    var topP: Float = 1

    @Option(name: .customLong("top-k"), help: "Keep only the k most likely tokens (0: all).")
    var topK = 0

    @Option(help: "Seed of the sampler.")
    var seed: UInt64 = 0

    @Option(name: .customLong("max-new-tokens"), help: "Longest answer in tokens.")
    var maxNewTokens = 64

    @Flag(help: "Print one JSON object with the answer and its token ids.")
    var json = false

    func run() throws {
        let (model, processor, _) = try model.load()
        let images = try image.map { [try RGBImage(contentsOf: URL(fileURLWithPath: $0))] } ?? []
        let text: String
        if processor.chatTemplate != nil {
            var content: [JSONValue] = images.map { _ in .object([("type", .string("image"))]) }
            content.append(.object([("type", .string("text")), ("text", .string(prompt))]))
            text = try processor.render([.object([("role", .string("user")), ("content", .array(content))])], addGenerationPrompt: true)
        } else {
            text = prompt.contains(Idefics3Prompt.imageToken) || images.isEmpty ? prompt : Idefics3Prompt.imageToken + prompt
        }
        let encoded = try processor.encodePrompt(text, images: images)
        let settings = SamplingSettings(temperature: temperature, topK: topK, topP: topP, seed: seed,
                                        maxNewTokens: maxNewTokens, stopTokens: processor.stopTokens)
        let tokens = try Generator.generate(model, prompts: [GenerationPrompt(tokens: encoded.tokens, images: encoded.images)],
                                            settings: settings, padToken: processor.padToken)[0]
        let answer = try processor.tokenizer.decode(tokens.map(Int.init), skipSpecialTokens: true)
        if json {
            print("{\"answer\":\(jsonString(answer)),\"tokens\":[\(tokens.map(String.init).joined(separator: ","))]}")
        } else {
            print(answer)
        }
    }
}
