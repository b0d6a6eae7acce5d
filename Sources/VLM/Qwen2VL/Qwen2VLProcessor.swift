import Foundation
import Imaging
import Interchange
import JSON
import Tensor
import Tokenization

/// transformers' `Qwen2VLProcessor` (Qwen2.5-VL's is the same): tokenizer, chat template and
/// image processor. Each `<|image_pad|>` of a prompt becomes t·h·w / merge² copies, one per token
/// the merged image features replace. The tokenizer has no BOS and adds nothing.
public struct Qwen2VLProcessor: Processor {
    public static let imagePad = "<|image_pad|>"
    public static let visionStart = "<|vision_start|>"
    public static let visionEnd = "<|vision_end|>"

    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    /// Why there is no chat template (none in the folder, or one that does not parse).
    let chatTemplateProblem: String?
    public let images: Qwen2VLImageProcessor
    public let padToken: Int32
    /// Tokens after which generation stops (EOS, `<|im_end|>`, `<|endoftext|>`).
    public let stopTokens: Set<Int32>

    public init(folder: URL, config: Qwen2VLConfig) throws {
        do {
            tokenizer = try Tokenizer(directory: folder)
        } catch {
            throw ModelError(file: folder.appendingPathComponent("tokenizer.json").path, "\(error)")
        }
        do {
            chatTemplate = try ChatTemplate(directory: folder)
            chatTemplateProblem = nil
        } catch {
            chatTemplate = nil
            chatTemplateProblem = "\(error)"
        }
        images = try Qwen2VLImageProcessor(folder: folder)
        guard images.mergeSize == config.vision.spatialMergeSize, images.patchSize == config.vision.patchSize,
              images.temporalPatchSize == config.vision.temporalPatchSize else {
            throw ModelError(file: folder.path, "the image processor's patch \(images.patchSize), temporal patch \(images.temporalPatchSize) and merge size \(images.mergeSize) differ from the model's \(config.vision.patchSize), \(config.vision.temporalPatchSize), \(config.vision.spatialMergeSize)")
        }
        for (token, id) in [(Self.imagePad, config.imageTokenId), (Self.visionStart, config.visionStartTokenId)] {
            guard tokenizer.id(of: token) == id else {
                throw ModelError(file: folder.appendingPathComponent("tokenizer.json").path,
                                 "\(token) is token \(tokenizer.id(of: token).map(String.init) ?? "missing"), config.json says \(id)")
            }
        }
        padToken = Int32(config.padTokenId ?? tokenizer.id(of: "<|endoftext|>") ?? 0)
        var stops = Set(config.eosTokenIds.map(Int32.init))
        for token in ["<|im_end|>", "<|endoftext|>"] { if let id = tokenizer.id(of: token) { stops.insert(Int32(id)) } }
        stopTokens = stops
    }

    /// What the chat template writes for an image.
    public var imagePlaceholder: String { Self.visionStart + Self.imagePad + Self.visionEnd }

    /// `prompt` with its i-th `<|image_pad|>` repeated `counts[i]` times; the number of pads must
    /// equal the number of images.
    public static func expand(_ prompt: String, counts: [Int]) throws -> String {
        let parts = prompt.split(separatorString: imagePad)
        guard parts.count - 1 == counts.count else {
            throw TokenizerError("the prompt has \(parts.count - 1) \(imagePad) placeholders but \(counts.count) images were given")
        }
        var text = parts[0]
        for (count, rest) in zip(counts, parts.dropFirst()) { text += String(repeating: imagePad, count: count) + rest }
        return text
    }

    public func encodePrompt(_ text: String, images: [RGBImage]) throws -> (tokens: [Int32], images: ImageBatch?, tiles: [Int]) {
        let processed = try images.map { try self.images.process($0) }
        let merge = self.images.mergeSize * self.images.mergeSize
        let expanded = try Self.expand(text, counts: processed.map { $0.grid.patches / merge })
        let batch = try ImageBatch.concatenate(processed.map { p in
            ImageBatch(pixels: p.pixels, patchMask: Tensor(shape: [p.grid.patches], values: [Float](repeating: 1, count: p.grid.patches)),
                       grids: [p.grid])
        })
        return (try encode(expanded), batch, processed.map { _ in 1 })
    }

    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        guard let chatTemplate else {
            throw ModelError(file: "chat template", "conversational input needs the model's chat template: \(chatTemplateProblem ?? "none")")
        }
        return try chatTemplate.render(messages: messages.map(\.json), addGenerationPrompt: addGenerationPrompt)
    }
}
