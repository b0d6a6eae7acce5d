import Foundation
import Imaging
import Interchange
import JSON
import Tokenization
import VLM

/// TRL's vision preference JSONL: one object per line with `images` (paths relative to the
/// file), `prompt`, `chosen` and `rejected`, each a string or a conversational message list.
/// Rows become `PreferencePair`s exactly as TRL's `DPOTrainer` builds its sequences: the
/// conversation through the chat template (prompt with the generation prompt; each answer the
/// rest of prompt + answer), the prompt through the processor, answers appended, no EOS added.
public enum PreferenceDataset {
    public struct Row: Sendable {
        public var images: [URL]
        public var prompt: ChatValue
        public var chosen: ChatValue
        public var rejected: ChatValue

        public init(images: [URL], prompt: ChatValue, chosen: ChatValue, rejected: ChatValue) {
            self.images = images
            self.prompt = prompt
            self.chosen = chosen
            self.rejected = rejected
        }
    }

    /// Parses every line; a bad line is an error naming the file and the line.
    public static func read(_ url: URL) throws -> [Row] {
        try JSONLines.read(url).map { row in
            let json = try row.object()
            guard let prompt = json["prompt"], let chosen = json["chosen"], let rejected = json["rejected"] else {
                throw row.error("needs prompt, chosen and rejected")
            }
            do {
                return Row(images: try row.images(of: json), prompt: try ChatValue(json: prompt, field: "prompt"),
                           chosen: try ChatValue(json: chosen, field: "chosen"), rejected: try ChatValue(json: rejected, field: "rejected"))
            } catch let error as ChatFormError {
                throw row.error(error.description)
            }
        }
    }

    /// The texts TRL tokenizes: prompt (with the generation prompt), chosen and rejected.
    public static func texts(_ row: Row, processor: any Processor) throws -> (prompt: String, chosen: String, rejected: String) {
        guard let promptMessages = row.prompt.messages else {
            guard case let .plain(p) = row.prompt, case let .plain(c) = row.chosen, case let .plain(r) = row.rejected else {
                throw TrainingError("a row mixes plain-text and conversational fields")
            }
            return (p, c, r)
        }
        guard let chosen = row.chosen.messages, let rejected = row.rejected.messages else {
            throw TrainingError("a conversational prompt needs conversational chosen and rejected")
        }
        let messages = structured(promptMessages, images: row.images.count)
        let last = messages.last?.role
        guard last == "user" || last == "tool" else {
            throw TrainingError("the prompt's last message must come from the user (found \(last ?? "none"))")
        }
        var prompt = try processor.render(messages, addGenerationPrompt: true)
        let withChosen = try processor.render(messages + structured(chosen, images: 0), addGenerationPrompt: false)
        let withRejected = try processor.render(messages + structured(rejected, images: 0), addGenerationPrompt: false)
        // TRL keeps the common prefix (templates that add a token with the generation prompt)
        prompt = commonPrefix(commonPrefix(prompt, withChosen), withRejected)
        return (prompt, String(withChosen.unicodeScalars.dropFirst(prompt.unicodeScalars.count)),
                String(withRejected.unicodeScalars.dropFirst(prompt.unicodeScalars.count)))
    }

    /// TRL's `prepare_multimodal_messages`: string contents become text parts, and the images'
    /// placeholders go before the text of the first user message that is a plain string.
    static func structured(_ messages: [ChatMessage], images: Int) -> [ChatMessage] {
        var placed = false
        return messages.map { message in
            guard case let .text(text) = message.content else { return message }
            var parts: [ChatPart] = []
            if message.role == "user" && !placed {
                parts = Array(repeating: .image, count: images)
                placed = true
            }
            return ChatMessage(role: message.role, content: .parts(parts + [.text(text)]))
        }
    }

    static func commonPrefix(_ a: String, _ b: String) -> String {
        var scalars = String.UnicodeScalarView()
        for (x, y) in zip(a.unicodeScalars, b.unicodeScalars) {
            guard x == y else { break }
            scalars.append(x)
        }
        return String(scalars)
    }

    /// A row tokenized with its images, as a pair for training or scoring.
    public static func pair(_ row: Row, processor: any Processor) throws -> PreferencePair {
        let (prompt, chosen, rejected) = try texts(row, processor: processor)
        let images = try row.images.map { try KeyedImage(contentsOf: $0) }
        let encoded = try processor.encodePrompt(prompt, images: images.map(\.image))
        let keys = zip(images, encoded.tiles).flatMap { image, tiles in image.keys(tiles: tiles) }
        return PreferencePair(prompt: encoded.tokens, chosen: try processor.encode(chosen), rejected: try processor.encode(rejected),
                              images: encoded.images, imageKeys: keys)
    }

    /// Every row of a file as pairs; errors name the file and line.
    public static func pairs(_ url: URL, processor: any Processor) throws -> [PreferencePair] {
        try read(url).enumerated().map { i, row in
            do { return try pair(row, processor: processor) } catch let error as TrainingError {
                throw TrainingError("\(url.path): row \(i + 1): \(error.description)")
            } catch {
                throw TrainingError("\(url.path): row \(i + 1): \(error)")
            }
        }
    }
}
