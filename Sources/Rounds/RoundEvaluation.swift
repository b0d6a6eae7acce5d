import Foundation
import Preferences
import Runs

/// What `round eval` measures the round's checkpoint on, besides the held-out expert pairs.
public struct RoundEvaluation: Sendable {
    /// Held-out prompt rows (`vlm-align eval --prompts`): KL, and task metrics per category.
    public var prompts: URL?
    /// The ShapesWorld whose oracle judges the answers to `prompts`.
    public var world: URL?
    public var beta: Float = 0.1
    public var batchSize = 32
    public var maxNewTokens = 48
    public var seed: UInt64 = 0

    public init() {}
}

extension AlignmentRounds {
    /// The three alignment metrics of the round's checkpoint on the held-out expert pairs (the
    /// held-out split of the dataset version it trained on), against the checkpoint every round is
    /// measured from (`evaluationReference`: the SFT ancestor); with prompts, KL and the task
    /// metrics per category. Recorded with the checkpoint; the round may then close.
    public func evaluate(_ request: RoundEvaluation) throws -> ModelEvaluationReport {
        let round = try openRound(for: "evaluate")
        guard round.status == .evaluating, let checkpoint = try workspace.checkpoint(ofRound: round.number) else {
            throw RoundError(Workspace.notTrained(round))
        }
        let heldOut = roundFolder(round.number).appending(path: "train/data/held-out.jsonl")
        let hasPairs = FileManager.default.fileExists(atPath: heldOut.path)
        guard hasPairs || request.prompts != nil else {
            throw RoundError("round \(round.number) has no held-out expert pairs and no --eval-prompts were given: nothing to evaluate on (start rounds with --held-out FILE)")
        }
        let reference = try evaluationReference(of: checkpoint)
        var evaluation = ModelEvaluation(model: .checkpoint(checkpoint.id!))
        evaluation.reference = reference.map { .checkpoint($0.id!) }
        evaluation.workspace = workspace
        evaluation.pairs = hasPairs ? heldOut : nil
        evaluation.prompts = request.prompts
        evaluation.world = request.world
        evaluation.beta = request.beta
        evaluation.batchSize = request.batchSize
        evaluation.maxNewTokens = request.maxNewTokens
        evaluation.seed = request.seed
        let report = try evaluation.run()
        try workspace.recordRoundEvaluation(round.number, checkpointID: checkpoint.id!, metrics: report.checkpointMetrics)
        // the reference's own task metrics, once: what a convergence round compares with (`Regressions`)
        if let reference, request.prompts != nil, !Regressions.hasTaskMetrics(reference.metrics) {
            var baseline = evaluation
            baseline.model = .checkpoint(reference.id!)
            baseline.pairs = nil
            baseline.measuresKL = false
            try workspace.recordMetrics(try baseline.run().checkpointMetrics, forCheckpoint: reference.id!)
        }
        return report
    }

    /// Closes the evaluated round: its checkpoint becomes current.
    public func close() throws -> (round: Round, checkpoint: Checkpoint) {
        let round = try openRound(for: "close")
        guard let checkpoint = try workspace.checkpoint(ofRound: round.number) else { throw RoundError(Workspace.notTrained(round)) }
        do {
            return (try workspace.closeRound(round.number, checkpointID: checkpoint.id!), checkpoint)
        } catch StoreError.refused(let reason) {
            throw RoundError(reason)
        }
    }
}
