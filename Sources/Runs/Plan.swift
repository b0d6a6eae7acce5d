import Foundation
import Training
import VLM

/// Memory and time of a training run, estimated before a weight is loaded (`vlm-align plan`, and
/// the start of every `sft` and `dpo`): from the model's shape (config.json), the run's settings
/// and the tokenized data. What it counts, in fp32 bytes:
///
/// - weights: every parameter (NF4 ones at 4.5 bits); full-fine-tuning DPO holds its reference
///   model as a second copy;
/// - trainable parameters' gradients, AdamW's two moments and the update's buffer;
/// - activations kept for the backward pass of the largest batch (the `batchSize` longest
///   sequences): per decoder layer and token the layer's inputs, projections and MLP, plus each
///   query's attention weights over the sequence; the same per vision layer and patch (none when
///   LoRA leaves the tower alone: its features are computed once); the LM head's rows
///   (completion tokens only) × vocabulary;
/// - the data: every example's image tiles, held for the whole run;
/// - the process itself (runtime, libraries, tokenizer).
///
/// The coefficients were fitted to measured peaks (docs/benchmarks.md, "Plan against measured
/// peaks"): within 20% on the recorded configurations.
public struct Plan: Sendable {
    /// One training sequence as the trainer packs it.
    public struct Sequence: Sendable {
        /// Tokens in the sequence (a DPO pair: prompt + chosen + rejected).
        public var tokens: Int
        /// Image tiles of its images.
        public var tiles: Int
        /// Rows that go through the LM head (the completion tokens).
        public var headRows: Int

        public init(tokens: Int, tiles: Int, headRows: Int) {
            self.tokens = tokens
            self.tiles = tiles
            self.headRows = headRows
        }
    }

    public var method: RunSettings.Method
    public var parameters: Int
    public var trainableParameters: Int
    public var weightBytes: Double
    public var referenceBytes: Double
    public var optimizerBytes: Double
    public var activationBytes: Double
    public var dataBytes: Double
    public var runtimeBytes: Double
    public var referenceCacheBytes: Double
    public var peakBytes: Double { weightBytes + referenceBytes + optimizerBytes + activationBytes + dataBytes + runtimeBytes }
    public var flopsPerStep: Double
    public var steps: Int
    public var secondsPerStep: Double { flopsPerStep / (Self.effectiveGFLOPs * 1e9) }

    /// The process before any model: runtime, BLAS, Foundation (measured: 45–47 MiB with the tiny test model).
    static let runtime: Double = 45 * 1024 * 1024
    /// Floats kept per token and decoder layer, in units of the hidden size and of the MLP width
    /// (fitted; the layer's own saved tensors are ~10 D + 4 I).
    static let decoderHiddenFloats: Double = 12, decoderMLPFloats: Double = 5
    /// The same per patch and vision layer.
    static let visionHiddenFloats: Double = 12, visionMLPFloats: Double = 4
    /// Floats per LM-head row and vocabulary entry: logits, log-softmax and their gradient.
    static let headFloats: Double = 3
    /// Training throughput on the development machine (2 vCPUs shared with other builds), all
    /// products counted: what the measured step times give.
    static let effectiveGFLOPs: Double = 20

