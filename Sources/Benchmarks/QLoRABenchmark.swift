import Foundation
import Interchange
import JSON
import Tensor
import Tokenization
import Training
import VLM

/// LoRA DPO steps on a model with its decoder's linear weights in fp32 or in NF4, and the memory
/// the process needed for it: by default a random model with SmolVLM-256M's decoder shapes, or a
/// model folder. One mode per process: the peak
/// resident size (VmHWM) is the whole process's, so each mode gets a fresh one.
public struct QLoRABenchmark {
    public enum Base: String, Codable, CaseIterable, Sendable {
        case fp32, nf4
    }

    var pairs = 2
    var promptTokens = 32
    var completionTokens = 24
    var steps = 3
    var rank = 16
    /// A model folder to load instead of building the random model.
    var modelFolder: URL?
    /// What the NF4 base quantizes.
    var quantization = Quantization.nf4
    /// The random model: SmolVLM-256M's decoder, or Qwen2.5-VL-3B's shapes.
    public var shape = Shape.smolvlm

    public enum Shape: String, Codable, CaseIterable, Sendable {
        case smolvlm = "smolvlm-256m"
        /// Qwen2.5-VL-3B's shapes; one 224 × 224 image per pair (256 patches, 64 image tokens).
        case qwen25VL3B = "qwen2.5-vl-3b"
    }

    public init(pairs: Int, promptTokens: Int, completionTokens: Int, steps: Int, rank: Int, modelFolder: URL?,
                quantization: Quantization) {
        self.pairs = pairs
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.steps = steps
        self.rank = rank
        self.modelFolder = modelFolder
        self.quantization = quantization
    }

    public struct Result: Codable {
        let base: Base
        let parameterBytes: Int
        let fp32Parameters: Int
        let nf4Parameters: Int
        let adapterParameters: Int
        let buildSeconds: Double
        let rssAfterBuildMiB: Double
        let referenceSeconds: Double
        let stepSeconds: [Double]
        let losses: [Double]
        let peakRSSMiB: Double
    }

    /// SmolVLM-256M's text decoder (SmolLM2-135M's shapes with its 49280-token vocabulary and an
    /// untied head); a small SigLIP-style tower giving 16 image tokens per image.
    static let configJSON = """
    {"model_type": "idefics3", "scale_factor": 2, "image_token_id": 49190, "tie_word_embeddings": false,
     "text_config": {"model_type": "llama", "hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30,
                     "num_attention_heads": 9, "num_key_value_heads": 3, "vocab_size": 49280, "rms_norm_eps": 1e-5,
                     "rope_theta": 100000, "max_position_embeddings": 8192},
     "vision_config": {"hidden_size": 128, "intermediate_size": 512, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "image_size": 64, "patch_size": 8}}
    """

    /// Qwen2.5-VL-3B's config.json (its vision tower, 36-layer 2048-wide decoder, tied head).
    static let qwenConfigJSON = """
    {"model_type": "qwen2_5_vl", "image_token_id": 151655, "video_token_id": 151656, "vision_start_token_id": 151652,
     "vision_end_token_id": 151653, "tie_word_embeddings": true,
     "text_config": {"hidden_size": 2048, "intermediate_size": 11008, "num_hidden_layers": 36, "num_attention_heads": 16,
                     "num_key_value_heads": 2, "vocab_size": 151936, "rms_norm_eps": 1e-6,
                     "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]}},
     "vision_config": {"depth": 32, "hidden_size": 1280, "out_hidden_size": 2048, "intermediate_size": 3420, "num_heads": 16,
                       "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31], "hidden_act": "silu"}}
    """

    public func config() throws -> Idefics3Config {
        if let modelFolder { return try Idefics3Config(contentsOf: modelFolder.appendingPathComponent("config.json")) }
        return try Idefics3Config(json: JSONValue(parsing: Self.configJSON), file: "bench qlora config")
    }

    /// A model with random unit-gain weights (matrices uniform with std 1/√in, norm weights 1,
    /// biases 0). For NF4, each quantized weight is drawn into one reused scratch buffer and
    /// quantized from there: the full fp32 weights never exist, as when loading a checkpoint.
    static func randomModel(_ config: Idefics3Config, quantization: Quantization?) throws -> Idefics3Model {
        let parameters = Idefics3Model.parameterSet(config, quantize: quantization)
        try fillRandomly(parameters)
        return Idefics3Model(config: config, parameters: parameters)
    }

