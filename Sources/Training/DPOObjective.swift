import Foundation
import Interchange
import Tensor
import VLM

/// DPO over a set of pairs with their reference log-probs. Held-out metrics come from
/// `evaluator` (the Evaluation module's, set by whoever runs the training).
public final class DPOObjective: TrainingObjective {
    public let trainer: DPOTrainer
    let pairs: [PreferencePair]
    let references: [(chosen: Double, rejected: Double)]
    /// Held-out metrics for a batch size; nil: no held-out set.
    public var evaluator: ((_ batchSize: Int) throws -> [String: Double])?

    public init(trainer: DPOTrainer, pairs: [PreferencePair], references: [(chosen: Double, rejected: Double)]) {
        precondition(references.count == pairs.count, "one reference per pair")
        self.trainer = trainer
        self.pairs = pairs
        self.references = references
    }

    public var updater: ParameterUpdater { trainer.updater }
    public var exampleCount: Int { pairs.count }

    /// Each batch the same: the loss of a step is the mean of its batches' mean losses.
    public func weight(of indices: [Int]) -> Double { 1 }

    public func step(_ indices: [Int], scale: Double, rng: inout SeededGenerator) throws -> BatchResult {
        let m = try trainer.lossAndGradients(indices.map { pairs[$0] }, reference: indices.map { references[$0] },
                                             backward: true, scale: scale, rng: &rng)
        return BatchResult(metrics: m.trlNamed, tokens: m.tokens)
    }

    public func evaluate(batchSize: Int) throws -> [String: Double]? {
        try evaluator?(batchSize)
    }
}