    /// The plan of a run of `settings` on `sequences` for a model of `shape`.
    public init(shape: ModelShape, settings: RunSettings, sequences: [Sequence]) {
        method = settings.method
        let specs = shape.parameters
        parameters = specs.reduce(0) { $0 + $1.count }
        let quantized = settings.quantize.map { q in specs.filter { shape.isQuantized($0.name, by: q) }.reduce(0) { $0 + $1.count } } ?? 0
        weightBytes = Double(parameters - quantized) * 4 + Double(quantized) * 4.5 / 8
        let lora = settings.lora.map { l in
            shape.loraParameters(LoRAConfig(rank: l.rank, alpha: l.alpha, dropout: l.dropout,
                                            targets: shape.loraTargets(l.modules, includeVision: l.includeVision)))
        }
        // a tower outside LoRA's targets runs once per image without keeping anything for backward;
        // a tower frozen in full fine-tuning still keeps its activations (measured)
        let visionKept = lora == nil || settings.lora?.includeVision == true
        if let lora {
            trainableParameters = lora
        } else {
            trainableParameters = specs.filter { !(settings.freezeVision && shape.part(of: $0.name) == .vision) }.reduce(0) { $0 + $1.count }
        }
        // gradients, AdamW's two moments, and the update's own buffer (LoRA: the adapters' values
        // in its place, the step works in place)
        optimizerBytes = Double(trainableParameters) * 16
        referenceBytes = settings.method == .dpo && lora == nil ? Double(parameters) * 4 : 0

        let batch = Array(sequences.sorted { $0.tokens > $1.tokens }.prefix(max(settings.training.batchSize, 1)))
        let length = Double(batch.first?.tokens ?? 0)
        let d = shape.decoder, v = shape.vision
        let tokens = length * Double(batch.count)  // padded to the longest
        let tiles = Double(batch.reduce(0) { $0 + $1.tiles })
        let rows = Double(batch.reduce(0) { $0 + $1.headRows })
        let decoder = Double(d.layers) * tokens
            * (Self.decoderHiddenFloats * Double(d.hidden) + Self.decoderMLPFloats * Double(d.intermediate) + Double(d.heads) * length)
        let patches = tiles * Double(v.patches)
        let vision = !visionKept ? 0 : Double(v.layers) * patches
            * (Self.visionHiddenFloats * Double(v.hidden) + Self.visionMLPFloats * Double(v.intermediate) + Double(v.heads * v.patches))
        let head = rows * Double(d.vocabulary) * Self.headFloats
        activationBytes = 4 * (decoder + vision + head)
        let allTiles = Double(sequences.reduce(0) { $0 + $1.tiles })
        dataBytes = allTiles * 3 * Double(v.tileSize * v.tileSize) * 4
        runtimeBytes = Self.runtime
        referenceCacheBytes = settings.method == .dpo ? Double(sequences.count) * 16 : 0

        // products: 2 flops per weight and token forward; backward twice that for trained
        // weights, once (input gradients) for frozen ones the gradient passes through
        let visionWeights = Double(specs.filter { shape.part(of: $0.name) == .vision }.reduce(0) { $0 + $1.count })
        let decoderWeights = Double(parameters) - visionWeights - 2 * Double(d.vocabulary * d.hidden)
        let passes: Double = lora == nil ? 3 : 2
        let attention = 4 * Double(d.layers) * tokens * length * Double(d.heads * d.headDim)
        flopsPerStep = Double(settings.training.gradientAccumulationSteps)
            * (2 * passes * (decoderWeights * tokens + Double(d.vocabulary * d.hidden) * rows) + passes * attention
               + 2 * (visionKept && !settings.freezeVision ? 3 : 1) * visionWeights * patches)
        steps = settings.training.totalSteps(examples: sequences.count)
    }

    /// Refuses a run whose estimated peak exceeds `memory`, with the estimate and what would fit.
    public func check(memory: Double = machineMemory()) throws {
        guard peakBytes > memory else { return }
        var ways = ["LoRA (--lora-rank 16) trains adapters instead of every weight",
                    "QLoRA (--lora-rank 16 --quantize nf4) also holds the base's linear weights in 4 bits",
                    "a smaller --batch-size (with --gradient-accumulation-steps for the same batch) keeps fewer activations"]
        if method == .dpo { ways.append("`vlm-align export trl` trains on GPUs with TRL (docs/scale-out.md)") }
        throw TrainingError("this run needs about \(Self.mib(peakBytes)) at its peak, more than this machine's \(Self.mib(memory)):\n"
                            + description + "\nWhat would fit:\n  " + ways.joined(separator: ";\n  "))
    }

    static func mib(_ bytes: Double) -> String {
        let gib = bytes / 1_073_741_824
        return gib >= 10 ? String(format: "%.1f GiB", gib) : String(format: "%.0f MiB", bytes / 1_048_576)
    }

    static func count(_ n: Int) -> String {
        n >= 1_000_000_000 ? String(format: "%.2fB", Double(n) / 1e9) : n >= 1_000_000 ? String(format: "%.1fM", Double(n) / 1e6) : "\(n)"
    }

    public var description: String {
        let time = secondsPerStep * Double(steps)
        return [
            "plan (\(method.rawValue)): \(Self.count(parameters)) parameters, \(Self.count(trainableParameters)) trainable",
            "  weights            \(Self.mib(weightBytes))",
            "  reference model    \(Self.mib(referenceBytes))",
            "  grads + AdamW      \(Self.mib(optimizerBytes))",
            "  activations        \(Self.mib(activationBytes)) (largest batch)",
            "  data (image tiles) \(Self.mib(dataBytes))",
            "  runtime            \(Self.mib(runtimeBytes))",
            "  reference cache    \(Self.mib(referenceCacheBytes)) on disk",
            "  peak RSS           \(Self.mib(peakBytes))",
            String(format: "  time               %.2f s/step × %d steps ≈ %@ (at %.0f GFLOP/s)", secondsPerStep, steps,
                   time >= 3600 ? String(format: "%.1f h", time / 3600) : String(format: "%.0f s", time), Self.effectiveGFLOPs),
        ].joined(separator: "\n")
    }
}

extension Plan.Sequence {
    /// A DPO pair, packed as [prompt | chosen | rejected].
    public init(_ pair: PreferencePair) {
        self.init(tokens: pair.prompt.count + pair.chosen.count + pair.rejected.count, tiles: pair.images?.count ?? 0,
                  headRows: pair.chosen.count + pair.rejected.count)
    }

    /// An SFT sequence (packed by image or not).
    public init(_ example: SupervisedExample) {
        self.init(tokens: example.tokens.count, tiles: example.images?.count ?? 0,
                  headRows: example.learned.reduce(0) { $0 + $1.count })
    }
}
