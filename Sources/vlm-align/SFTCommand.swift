import ArgumentParser
import Foundation
import Runs
import Training
import VLM

/// The loop options `sft` and `dpo` share.
struct LoopOptions: ParsableArguments {
    @Option(name: .customLong("batch-size")) var batchSize = 4
    @Option(name: .customLong("gradient-accumulation-steps")) var gradientAccumulationSteps = 1
    @Option(name: .customLong("learning-rate")) var learningRate: Float = 5e-6
    @Option(name: .customLong("lr-scheduler"), help: "constant, linear or cosine.") var lrScheduler = "constant"
    @Option(name: .customLong("warmup-steps")) var warmupSteps = 0
    @Option(name: .customLong("weight-decay")) var weightDecay: Float = 0
    @Option(name: .customLong("max-grad-norm"), help: "Clip the global gradient norm (0: no clipping).") var maxGradNorm: Float = 1
    @Option(name: .customLong("max-steps")) var maxSteps: Int?
    @Option var epochs = 1
    @Option var seed: UInt64 = 42
    @Flag(name: .customLong("no-shuffle"), help: "Visit the examples in file order instead of a seeded shuffle per epoch.") var noShuffle = false
    @Option(name: .customLong("save-steps")) var saveSteps = 50
    @Option(name: .customLong("eval-steps")) var evalSteps = 0

    func options() throws -> TrainingOptions {
        guard let kind = LearningRateSchedule.Kind(rawValue: lrScheduler) else {
            throw ValidationError("--lr-scheduler \(lrScheduler): use constant, linear or cosine")
        }
        var o = TrainingOptions()
        o.batchSize = batchSize
        o.gradientAccumulationSteps = gradientAccumulationSteps
        o.maxSteps = maxSteps
        o.epochs = epochs
        o.learningRate = learningRate
        o.scheduler = kind
        o.warmupSteps = warmupSteps
        o.weightDecay = weightDecay
        o.maxGradNorm = maxGradNorm > 0 ? maxGradNorm : nil
        o.seed = seed
        o.shuffle = !noShuffle
        o.saveSteps = saveSteps
        o.evalSteps = evalSteps
        return o
    }
}

/// LoRA options `sft` and `dpo` share.
struct LoRAOptions: ParsableArguments {
    @Option(name: .customLong("lora-rank"), help: "Train LoRA adapters of this rank instead of all weights.") var loraRank: Int?
    @Option(name: .customLong("lora-alpha")) var loraAlpha: Float = 16
    @Option(name: .customLong("lora-dropout")) var loraDropout: Float = 0
    @Option(name: .customLong("lora-targets"), parsing: .upToNextOption,
            help: "Projections to adapt (decoder only unless --lora-vision).")
    var loraTargets = LoRAConfig.decoderProjections
    @Flag(name: .customLong("lora-vision"), help: "Also adapt the vision tower's matching projections.") var loraVision = false
    @Flag(name: .customLong("freeze-vision"), help: "Keep the vision tower fixed (its features are computed once per image).") var freezeVision = false

    var settings: LoRASettings? {
        loraRank.map { LoRASettings(rank: $0, alpha: loraAlpha, dropout: loraDropout, modules: loraTargets, includeVision: loraVision) }
    }

    func validate() throws {
        if loraVision && loraRank == nil { throw ValidationError("--lora-vision adapts the tower with LoRA: it needs --lora-rank") }
        if loraVision && freezeVision {
            throw ValidationError("--lora-vision adapts the vision tower and --freeze-vision keeps it fixed: give one of them")
        }
    }
}

struct SFT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Supervised fine-tuning on prompt–completion examples (loss on the completion only).",
        discussion: """
            Data: TRL's SFT JSONL with images relative to the file: prompt–completion rows (the completion \
            is learned) or conversations (messages; every assistant turn is learned). \
            --init-random trains a model folder that has a config but no weights (e.g. a ShapesWorld \
            model) from scratch. The result goes to OUT/model (merged, with its lineage); with \
            --workspace it is also registered there as an SFT checkpoint with its settings.
            """)

    @OptionGroup var arguments: SFTRunArguments

    func run() throws {
        try arguments.job.requireOut()
        try execute(try arguments.run(), json: arguments.job.json)
    }
}

/// Everything `sft` (and `plan sft`) takes.
struct SFTRunArguments: ParsableArguments {
    @OptionGroup var job: RunOptions
    @OptionGroup var loop: LoopOptions
    @OptionGroup var lora: LoRAOptions
    @Flag(name: .customLong("pack-by-image"),
          help: "Train examples of one image that follow each other in --data as one sequence: the image once, each example's rest as a branch that sees only it (the same loss; --batch-size counts sequences).")
    var packByImage = false
    @Flag(name: .customLong("init-random"), help: "Start from random weights (the folder needs no safetensors).") var initRandom = false
    @Option(name: .customLong("image-words"),
            help: "ShapesWorld data only: also train each image token, read through the LM head, toward the words of what lies under it (size, colour, shape or \"nothing\"), with this weight.")
    var imageWords: Float?
    @Flag(name: .customLong("image-word-places"),
          help: "With --image-words: each token's words also give the cell of its object's centre, the column as 0, 1, … and the row as 10, 11, … (the same on all of the object's tokens).")
    var imageWordPlaces = false

    func validate() throws {
        if let imageWords, !(imageWords > 0 && imageWords.isFinite) {
            throw ValidationError("--image-words is the weight of the image-token word loss: give a positive number, got \(imageWords)")
        }
        if imageWordPlaces && imageWords == nil {
            throw ValidationError("--image-word-places adds to the image-token words: give --image-words too")
        }
    }

    func run() throws -> Run {
        var sft = try job.run(.sft)
        sft.training = try loop.options()
        sft.lora = lora.settings
        sft.freezeVision = lora.freezeVision
        sft.packByImage = packByImage
        sft.initRandom = initRandom
        sft.imageWordsWeight = imageWords
        sft.imageWordPlaces = imageWordPlaces
        return sft
    }
}
