import Foundation

/// The recipe of the world's model: the Hugging Face Idefics3 / SmolVLM folder it writes, without weights:
/// config.json for a tiny model, tokenizer.json over the closed vocabulary, tokenizer_config.json
/// and chat_template.jinja with SmolVLM's chat template, and the image processor's files.
public struct ModelRecipe: Sendable {
    /// Canvas side in pixels; the processor resizes to it and the vision tower takes it whole.
    public var imageSize: Int

    // The tiny model: big enough to see shapes, small enough to train on two cores.
    public static let patchSize = 8
    public static let scaleFactor = 2
    public static let visionHidden = 128, visionIntermediate = 512, visionLayers = 3, visionHeads = 4
    public static let textHidden = 128, textIntermediate = 512, textLayers = 4, textHeads = 4, textKVHeads = 2
    public static let maxPositions = 512

    public init(imageSize: Int) { self.imageSize = imageSize }

    public var tokens: [String] { Vocabulary.tokens(maxCoordinate: imageSize) }

    /// Image tokens per image: patches per side squared, merged scaleFactor² to one.
    public var imageSequenceLength: Int {
        let side = imageSize / Self.patchSize / Self.scaleFactor
        return side * side
    }

    static func id(_ token: String) -> Int { Vocabulary.specialTokens.firstIndex(of: token)! }

