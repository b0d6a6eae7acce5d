import Foundation
import Imaging
import Interchange
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

    /// A prompt with one placeholder per image: its token ids, the images' tiles (or patch grids),
    /// and how many tiles each image became (1 for a family that takes whole images).
    func encodePrompt(_ text: String, images: [RGBImage]) throws -> (tokens: [Int32], images: ImageBatch?, tiles: [Int])
    /// The conversation through the chat template.
    func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String
}

extension Processor {
    /// Token ids of plain text, without added special tokens (TRL's `add_special_tokens=False`).
    public func encode(_ text: String) throws -> [Int32] {
        try tokenizer.encode(text, addSpecialTokens: false).map(Int32.init)
    }
}

extension Processor {
    /// A prompt to continue: a conversation (or a plain question made one user turn, its images
    /// first) through the chat template with the generation prompt; without a template, a plain
    /// question as written, an image placeholder put first when it has none.
    public func generationPrompt(_ prompt: ChatValue, images: [RGBImage]) throws -> GenerationPrompt {
        let rendered: String
        switch (prompt, chatTemplate) {
        case let (.messages(messages), _):
            rendered = try render(messages, addGenerationPrompt: true)
        case let (.plain(text), _?):
            let content: [ChatPart] = images.map { _ in .image } + [.text(text)]
            rendered = try render([ChatMessage(role: "user", content: .parts(content))], addGenerationPrompt: true)
        case let (.plain(text), nil):
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
