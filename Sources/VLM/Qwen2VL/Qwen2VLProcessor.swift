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
    /// The tower's heads and where max_pixels is set, to refuse an image whose attention table
    /// would not fit in memory.
    let visionHeads: Int
    let folder: URL

    public init(folder: URL, config: Qwen2VLConfig) throws {
        (tokenizer, chatTemplate, chatTemplateProblem) = try FolderFiles.tokenizerAndTemplate(folder: folder)
        images = try Qwen2VLImageProcessor(folder: folder)
        visionHeads = config.vision.heads
        self.folder = folder
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
    /// Refuses an image whose attention in the tower would not fit: a full-attention block holds
    /// heads × patches² probabilities of an image at once (a quarter of `memory` is allowed).
    func checkAttentionFits(_ grid: ImageGrid, memory: Double) throws {
        let bytes = Double(visionHeads) * Double(grid.patches) * Double(grid.patches) * 4
        guard bytes > memory / 4 else { return }
        throw ModelError(file: folder.appendingPathComponent("preprocessor_config.json").path, String(
            format: "an image resized to %d×%d px is %d patches, whose attention in the vision tower needs %.1f GiB at once (more than a quarter of the memory, %.1f GiB): lower max_pixels",
            grid.w * images.patchSize, grid.h * images.patchSize, grid.patches, bytes / 1_073_741_824, memory / 1_073_741_824))
    }

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
        for p in processed { try checkAttentionFits(p.grid, memory: machineMemory()) }
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
