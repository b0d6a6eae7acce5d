import Foundation
import Imaging
import JSON
import Tokenization

/// A model family's processor (transformers' `…Processor`): the tokenizer, the chat template,
/// and images into the tokens and tiles the model takes.
public protocol Processor: Sendable {
    var tokenizer: Tokenizer { get }
    var chatTemplate: ChatTemplate? { get }
    /// What a prompt written as plain text puts where an image goes (`<image>`).
    var imagePlaceholder: String { get }
    var padToken: Int32 { get }
    /// Tokens after which generation stops (EOS, end of turn).
    var stopTokens: Set<Int32> { get }

    /// A prompt with one placeholder per image: its token ids, the images' tiles, and how many
    /// tiles each image became.
    func encodePrompt(_ text: String, images: [RGBImage]) throws -> (tokens: [Int32], images: ImageBatch?, tiles: [Int])
    /// The conversation through the chat template.
    func render(_ messages: [JSONValue], addGenerationPrompt: Bool) throws -> String
}

extension Processor {
    /// Token ids of plain text, without added special tokens (TRL's `add_special_tokens=False`).
    public func encode(_ text: String) throws -> [Int32] {
        try tokenizer.encode(text, addSpecialTokens: false).map(Int32.init)
    }
}

extension Processor {
    /// A prompt to continue: a conversation (or a plain question made one user turn, its images
    /// first) through the chat template with the generation prompt; without a template, the
    /// text as written, an image placeholder put first when it has none.
    public func generationPrompt(messages: [JSONValue]?, text: String, images: [RGBImage]) throws -> GenerationPrompt {
        let rendered: String
        if chatTemplate != nil {
            var conversation = messages ?? []
            if messages == nil {
                var content: [JSONValue] = images.map { _ in .object([("type", .string("image"))]) }
                content.append(.object([("type", .string("text")), ("text", .string(text))]))
                conversation = [.object([("role", .string("user")), ("content", .array(content))])]
            }
            rendered = try render(conversation, addGenerationPrompt: true)
        } else {
            rendered = text.contains(imagePlaceholder) || images.isEmpty ? text : imagePlaceholder + text
        }
        let encoded = try encodePrompt(rendered, images: images)
        return GenerationPrompt(tokens: encoded.tokens, images: encoded.images)
    }

    /// Generated tokens as text, special tokens left out.
    public func decodeAnswer(_ tokens: [Int32]) throws -> String {
        try tokenizer.decode(tokens.map(Int.init), skipSpecialTokens: true)
    }
}
