import Foundation
import Imaging
import Interchange
import JSON
import Tokenization
import VLM

/// TRL's SFT JSONL, in either of its two forms, with `images` (paths relative to the file):
///
/// - prompt–completion (`prompt`, `completion`: strings or message lists): the completion is
///   learned, as SFTTrainer's completion-only loss;
/// - conversational language modeling (`messages`): every assistant turn is learned, as
///   SFTTrainer's `assistant_only_loss`. A turn is what the chat template adds for it after the
///   generation prompt (its answer and end of turn), found by rendering the conversation turn
///   by turn, so the template needs no `{% generation %}` markers.
///
/// Images go to the first user message, as TRL's `prepare_multimodal_messages` places them.
public enum SupervisedDataset {
    /// Every row of a file as examples; a bad row is an error naming the file and the line.
    public static func examples(_ url: URL, processor: any Processor) throws -> [SupervisedExample] {
        var examples: [SupervisedExample] = []
        // rows of one image hold one copy of its tiles (an SFT set asks many questions per image)
        var tilesByKeys: [[String]: ImageBatch] = [:]
        var decoded: (urls: [URL], images: [KeyedImage]) = ([], [])
        for row in try JSONLines.read(url) {
            let json = try row.object(), urls = try row.images(of: json)
            do {
                // consecutive rows of one image (a scene's questions) decode it once
                if urls != decoded.urls { decoded = (urls, try urls.map { try KeyedImage(contentsOf: $0) }) }
                let images = decoded.images
                var example: SupervisedExample
                if let messages = json["messages"] {
                    guard let list = try ChatValue(json: messages, field: "messages").messages else {
                        throw TrainingError("messages must be a list of messages")
                    }
                    example = try conversation(list, images: images, processor: processor)
                } else if let prompt = json["prompt"], let completion = json["completion"] {
                    example = try promptCompletion(try ChatValue(json: prompt, field: "prompt"), try ChatValue(json: completion, field: "completion"),
                                                   images: images, processor: processor)
                } else {
                    throw TrainingError("needs messages, or prompt and completion")
                }
                if !example.imageKeys.isEmpty {
                    if let tiles = tilesByKeys[example.imageKeys] { example.images = tiles } else { tilesByKeys[example.imageKeys] = example.images }
                }
                examples.append(example)
            } catch let error as TrainingError {
                throw row.error(error.description)
            } catch {
                throw row.error("\(error)")
            }
        }
        return examples
    }

    /// A prompt–completion row: the prompt (with the generation prompt, conversational or plain
    /// text) is context, the completion is learned.
    static func promptCompletion(_ prompt: ChatValue, _ completion: ChatValue, images: [KeyedImage],
                                 processor: any Processor) throws -> SupervisedExample {
        if case let .plain(text) = prompt {
            guard case let .plain(answer) = completion else { throw TrainingError("a plain-text prompt needs a plain-text completion") }
            return try tokenize([(text, answer)], images: images, processor: processor)
        }
        guard let promptMessages = prompt.messages, let completionMessages = completion.messages else {
            throw TrainingError("prompt and completion must both be strings or both be lists of messages")
        }
        let messages = PreferenceDataset.structured(promptMessages, images: images.count)
        let whole = try processor.render(messages + PreferenceDataset.structured(completionMessages, images: 0), addGenerationPrompt: false)
        let context = PreferenceDataset.commonPrefix(try processor.render(messages, addGenerationPrompt: true), whole)
        return try tokenize([(context, String(whole.unicodeScalars.dropFirst(context.unicodeScalars.count)))],
                            images: images, processor: processor)
    }

    /// A conversation: the text before each assistant turn is context, each turn is learned.
    static func conversation(_ list: [ChatMessage], images: [KeyedImage], processor: any Processor) throws -> SupervisedExample {
        let messages = PreferenceDataset.structured(list, images: images.count)
        var segments: [(context: String, answer: String)] = [], rendered = ""
        for (i, message) in messages.enumerated() where message.role == "assistant" {
            guard i > 0 else { throw TrainingError("the conversation starts with an assistant turn: nothing before it to learn it from") }
            let through = try processor.render(Array(messages[...i]), addGenerationPrompt: false)
            // as TRL: the generation prompt is what the prompt and the answered prompt share
            let before = PreferenceDataset.commonPrefix(try processor.render(Array(messages[..<i]), addGenerationPrompt: true), through)
            guard before.unicodeScalars.starts(with: rendered.unicodeScalars) else {
                throw TrainingError("the chat template renders message \(i + 1) differently once later turns follow it")
            }
            segments.append((String(before.unicodeScalars.dropFirst(rendered.unicodeScalars.count)),
                             String(through.unicodeScalars.dropFirst(before.unicodeScalars.count))))
            rendered = through
        }
        guard !segments.isEmpty else { throw TrainingError("the messages have no assistant turn to learn from") }
        return try tokenize(segments, images: images, processor: processor)
    }

    /// Context and answer texts tokenized in order (as TRL tokenizes a prompt and its completion
    /// apart), each context with the images whose placeholders it holds; the answers are learned.
    static func tokenize(_ segments: [(context: String, answer: String)], images: [KeyedImage],
                         processor: any Processor) throws -> SupervisedExample {
        var tokens: [Int32] = [], learned: [Range<Int>] = [], batches: [ImageBatch] = [], keys: [String] = [], used = 0
        for (context, answer) in segments {
            let placeholders = context.components(separatedBy: processor.imagePlaceholder).count - 1
            guard used + placeholders <= images.count else {
                throw TrainingError("the text holds more image placeholders than the row has images (\(images.count))")
            }
            let chunk = Array(images[used..<(used + placeholders)])
            let encoded = try processor.encodePrompt(context, images: chunk.map(\.image))
            for (image, tiles) in zip(chunk, encoded.tiles) {
                // one image's keys are its shared array as they are: no copy per row
                let tileKeys = image.keys(tiles: tiles)
                keys = keys.isEmpty ? tileKeys : keys + tileKeys
            }
            if let batch = encoded.images { batches.append(batch) }
            used += placeholders
            tokens += encoded.tokens
            let start = tokens.count
            tokens += try processor.encode(answer)
            learned.append(start..<tokens.count)
        }
        guard used == images.count else {
            throw TrainingError("the row has \(images.count) images but the text before its last answer holds \(used) placeholders")
        }
        return SupervisedExample(tokens: tokens, learned: learned, images: try ImageBatch.concatenate(batches), imageKeys: keys)
    }
}
