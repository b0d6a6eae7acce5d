import Foundation
import Imaging
import Interchange
import JSON
import Tensor
import Tokenization

/// transformers' `Idefics3Processor`: tokenizer, chat template and image processor together. A
/// prompt's `<image>` placeholders are expanded into the tokens the image features will
/// replace, for the tiles the image processor cut.
public struct Idefics3Processor: Processor {
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    /// Why there is no chat template (none in the folder, or one that does not parse).
    let chatTemplateProblem: String?
    public let images: ImageProcessor
    public let imageSequenceLength: Int
    public let patchSize: Int
    public let padToken: Int32
    /// Tokens after which generation stops (EOS, `<end_of_utterance>`).
    public let stopTokens: Set<Int32>

    public init(folder: URL, config: Idefics3Config) throws {
        (tokenizer, chatTemplate, chatTemplateProblem) = try FolderFiles.tokenizerAndTemplate(folder: folder)
        images = try ImageProcessor(folder: folder)
        // transformers 5 keeps image_seq_len in processor_config.json; it follows from the config anyway
        let processorConfig = folder.appendingPathComponent("processor_config.json")
        if let data = try? Data(contentsOf: processorConfig), let json = try? JSONValue(parsing: data),
           let declared = json["image_seq_len"]?.intValue, declared != config.imageSeqLen {
            throw ModelError(file: processorConfig.path, "image_seq_len \(declared) but the model makes \(config.imageSeqLen) tokens per image")
        }
        imageSequenceLength = config.imageSeqLen
        patchSize = config.vision.patchSize
        guard tokenizer.id(of: Idefics3Prompt.imageToken) == config.imageTokenId else {
            throw ModelError(file: folder.appendingPathComponent("tokenizer.json").path,
                             "\(Idefics3Prompt.imageToken) is token \(tokenizer.id(of: Idefics3Prompt.imageToken).map(String.init) ?? "missing"), config.json says image_token_id \(config.imageTokenId)")
        }
        padToken = Int32(config.padTokenId ?? tokenizer.id(of: "<|endoftext|>") ?? 0)
        var stops = Set(config.eosTokenIds.map(Int32.init))
        if let end = tokenizer.id(of: "<end_of_utterance>") { stops.insert(Int32(end)) }
        stopTokens = stops
    }

    public var imagePlaceholder: String { Idefics3Prompt.imageToken }

    public func encodePrompt(_ text: String, images: [RGBImage]) throws -> (tokens: [Int32], images: ImageBatch?, tiles: [Int]) {
        let processed = images.map { self.images.process($0) }
        let grids = processed.map { Idefics3Prompt.Grid(rows: $0.rows, cols: $0.columns) }
        let expanded = try Idefics3Prompt.expand(text, grids: grids, imageSequenceLength: imageSequenceLength)
        let batch = try ImageBatch.concatenate(processed.map { p in
            let patches = (p.pixels.dim(2) / patchSize) * (p.pixels.dim(3) / patchSize)
            return ImageBatch(pixels: p.pixels, patchMask: Tensor(shape: [p.pixels.dim(0), patches],
                                                                  values: [Float](repeating: 1, count: p.pixels.dim(0) * patches)))
        })
        return (try encode(expanded), batch, processed.map { $0.pixels.dim(0) })
    }

    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        guard let chatTemplate else {
            throw ModelError(file: "chat template", "conversational input needs the model's chat template: \(chatTemplateProblem ?? "none")")
        }
        return try chatTemplate.render(messages: messages.map(\.json), addGenerationPrompt: addGenerationPrompt)
    }
}
