import Foundation
import Interchange
import Training
import VLM

/// TRL's evaluate() for a model folder (with an optional PEFT adapter) against a reference on
/// a preference file: the DPO metrics, preference accuracy and reward margin among them.
public enum PreferenceEvaluation {
    /// `reference` nil compares the adapted model against its base (the adapter switched off).
    public static func evaluate(model folder: URL, adapter: URL?, reference: URL?, data: URL, settings: DPOSettings,
                                batchSize: Int) throws -> DPOMetrics {
        let policy = try ModelFolder.load(folder)
        let processor = try policy.processor(folder: folder)
        let adapters = try adapter.map { try PEFTFormat.load($0, into: policy) }
        let pairs = try PreferenceDataset.pairs(data, processor: processor)
        let referenceModel: ReferenceModel = try reference.map { .model(try ModelFolder.load($0)) } ?? .adaptersDisabled
        // scoring only: no gradients are kept (an update would refuse: "no gradients to apply")
        let trainer = try DPOTrainer(policy: policy, adapters: adapters, reference: referenceModel, settings: settings,
                                     padToken: processor.padToken)
        let references = try trainer.referenceLogProbs(pairs)
        return try AlignmentMetrics.dpo(trainer, pairs: pairs, references: references, batchSize: batchSize)
    }
}
