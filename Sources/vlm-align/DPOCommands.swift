import ArgumentParser
import Foundation
import Evaluation
import Runs
import Training
import VLM

/// The DPO settings the `dpo` and `dpo-eval` commands share.
struct DPOOptions: ParsableArguments {
    @Option(help: "DPO temperature β.")
    var beta: Float = 0.1

    @Option(help: "Loss: sigmoid, ipo, hinge or robust.")
    var loss: String = "sigmoid"

    @Option(name: .customLong("label-smoothing"), help: "Label smoothing ε (cDPO, robust).")
    var labelSmoothing: Float = 0

    @Option(name: .customLong("rpo-alpha"), help: "Weight of an NLL term on the chosen completions (RPO).")
    var rpoAlpha: Float?

    func settings() throws -> DPOSettings {
        guard let type = DPOLossType(rawValue: loss) else {
            throw ValidationError("--loss \(loss): use one of \(DPOLossType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let settings = DPOSettings(beta: beta, loss: type, labelSmoothing: labelSmoothing, rpoAlpha: rpoAlpha)
        // before any model is loaded or run folder written
        do { try settings.validate() } catch let error as TrainingError { throw ValidationError(error.description) }
        return settings
    }
}

struct DPOEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo-eval",
        abstract: "DPO metrics of a model against a reference on a preference set (TRL's evaluate()).")

    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("ref-model"), help: "Reference model folder (default: the model without its adapter).")
    var refModel: String?

    @Option(help: "TRL vision preference JSONL file.")
    var data: String

    @OptionGroup var dpo: DPOOptions

    @Option(name: .customLong("batch-size"), help: "Pairs per forward pass.")
    var batchSize = 4

    @Flag(help: "One JSON object with TRL's names.")
    var json = false

    func validate() throws {
        if refModel == nil && model.adapter == nil {
            throw ValidationError("dpo-eval needs --ref-model, or --adapter to compare against the base")
        }
    }

    func run() throws {
        let m = try PreferenceEvaluation.evaluate(
            model: model.folder, adapter: model.adapter.map { URL(fileURLWithPath: $0) }, reference: refModel.map { URL(fileURLWithPath: $0) },
            data: URL(fileURLWithPath: data), settings: try dpo.settings(), batchSize: batchSize)
        let named = m.trlNamed
        if json {
            let body = named.keys.sorted().map { "\(jsonString("eval_" + $0)):\(jsonNumber(named[$0]!))" }
            print("{" + (body + ["\"eval_pairs\":\(m.pairs)"]).joined(separator: ",") + "}")
        } else {
            for key in named.keys.sorted() { print(String(format: "%-20@ %.6f", "eval_" + key, named[key]!)) }
            print("pairs                \(m.pairs)")
        }
    }
}

struct DPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "Train a model on expert preferences by Direct Preference Optimization.",
        discussion: """
            Full fine-tuning against --ref-model (default: the starting model), or LoRA adapters \
            (--lora-rank) against the base with its adapters off; with --quantize the base's linear \
            weights are held in NF4 (QLoRA). Metrics go to OUT/metrics.jsonl with TRL's names; the \
            settings to OUT/run.json (a resumed run must keep them); the resumable state to \
            OUT/checkpoints (every --save-steps, on SIGINT/SIGTERM, at the end); the result to \
            OUT/model (full) or OUT/adapter (PEFT layout). With --workspace the result (merged) is \
            registered as a DPO checkpoint, child of the starting one, with its settings, dataset \
            version and held-out metrics, and becomes current.
            """)

    @OptionGroup var arguments: DPORunArguments

    func run() throws {
        try arguments.job.requireOut()
        try execute(try arguments.run(), json: arguments.job.json)
    }
}

/// Everything `dpo` (and `plan dpo`) takes: where the run starts, its data and settings.
struct DPORunArguments: ParsableArguments {
    @OptionGroup var job: RunOptions

    @Option(name: .customLong("ref-model"), help: "Reference model folder for full fine-tuning (default: the starting model).")
    var refModel: String?

    @OptionGroup var dpo: DPOOptions
    @OptionGroup var loop: LoopOptions
    @OptionGroup var lora: LoRAOptions
    @Option(help: "Hold the frozen base's linear weights in 4-bit NF4 (QLoRA, with --lora-rank): nf4 (the decoder's) or nf4-vision (also the vision tower's and the connector's).")
    var quantize: Quantization?
    @Option(name: .customLong("cache-dir"), help: "Where reference log-probs are cached.") var cacheDir: String?
    @Flag(name: .customLong("allow-no-sft"), help: "Start from a model without SFT in its lineage.") var allowNoSFT = false

    func validate() throws {
        if quantize != nil && lora.loraRank == nil {
            throw ValidationError("--quantize needs --lora-rank: an NF4 base is frozen, only adapters train on it")
        }
    }

    func run() throws -> Run {
        var dpoRun = try job.run(.dpo)
        dpoRun.training = try loop.options()
        dpoRun.dpo = try dpo.settings()
        dpoRun.lora = lora.settings
        dpoRun.freezeVision = lora.freezeVision
        dpoRun.quantize = quantize
        dpoRun.referenceModel = refModel.map { URL(fileURLWithPath: $0) }
        dpoRun.cacheDirectory = cacheDir.map { URL(fileURLWithPath: $0) }
        dpoRun.allowNoSFT = allowNoSFT
        return dpoRun
    }
}
