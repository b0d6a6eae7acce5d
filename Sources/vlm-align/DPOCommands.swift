import ArgumentParser
import Foundation
import Interchange
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
        return DPOSettings(beta: beta, loss: type, labelSmoothing: labelSmoothing, rpoAlpha: rpoAlpha)
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

    func run() throws {
        let (policy, processor, adapters) = try model.load()
        let pairs = try PreferenceDataset.pairs(URL(fileURLWithPath: data), processor: processor)
        let reference: ReferenceModel
        if let refModel { reference = .model(try ModelFolder.load(URL(fileURLWithPath: refModel))) } else {
            guard adapters != nil else { throw ValidationError("dpo-eval needs --ref-model, or --adapter to compare against the base") }
            reference = .adaptersDisabled
        }
        // scoring only: no gradients are kept (an update would refuse: "no gradients to apply")
        let trainer = try DPOTrainer(policy: policy, adapters: adapters, reference: reference, settings: try dpo.settings(),
                                     padToken: processor.padToken)
        let refs = try trainer.referenceLogProbs(pairs)
        let m = try DPOObjective.metrics(trainer, pairs: pairs, references: refs, batchSize: batchSize)
        let named = m.trlNamed.mapValues { $0 }
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
            Full fine-tuning against --ref-model, or LoRA adapters (--lora-rank) against the base \
            with its adapters off; with --quantize the base's linear weights are held in NF4 \
            (QLoRA). Metrics go to OUT/metrics.jsonl with TRL's names; the resumable state to OUT/checkpoints (every --save-steps, on SIGINT/SIGTERM, at the end); \
            the result to OUT/model (full) or OUT/adapter (PEFT layout).
            """)

    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("ref-model"), help: "Reference model folder (full fine-tuning).")
    var refModel: String?

    @Option(help: "TRL vision preference JSONL file.")
    var data: String

    @Option(name: .customLong("eval-data"), help: "Held-out preference JSONL, evaluated every --eval-steps and at the end.")
    var evalData: String?

    @Option(help: "Run folder.")
    var out: String

    @OptionGroup var dpo: DPOOptions

    @OptionGroup var loop: LoopOptions
    @OptionGroup var lora: LoRAOptions
    @Option(help: "Hold the frozen base's linear weights in 4-bit NF4 (QLoRA, with --lora-rank): nf4 (the decoder's) or nf4-vision (also the vision tower's and the connector's).")
    var quantize: Quantization?
    @Option(name: .customLong("cache-dir"), help: "Where reference log-probs are cached.") var cacheDir: String?
    @Flag(name: .customLong("allow-no-sft"), help: "Start from a model without SFT in its lineage.") var allowNoSFT = false
    @Flag(help: "Continue the run in --out from its latest checkpoint.") var resume = false
    @Flag(help: "One JSON object per step.") var json = false

    func run() throws {
        try Lineage.requireSFT(model.folder, allowNoSFT: allowNoSFT)
        let options = try loop.options()
        let outURL = URL(fileURLWithPath: out)
        if quantize != nil && lora.loraRank == nil {
            throw ValidationError("--quantize needs --lora-rank: an NF4 base is frozen, only adapters train on it")
        }
        let loaded = try ModelFolder.load(model.folder, quantize: quantize)
        let processor = try loaded.processor(folder: model.folder)
        var adapters: Adapters? = nil
        let policy: any VisionLanguageModel
        let reference: ReferenceModel
        var referenceIdentity = SHA256()
        if let config = lora.config(for: loaded) {
            policy = loaded
            adapters = try Adapters(attachingTo: policy, config: config, seed: options.seed)
            reference = .adaptersDisabled
            referenceIdentity.update(try FolderContents(model.folder).contentHash())
            referenceIdentity.update("adapters-disabled")
            // the reference is the base as held: NF4 log-probs are not the fp32 base's
            if let quantize { referenceIdentity.update(quantize.rawValue) }
        } else {
            guard let refModel else { throw ValidationError("full fine-tuning needs --ref-model (or train LoRA with --lora-rank)") }
            policy = loaded.trainable(freezing: lora.freezeVision ? [.vision] : [])
            reference = .model(try ModelFolder.load(URL(fileURLWithPath: refModel)))
            referenceIdentity.update(try FolderContents(URL(fileURLWithPath: refModel)).contentHash())
        }
        let trainer = try DPOTrainer(policy: policy, adapters: adapters, reference: reference, settings: try dpo.settings(),
                                     padToken: processor.padToken)
        let pairs = try PreferenceDataset.pairs(URL(fileURLWithPath: data), processor: processor)
        let evalPairs = try evalData.map { try PreferenceDataset.pairs(URL(fileURLWithPath: $0), processor: processor) } ?? []
        let cache = cacheDir.map { ReferenceCache(directory: URL(fileURLWithPath: $0)) } ?? .standard
        func references(_ set: [PreferencePair]) throws -> [(chosen: Double, rejected: Double)] {
            guard !set.isEmpty else { return [] }
            let key = ReferenceCache.key(reference: referenceIdentity.hexDigest(), pairs: set)
            let (values, cached) = try cache.logProbs(key: key, count: set.count) {
                try stride(from: 0, to: set.count, by: max(options.batchSize, 1)).flatMap {
                    try trainer.referenceLogProbs(Array(set[$0..<min(set.count, $0 + max(options.batchSize, 1))]))
                }
            }
            if !json { print(cached ? "reference log-probs: cached (\(key))" : "reference log-probs: computed for \(set.count) pairs") }
            return values
        }
        let objective = DPOObjective(trainer: trainer, pairs: pairs, references: try references(pairs),
                                     evalPairs: evalPairs, evalReferences: try references(evalPairs))
        objective.klSampling = SamplingSettings(temperature: 1, seed: options.seed, maxNewTokens: 32, stopTokens: processor.stopTokens)
        let run = TrainingRun(objective: objective, options: options, directory: outURL)
        try runLoop(run, resume: resume, json: json, out: out)
        let lineage = Lineage(kind: .dpo, parent: model.folder.path, hasSFTAncestor: true, dataset: data)
        if let adapters {
            let folder = outURL.appendingPathComponent("adapter")
            try PEFTFormat.save(adapters, to: folder, baseModel: model.folder.path)
            try lineage.write(to: folder)
            if !json { print("adapter written to \(folder.path)") }
        } else {
            let folder = outURL.appendingPathComponent("model")
            try ModelFolder.save(policy, to: folder, companionsFrom: model.folder)
            try lineage.write(to: folder)
            if !json { print("model written to \(folder.path)") }
        }
    }
}