    /// Parameters as transformers' Idefics3ForConditionalGeneration counts them (tied lm_head).
    public var parameterCount: Int {
        let (h, i, p) = (Self.visionHidden, Self.visionIntermediate, Self.patchSize)
        let patches = (imageSize / p) * (imageSize / p)
        let visionLayer = 2 * (2 * h) + 4 * (h * h + h) + (h * i + i) + (i * h + h)
        let vision = (3 * p * p * h + h) + patches * h + Self.visionLayers * visionLayer + 2 * h
        let connector = h * Self.scaleFactor * Self.scaleFactor * Self.textHidden
        let (d, m, headDim) = (Self.textHidden, Self.textIntermediate, Self.textHidden / Self.textHeads)
        let attention = d * Self.textHeads * headDim * 2 + d * Self.textKVHeads * headDim * 2
        let textLayer = 2 * d + attention + 3 * d * m
        let text = tokens.count * d + Self.textLayers * textLayer + d
        return vision + connector + text
    }

    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let files: [(String, any Encodable)] = [
            ("config.json", config),
            ("tokenizer.json", tokenizer),
            ("tokenizer_config.json", tokenizerConfig),
            ("preprocessor_config.json", preprocessorConfig),
            ("processor_config.json", ProcessorConfig(imageSeqLen: imageSequenceLength)),
        ]
        for (name, value) in files {
            try (encoder.encode(value) + Data("\n".utf8)).write(to: directory.appendingPathComponent(name), options: .atomic)
        }
        // transformers 5 processors read their template from here, tokenizers from tokenizer_config.json
        try Data(Self.chatTemplate.utf8).write(to: directory.appendingPathComponent("chat_template.jinja"), options: .atomic)
    }

    // MARK: config.json

    struct VisionConfig: Encodable {
        var modelType = "idefics3_vision"
        var hiddenSize = visionHidden, intermediateSize = visionIntermediate
        var numHiddenLayers = visionLayers, numAttentionHeads = visionHeads
        var numChannels = 3, patchSize = ModelRecipe.patchSize
        var imageSize: Int
        var hiddenAct = "gelu_pytorch_tanh", layerNormEps = 1e-6, attentionDropout = 0.0, initializerRange = 0.02

        enum CodingKeys: String, CodingKey {
            case modelType = "model_type", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
            case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
            case numChannels = "num_channels", patchSize = "patch_size", imageSize = "image_size"
            case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps", attentionDropout = "attention_dropout"
            case initializerRange = "initializer_range"
        }
    }

    struct TextConfig: Encodable {
        var modelType = "llama"
        var hiddenSize = textHidden, intermediateSize = textIntermediate
        var numHiddenLayers = textLayers, numAttentionHeads = textHeads, numKeyValueHeads = textKVHeads
        var headDim = textHidden / textHeads
        var vocabSize: Int
        var hiddenAct = "silu", rmsNormEps = 1e-5, ropeTheta = 10000.0, maxPositionEmbeddings = maxPositions
        var tieWordEmbeddings = true, attentionBias = false, mlpBias = false, initializerRange = 0.02
        var bosTokenId = id(Vocabulary.imStart), eosTokenId = id(Vocabulary.endOfUtterance), padTokenId = id(Vocabulary.pad)

        enum CodingKeys: String, CodingKey {
            case modelType = "model_type", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
            case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
            case numKeyValueHeads = "num_key_value_heads", headDim = "head_dim", vocabSize = "vocab_size"
            case hiddenAct = "hidden_act", rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta"
            case maxPositionEmbeddings = "max_position_embeddings", tieWordEmbeddings = "tie_word_embeddings"
            case attentionBias = "attention_bias", mlpBias = "mlp_bias", initializerRange = "initializer_range"
            case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", padTokenId = "pad_token_id"
        }
    }

    struct Config: Encodable {
        var architectures = ["Idefics3ForConditionalGeneration"]
        var modelType = "idefics3"
        var visionConfig: VisionConfig
        var textConfig: TextConfig
        var scaleFactor = ModelRecipe.scaleFactor
        var imageTokenId = id(Vocabulary.image)
        var tieWordEmbeddings = true
        var bosTokenId = id(Vocabulary.imStart), eosTokenId = id(Vocabulary.endOfUtterance), padTokenId = id(Vocabulary.pad)
        var vocabSize: Int

        enum CodingKeys: String, CodingKey {
            case architectures, modelType = "model_type", visionConfig = "vision_config", textConfig = "text_config"
            case scaleFactor = "scale_factor", imageTokenId = "image_token_id", tieWordEmbeddings = "tie_word_embeddings"
            case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", padTokenId = "pad_token_id", vocabSize = "vocab_size"
        }
    }

    var config: Config {
        Config(visionConfig: VisionConfig(imageSize: imageSize), textConfig: TextConfig(vocabSize: tokens.count),
               vocabSize: tokens.count)
    }

    // MARK: tokenizer.json

    /// An added token; tokenizer_config.json's entries are keyed by id and leave `id` out.
    struct AddedToken: Encodable {
        var id: Int?
        var content: String
        var singleWord = false, lstrip = false, rstrip = false, normalized = false, special = true

        enum CodingKeys: String, CodingKey {
            case id, content, singleWord = "single_word", lstrip, rstrip, normalized, special
        }
    }

    /// A `tokenizers` component: its type and its settings.
    struct Component: Encodable {
        var type: String
        var settings: [String: Setting] = [:]

        enum Setting: Encodable {
            case string(String), bool(Bool), components([Component]), pattern(String), vocabulary([String: Int])

            func encode(to encoder: Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .string(let value): try container.encode(value)
                case .bool(let value): try container.encode(value)
                case .components(let value): try container.encode(value)
                case .pattern(let value): try container.encode(["String": value])
                case .vocabulary(let value): try container.encode(value)
                }
            }
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(type, forKey: Key(stringValue: "type"))
            for (key, value) in settings { try container.encode(value, forKey: Key(stringValue: key)) }
        }

        static func replace(_ pattern: String, with content: String) -> Component {
            Component(type: "Replace", settings: ["pattern": .pattern(pattern), "content": .string(content)])
        }
    }

    struct Tokenizer: Encodable {
        var addedTokens: [AddedToken]
        var normalizer: Component
        var preTokenizer: Component
        var decoder: Component
        var model: Component

        enum CodingKeys: String, CodingKey {
            case version, truncation, padding, addedTokens = "added_tokens", normalizer, preTokenizer = "pre_tokenizer"
            case postProcessor = "post_processor", decoder, model
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("1.0", forKey: .version)
            try container.encodeNil(forKey: .truncation)
            try container.encodeNil(forKey: .padding)
            try container.encode(addedTokens, forKey: .addedTokens)
            try container.encode(normalizer, forKey: .normalizer)
            try container.encode(preTokenizer, forKey: .preTokenizer)
            try container.encodeNil(forKey: .postProcessor)
            try container.encode(decoder, forKey: .decoder)
            try container.encode(model, forKey: .model)
        }
    }

    /// WordLevel over the closed vocabulary. Text is lower-cased, split at whitespace, and every
    /// punctuation mark split off. Decoding joins words with spaces and closes them up before
    /// , . ? and inside [ ], so every reference answer decodes to itself.
    var tokenizer: Tokenizer {
        let tokens = self.tokens
        let vocabulary = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
        return Tokenizer(
            addedTokens: Vocabulary.specialTokens.map { AddedToken(id: Self.id($0), content: $0) },
            normalizer: Component(type: "Lowercase"),
            preTokenizer: Component(type: "Sequence", settings: ["pretokenizers": .components([
                Component(type: "WhitespaceSplit"),
                Component(type: "Punctuation", settings: ["behavior": .string("Isolated")]),
            ])]),
            decoder: Component(type: "Sequence", settings: ["decoders": .components([
                Component(type: "WordPiece", settings: ["prefix": .string("##"), "cleanup": .bool(true)]),
                Component(type: "Fuse"),
                .replace("[ ", with: "["),
                .replace(" ]", with: "]"),
            ])]),
            model: Component(type: "WordLevel", settings: ["vocab": .vocabulary(vocabulary), "unk_token": .string(Vocabulary.unknown)])
        )
    }

    // MARK: tokenizer_config.json

    /// SmolVLM's chat template: "User:<image>question<end_of_utterance>\nAssistant: answer…".
    static let chatTemplate = """
        <|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>
        {% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}
        """

    struct TokenizerConfig: Encodable {
        var addedTokensDecoder: [String: AddedToken]
        var additionalSpecialTokens = [Vocabulary.fakeTokenAroundImage, Vocabulary.image, Vocabulary.endOfUtterance]
        var bosToken = Vocabulary.imStart, eosToken = Vocabulary.endOfUtterance
        var padToken = Vocabulary.pad, unkToken = Vocabulary.unknown
        var chatTemplate = ModelRecipe.chatTemplate
        var cleanUpTokenizationSpaces = false
        var modelMaxLength = maxPositions
        var processorClass = "Idefics3Processor"
        var tokenizerClass = "PreTrainedTokenizerFast"

        enum CodingKeys: String, CodingKey {
            case addedTokensDecoder = "added_tokens_decoder", additionalSpecialTokens = "additional_special_tokens"
            case bosToken = "bos_token", eosToken = "eos_token", padToken = "pad_token", unkToken = "unk_token"
            case chatTemplate = "chat_template", cleanUpTokenizationSpaces = "clean_up_tokenization_spaces"
            case modelMaxLength = "model_max_length", processorClass = "processor_class", tokenizerClass = "tokenizer_class"
        }
    }

    var tokenizerConfig: TokenizerConfig {
        TokenizerConfig(addedTokensDecoder: Dictionary(uniqueKeysWithValues: Vocabulary.specialTokens.map {
            (String(Self.id($0)), AddedToken(content: $0))
        }))
    }

    // MARK: preprocessor_config.json and processor_config.json

    struct Edge: Encodable {
        var longestEdge: Int
        enum CodingKeys: String, CodingKey { case longestEdge = "longest_edge" }
    }

    struct PreprocessorConfig: Encodable {
        var imageProcessorType = "Idefics3ImageProcessor"
        var processorClass = "Idefics3Processor"
        var doConvertRgb = true, doResize = true, doImageSplitting = false, doRescale = true, doNormalize = true, doPad = true
        var size: Edge, maxImageSize: Edge
        var resample = 1
        var rescaleFactor = 1.0 / 255
        var imageMean = [0.5, 0.5, 0.5], imageStd = [0.5, 0.5, 0.5]

        enum CodingKeys: String, CodingKey {
            case imageProcessorType = "image_processor_type", processorClass = "processor_class"
            case doConvertRgb = "do_convert_rgb", doResize = "do_resize", doImageSplitting = "do_image_splitting"
            case doRescale = "do_rescale", doNormalize = "do_normalize", doPad = "do_pad"
            case size, maxImageSize = "max_image_size", resample, rescaleFactor = "rescale_factor"
            case imageMean = "image_mean", imageStd = "image_std"
        }
    }

    var preprocessorConfig: PreprocessorConfig {
        PreprocessorConfig(size: Edge(longestEdge: imageSize), maxImageSize: Edge(longestEdge: imageSize))
    }

    /// Idefics3Processor's own setting: how many `<image>` tokens one image expands to.
    struct ProcessorConfig: Encodable {
        var imageSeqLen: Int
        var processorClass = "Idefics3Processor"
        enum CodingKeys: String, CodingKey { case imageSeqLen = "image_seq_len", processorClass = "processor_class" }
    }
}
