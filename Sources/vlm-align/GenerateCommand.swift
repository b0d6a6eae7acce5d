import ArgumentParser
import Foundation
import Imaging
import JSON
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
        let settings = SamplingSettings(temperature: temperature, topK: topK, topP: topP, seed: seed,
                                        maxNewTokens: maxNewTokens, stopTokens: processor.stopTokens)
        if let data {
            try answerAll(URL(fileURLWithPath: data), model: model, processor: processor, settings: settings)
            return
        }
        guard let prompt else { throw ValidationError("give --prompt (with --image), or --data") }
        let images = try image.map { [try RGBImage(contentsOf: URL(fileURLWithPath: $0))] } ?? []
        let encoded = try Self.encode(messages: nil, text: prompt, images: images, processor: processor)
        let tokens = try Generator.generate(model, prompts: [encoded], settings: settings, padToken: processor.padToken)[0]
        let answer = try processor.tokenizer.decode(tokens.map(Int.init), skipSpecialTokens: true)
        if json {
            print("{\"answer\":\(jsonString(answer)),\"tokens\":[\(tokens.map(String.init).joined(separator: ","))]}")
        } else {
            print(answer)
        }
    }

    /// A prompt for the model: a conversation (or a plain question made one) through the chat
    /// template with the generation prompt; without a template, the text as written.
    static func encode(messages: [JSONValue]?, text: String, images: [RGBImage], processor: any Processor) throws -> GenerationPrompt {
        let rendered: String
        if processor.chatTemplate != nil {
            var conversation = messages ?? []
            if messages == nil {
                var content: [JSONValue] = images.map { _ in .object([("type", .string("image"))]) }
                content.append(.object([("type", .string("text")), ("text", .string(text))]))
                conversation = [.object([("role", .string("user")), ("content", .array(content))])]
            }
            rendered = try processor.render(conversation, addGenerationPrompt: true)
        } else {
            rendered = text.contains(processor.imagePlaceholder) || images.isEmpty ? text : processor.imagePlaceholder + text
        }
        let encoded = try processor.encodePrompt(rendered, images: images)
        return GenerationPrompt(tokens: encoded.tokens, images: encoded.images)
    }

    func answerAll(_ url: URL, model: any VisionLanguageModel, processor: any Processor, settings: SamplingSettings) throws {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        var output = ""
        for start in stride(from: 0, to: lines.count, by: max(batchSize, 1)) {
            var ids: [JSONValue] = [], prompts: [GenerationPrompt] = []
            for (offset, line) in lines[start..<min(lines.count, start + max(batchSize, 1))].enumerated() {
                let number = start + offset + 1
                let row: JSONValue
                do { row = try JSONValue(parsing: String(line)) } catch { throw ValidationError("\(url.path):\(number): not valid JSON: \(error)") }
                let paths = row["images"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let images = try paths.map { try RGBImage(contentsOf: url.deletingLastPathComponent().appendingPathComponent($0)) }
                let prompt = row["prompt"] ?? row["text"]
                guard let prompt else { throw ValidationError("\(url.path):\(number): needs prompt (text or messages)") }
                prompts.append(try Self.encode(messages: prompt.arrayValue, text: prompt.stringValue ?? "", images: images, processor: processor))
                ids.append(row["id"] ?? .int(number - 1))
            }
            let answers = try Generator.generate(model, prompts: prompts, settings: settings, padToken: processor.padToken)
            for (id, tokens) in zip(ids, answers) {
                let text = try processor.tokenizer.decode(tokens.map(Int.init), skipSpecialTokens: true)
                output += "{\"id\":\(id.serialized(indent: 0)),\"answer\":\(jsonString(text))}\n"
            }
        }
        if let out { try Data(output.utf8).write(to: URL(fileURLWithPath: out), options: .atomic) } else { print(output, terminator: "") }
    }
}
