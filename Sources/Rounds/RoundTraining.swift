import Foundation
import Interchange
import Preferences
import Runs
import Training
import VLM

/// What `round train` asks for: which pairs, which reference, and the DPO run's own settings.
public struct RoundTraining: Sendable {
    public enum DataScope: String, Sendable, CaseIterable {
        /// Every round's resolved pairs so far.
        case cumulative
        /// This round's only.
        case round
    }

    public enum ReferenceChoice: String, Sendable, CaseIterable {
        /// The round's parent checkpoint.
        case parent
        /// The nearest SFT checkpoint among its ancestors (full fine-tuning only).
        case sft
    }

    public var data = DataScope.cumulative
    public var reference = ReferenceChoice.parent
    public var policy = ResolutionPolicy.majority
    public var training = TrainingOptions()
    public var dpo = DPOSettings()
    public var lora: LoRASettings?
    public var freezeVision = false
    public var quantize: Quantization?
    public var cacheDirectory: URL?
    public var resume = false

    public init() {}
}

extension AlignmentRounds {
    /// Freezes the round's dataset version and runs DPO on it from the round's parent; the result
    /// is registered as the round's checkpoint (not current until the round closes). A run killed
    /// midway leaves the round in training; `resume` continues it from its saved state.
    public func train(_ request: RoundTraining, stop: StopSignal? = nil, events: (RunEvent) -> Void = { _ in }) throws -> RunResult {
        let round = try openRound(for: "train")
        switch round.status {
        case .reviewing: break
        case .training where request.resume: break
        case .training: throw RoundError("round \(round.number)'s training was interrupted: continue it with `vlm-align round train --resume`")
        default: throw RoundError("round \(round.number) is already trained: \(Workspace.stillOpen(round))")
        }
        let trainRounds = request.data == .round ? Set([round.number]) : Set(1...round.number)
        let details = try workspace.pairDetails(round: round.number)
        let ours = Set(details.filter { $0.prompt.split == .train }.map { $0.pair.id! })
        let resolved = Resolution.resolve(try workspace.votes().filter { ours.contains($0.pairID) }, policy: request.policy)
        guard resolved.values.contains(where: { $0 == .a || $0 == .b }) else {
            throw RoundError("round \(round.number) has no verdicts to train on yet (\(ours.count) pairs, none resolved to A or B): review them in the app (`vlm-align review serve`) or with `vlm-align round simulate`")
        }
        var referenceModel: URL?
        if request.reference == .sft {
            guard request.lora == nil else { throw RoundError("--reference sft needs full fine-tuning: a LoRA run's reference is its base with the adapters off") }
            let parent = try workspace.checkpoint(round.parentCheckpointId)
            let sft = parent.kind == .sft ? parent : try evaluationReference(of: parent)
            guard let sft, sft.kind == .sft else { throw RoundError("--reference sft: checkpoint #\(parent.id!) has no SFT checkpoint among its ancestors") }
            referenceModel = folder(of: sft)
        }
        let version = try workspace.freezeDataset(policy: request.policy, trainRounds: trainRounds).version
        var run = Run(method: .dpo, model: .checkpoint(round.parentCheckpointId), data: .datasetVersion("\(version.id!)"),
                      out: roundFolder(round.number).appending(path: "train"))
        run.referenceModel = referenceModel
        run.workspace = workspace
        run.training = request.training
        run.dpo = request.dpo
        run.lora = request.lora
        run.freezeVision = request.freezeVision
        run.quantize = request.quantize
        run.cacheDirectory = request.cacheDirectory ?? workspace.root.appending(path: "rounds/cache")
        run.resume = request.resume
        run.round = round.number
        run.makeCurrent = false
        try workspace.moveRound(round.number, from: [.reviewing, .training], to: .training) { Workspace.stillOpen($0) }
        let result: RunResult
        do {
            result = try run.execute(stop: stop, events: events)
        } catch {
            // refused or failed before a state worth resuming: the round waits for training again
            if !FileManager.default.fileExists(atPath: run.out.appending(path: "checkpoints/latest").path) {
                try workspace.moveRound(round.number, from: [.training], to: .reviewing) { Workspace.stillOpen($0) }
            }
            throw error
        }
        if result.outcome == .finished {
            try workspace.moveRound(round.number, from: [.training], to: .evaluating) { Workspace.stillOpen($0) }
        }
        return result
    }
}