    static func fillRandomly(_ parameters: ParameterSet) throws {
        var rng = SeededGenerator(seed: 1)
        func fill(_ p: UnsafeMutablePointer<Float>, _ spec: ParameterSet.Spec) {
            let bound = (3 / Float(spec.count / spec.shape[0])).squareRoot()
            for i in 0..<spec.count {
                p[i] = spec.shape.count > 1 ? Float.random(in: -bound..<bound, using: &rng) : spec.name.hasSuffix(".bias") ? 0 : 1
            }
        }
        for spec in parameters.specs { fill(parameters[spec.name].data, spec) }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: parameters.quantizedSpecs.map(\.count).max() ?? 1)
        defer { scratch.deallocate() }
        for spec in parameters.quantizedSpecs {
            fill(scratch, spec)
            parameters.setQuantized(spec.name, try NF4Weight(quantizing: scratch, shape: spec.shape))
        }
    }

    /// The Qwen2.5-VL-3B-shaped model and random pairs: one 224 px image each (vision_start, 64
    /// image tokens, vision_end first), prompt text, two completions.
    func qwenModelAndPairs(quantization: Quantization?) throws -> (any VisionLanguageModel, [PreferencePair]) {
        let config = try Qwen2VLConfig(json: JSONValue(parsing: Self.qwenConfigJSON), file: "bench qlora config")
        let parameters = Qwen2VLModel.parameterSet(config, quantize: quantization)
        try Self.fillRandomly(parameters)
        var rng = SeededGenerator(seed: 2)
        func tokens(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32.random(in: 1..<151_000, using: &rng) } }
        let grid = ImageGrid(t: 1, h: 16, w: 16)
        let pairs = (0..<pairs).map { i in
            let pixels = Tensor.uniform(shape: [grid.patches, config.vision.patchValues], using: &rng)
            let images = ImageBatch(pixels: pixels, patchMask: Tensor(shape: [grid.patches], values: [Float](repeating: 1, count: grid.patches)),
                                    grids: [grid])
            let prompt = [Int32(config.visionStartTokenId)] + [Int32](repeating: Int32(config.imageTokenId), count: grid.patches / 4)
                + [Int32(config.visionEndTokenId)] + tokens(promptTokens)
            return PreferencePair(prompt: prompt, chosen: tokens(completionTokens), rejected: tokens(completionTokens), images: images,
                                  imageKeys: ["image\(i)"])
        }
        return (Qwen2VLModel(config: config, parameters: parameters), pairs)
    }

    /// Random pairs: an image (its 16 tokens first), prompt text, two completions.
    func randomPairs(_ config: Idefics3Config) -> [PreferencePair] {
        var rng = SeededGenerator(seed: 2)
        let image = Int32(config.imageTokenId)
        func tokens(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32.random(in: 1..<image, using: &rng) } }
        let side = config.vision.imageSize
        return (0..<pairs).map { i in
            let pixels = Tensor.uniform(shape: [1, 3, side, side], using: &rng)
            let mask = Tensor(shape: [1, config.vision.patches], values: [Float](repeating: 1, count: config.vision.patches))
            return PreferencePair(prompt: [Int32](repeating: image, count: config.imageSeqLen) + tokens(promptTokens),
                                  chosen: tokens(completionTokens), rejected: tokens(completionTokens),
                                  images: ImageBatch(pixels: pixels, patchMask: mask), imageKeys: ["image\(i)"])
        }
    }

    public func run(base: Base) throws -> Result {
        let start = Date()
        let quantize = base == .nf4 ? quantization : nil
        let model: any VisionLanguageModel, data: [PreferencePair]
        if shape == .qwen25VL3B {
            (model, data) = try qwenModelAndPairs(quantization: quantize)
        } else {
            let config = try config()
            model = try modelFolder.map { try ModelFolder.load($0, quantize: quantize) } ?? Self.randomModel(config, quantization: quantize)
            data = randomPairs(config)
        }
        let adapters = try Adapters(attachingTo: model, config: LoRAConfig(rank: rank, alpha: Float(2 * rank), targets: model.loraTargets(LoRAConfig.decoderProjections, includeVision: false)),
                                    seed: 3)
        let trainer = try DPOTrainer(policy: model, adapters: adapters, reference: .adaptersDisabled, settings: DPOSettings())
        let buildSeconds = Date().timeIntervalSince(start)
        let rssAfterBuild = residentMiB()
        let referenceStart = Date()
        let refs = try trainer.referenceLogProbs(data)
        let referenceSeconds = Date().timeIntervalSince(referenceStart)
        var rng = SeededGenerator(seed: 4)
        var stepSeconds: [Double] = [], losses: [Double] = []
        for _ in 0..<steps {
            let t0 = Date()
            let m = try trainer.lossAndGradients(data, reference: refs, backward: true, rng: &rng)
            _ = try trainer.updater.apply(lr: 1e-4)
            stepSeconds.append(Date().timeIntervalSince(t0))
            losses.append(m.loss)
        }
        let nf4 = model.parameters.quantizedSpecs.map(\.count).reduce(0, +)
        return Result(base: base, parameterBytes: model.parameters.byteCount, fp32Parameters: model.parameters.count,
                      nf4Parameters: nf4, adapterParameters: adapters.parameters.count, buildSeconds: buildSeconds,
                      rssAfterBuildMiB: rssAfterBuild, referenceSeconds: referenceSeconds, stepSeconds: stepSeconds,
                      losses: losses, peakRSSMiB: peakRSSMiB())
    }

    /// The results as a table, with the machine, the model and the batch they are of.
    public func table(_ results: [Result]) -> String {
        func mib(_ value: Double) -> String { String(format: "%.0f MiB", value) }
        func mib(_ bytes: Int) -> String { mib(Double(bytes) / 1_048_576) }
        func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }
        let config = try? config()
        let t = config?.text, v = config?.vision
        let described = "\(t?.hiddenSize ?? 0) wide, \(t?.layers ?? 0) layers, \(t?.heads ?? 0)/\(t?.kvHeads ?? 0) heads, MLP \(t?.intermediateSize ?? 0), vocab \(t?.vocabSize ?? 0), \(config?.tieWordEmbeddings == true ? "tied" : "untied") head; vision \(v?.layers ?? 0) layers × \(v?.hiddenSize ?? 0), \(config?.imageSeqLen ?? 0) image tokens"
        var lines = [
            "machine: \(KernelBenchmark.cpuName()), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Parallel.threads) kernel threads, OpenBLAS \(BLASKernels.coreName) kernels",
            shape == .qwen25VL3B ? "model: random, Qwen2.5-VL-3B's shapes (2048 wide, 36 layers, 16/2 heads, MLP 11008, vocab 151936, tied head; vision 32 blocks × 1280, 64 image tokens of a 224 px image)"
                : "model: \(modelFolder?.path ?? "random, SmolVLM-256M's decoder shapes") (\(described))",
            "NF4 base: \(quantization == .nf4 ? "the decoder's linear weights" : "every linear weight but the LM head (decoder, vision tower, connector)")",
            "LoRA r=\(rank) α=\(2 * rank) on the decoder's q,k,v,o,gate,up,down (\(results.first?.adapterParameters ?? 0) parameters); DPO with the base as reference",
            "batch: \(pairs) pairs, \(shape == .qwen25VL3B ? 64 : config?.imageSeqLen ?? 0) image + \(promptTokens) prompt tokens, \(completionTokens)-token completions; \(steps == 1 ? "1 step" : "\(steps) steps") timed",
            "",
            "base   weights (fp32 + NF4)   RSS after build   peak RSS   reference pass   step: median   min",
        ]
        for r in results {
            let sorted = r.stepSeconds.sorted()
            let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            lines.append(r.base.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                + mib(r.parameterBytes).leftPadded(20) + mib(r.rssAfterBuildMiB).leftPadded(18)
                + mib(r.peakRSSMiB).leftPadded(11) + seconds(r.referenceSeconds).leftPadded(17)
                + seconds(median).leftPadded(15) + seconds(sorted.first ?? 0).leftPadded(8))
        }
        if let fp32 = results.first(where: { $0.base == .fp32 }), let nf4 = results.first(where: { $0.base == .nf4 }) {
            lines += ["", String(format: "NF4 base: peak RSS %.0f%% of the fp32 base's (%@ less); weights %.0f%%",
                                 100 * nf4.peakRSSMiB / fp32.peakRSSMiB, mib(fp32.peakRSSMiB - nf4.peakRSSMiB),
                                 100 * Double(nf4.parameterBytes) / Double(fp32.parameterBytes))]
        }
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
