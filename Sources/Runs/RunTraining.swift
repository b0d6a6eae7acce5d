import Evaluation
import Foundation
import Interchange
import Training
import VLM

/// What the training part of a run made.
struct Trained {
    var outcome: TrainingRun.Outcome
    var model: URL?
    var adapter: URL?
    var evaluation: [String: Double]?
}

extension Run {
    /// SFT: the result, adapters merged, in OUT/model.
    func trainSFT(from folder: URL, data: URL, evalData: URL?, settings: RunSettings, stop: StopSignal?,
                  events: (RunEvent) -> Void) throws -> Trained {
        try settings.record(in: out, resume: resume)
        let processor = try ModelFolder.processor(folder)
        let shape = try ModelFolder.shape(folder)
        let examples = try supervisedExamples(data, processor: processor, shape: shape)
        let evalExamples = try evalData.map { try SupervisedDataset.examples($0, processor: processor) } ?? []
        try plan(shape, settings, examples.map(Plan.Sequence.init), events: events)
        let loaded = initRandom ? try ModelFolder.initialize(folder, seed: training.seed) : try ModelFolder.load(folder)
        let (model, adapters) = try trainable(loaded)
        let imageWords = try imageWordsWeight.map {
            try ImageWordTargets.load(data: data, weight: $0, places: imageWordPlaces, processor: processor,
                                      tokensPerImage: shape.imageTokensPerTile)
        }
        let objective = try SFTObjective(model: model, adapters: adapters, examples: examples, evalExamples: evalExamples,
                                         padToken: processor.padToken, imageWords: imageWords)
        var trained = try loop(objective, stop: stop, events: events)
        guard trained.outcome == .finished else { return trained }
        try adapters?.merge(into: model)
        trained.model = out.appendingPathComponent("model")
        try ModelFolder.save(model, to: trained.model!, companionsFrom: folder)
        return trained
    }

    /// DPO: the result in OUT/model; a LoRA run writes its adapter (PEFT) to OUT/adapter, and
    /// the base with the adapter merged to OUT/model only for a workspace to register (merging
    /// into an NF4 base needs the fp32 base loaded again).
    func trainDPO(from folder: URL, data: URL, evalData: URL?, settings: inout RunSettings, stop: StopSignal?,
                  events: (RunEvent) -> Void) throws -> Trained {
        settings.referenceID = settings.reference(modelID: try referenceModel.map { try FolderContents($0).contentHash() })
        try settings.record(in: out, resume: resume)
        let processor = try ModelFolder.processor(folder)
        let pairs = try PreferenceDataset.pairs(data, processor: processor)
        let evalPairs = try evalData.map { try PreferenceDataset.pairs($0, processor: processor) } ?? []
        try plan(try ModelFolder.shape(folder), settings, pairs.map(Plan.Sequence.init), events: events)
        let loaded = try ModelFolder.load(folder, quantize: quantize)
        let (policy, adapters) = try trainable(loaded)
        let reference: ReferenceModel = adapters != nil ? .adaptersDisabled : .folder(referenceModel ?? folder)

        let trainer = try DPOTrainer(policy: policy, adapters: adapters, reference: reference, settings: dpo, padToken: processor.padToken)
        let cache = cacheDirectory.map { ReferenceCache(directory: $0) } ?? .standard
        let batch = max(training.batchSize, 1)
        func references(_ set: [PreferencePair]) throws -> [(chosen: Double, rejected: Double)] {
            guard !set.isEmpty else { return [] }
            let key = ReferenceCache.key(reference: settings.referenceID!, pairs: set)
            let (values, cached) = try cache.logProbs(key: key, count: set.count) {
                try stride(from: 0, to: set.count, by: batch).flatMap {
                    try trainer.referenceLogProbs(Array(set[$0..<min(set.count, $0 + batch)]))
                }
            }
            events(.referenceLogProbs(cached: cached, key: key, pairs: set.count))
            return values
        }
        let objective = DPOObjective(trainer: trainer, pairs: pairs, references: try references(pairs))
        if evalPairs.isEmpty {
            trainer.releaseReference()
        } else {
            let evalReferences = try references(evalPairs)
            let sampling = SamplingSettings(temperature: 1, seed: training.seed, maxNewTokens: 32, stopTokens: processor.stopTokens)
            objective.evaluator = { batchSize in
                try AlignmentMetrics.heldOut(trainer, pairs: evalPairs, references: evalReferences, klSampling: sampling, batchSize: batchSize)
            }
        }
        var trained = try loop(objective, stop: stop, events: events)
        guard trained.outcome == .finished else { return trained }
        let modelFolder = out.appendingPathComponent("model")
        if let adapters {
            let adapterFolder = out.appendingPathComponent("adapter")
            try PEFTFormat.save(adapters, to: adapterFolder, baseModel: folder.path)
            trained.adapter = adapterFolder
            guard workspace != nil else { return trained }
            // into the policy itself, or, for an NF4 base, into the fp32 base
            let base = quantize == nil ? policy : try ModelFolder.load(folder)
            let merging = quantize == nil ? adapters : try PEFTFormat.load(adapterFolder, into: base)
            try merging.merge(into: base)
            try ModelFolder.save(base, to: modelFolder, companionsFrom: folder)
        } else {
            try ModelFolder.save(policy, to: modelFolder, companionsFrom: folder)
        }
        trained.model = modelFolder
        return trained
    }

    /// SFT's examples of `file`, packed by image when asked.
    func supervisedExamples(_ file: URL, processor: any Processor, shape: ModelShape) throws -> [SupervisedExample] {
        let read = try SupervisedDataset.examples(file, processor: processor)
        return packByImage ? SupervisedExample.sharingImagePrefixes(read, imageToken: shape.imageTokenId) : read
    }

    /// The run's memory and time, told before the model loads; a run that would not fit is refused.
    private func plan(_ shape: ModelShape, _ settings: RunSettings, _ sequences: [Plan.Sequence], events: (RunEvent) -> Void) throws {
        let plan = Plan(shape: shape, settings: settings, sequences: sequences)
        events(.plan(plan))
        try plan.check()
    }

    /// The model to train and its adapters: LoRA on the loaded model, or all weights outside
    /// the frozen parts.
    private func trainable(_ loaded: any VisionLanguageModel) throws -> (any VisionLanguageModel, Adapters?) {
        if let lora {
            return (loaded, try Adapters(attachingTo: loaded, config: lora.config(for: loaded), seed: training.seed))
        }
        return (loaded.trainable(freezing: freezeVision ? [.vision] : []), nil)
    }

    /// The training loop, its reports passed on; the last evaluation kept.
    private func loop(_ objective: TrainingObjective, stop: StopSignal?, events: (RunEvent) -> Void) throws -> Trained {
        let run = TrainingRun(objective: objective, options: training, directory: out)
        var evaluation: [String: Double]?
        let outcome: TrainingRun.Outcome
        do {
            outcome = try run.run(resume: resume, stop: stop) { report, isEval in
                if isEval { evaluation = report.values }
                events(.step(report, isEval: isEval))
            }
        } catch let error as TrainingError {
            throw TrainingError("\(error.description)\nthe last good state stays in \(out.appendingPathComponent("checkpoints").path)")
        }
        return Trained(outcome: outcome, evaluation: evaluation)
    }
}
