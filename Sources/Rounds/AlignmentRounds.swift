import Foundation
import Interchange
import Preferences

/// Where long work stands: a stage and how much of it is done.
public struct RoundProgress: Sendable {
    public var stage: String
    public var done: Int
    public var total: Int
}

/// The rounds of a workspace: where training meets the store. Each step (`start`, `simulate`,
/// `train`, `evaluate`, `close`) checks the open round's status and refuses, changing nothing,
/// when it is not its turn, saying what to do next.
public struct AlignmentRounds {
    public let workspace: Workspace
    /// Told the progress of long work (sampling, scoring, reviewing).
    public var progress: (RoundProgress) -> Void = { _ in }

    public init(workspace: Workspace) { self.workspace = workspace }

    func report(_ stage: String) -> (Int, Int) -> Void {
        { done, total in progress(RoundProgress(stage: stage, done: done, total: total)) }
    }

    /// The folder of a checkpoint.
    func folder(of checkpoint: Checkpoint) -> URL { workspace.root.appending(path: checkpoint.folder) }

    /// The model a checkpoint's rewards and KL are measured against: for a DPO checkpoint its
    /// nearest SFT ancestor (so every round is measured from the same model), else its parent.
    func evaluationReference(of checkpoint: Checkpoint) throws -> Checkpoint? {
        guard checkpoint.kind == .dpo else { return try checkpoint.parentId.map { try workspace.checkpoint($0) } }
        var next = checkpoint.parentId
        while let id = next {
            let ancestor = try workspace.checkpoint(id)
            if ancestor.kind == .sft { return ancestor }
            next = ancestor.parentId
        }
        return try checkpoint.parentId.map { try workspace.checkpoint($0) }
    }

    /// The open round, or a refusal saying what to do first.
    func openRound(for step: String) throws -> Round {
        guard let round = try workspace.openRound() else {
            throw RoundError("no round is open to \(step): start one with `vlm-align round start`")
        }
        return round
    }

    /// Where a round's files go: `rounds/round-N/` in the workspace.
    func roundFolder(_ number: Int) -> URL { workspace.root.appending(path: "rounds/round-\(number)") }
}

/// A round command refused or failed: what went wrong, and what to do next.
public struct RoundError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension RoundGoal {
    /// The goal as the command line names it.
    public var label: String { self == .failureCluster ? "failures" : rawValue }

    public init?(label: String) {
        guard let goal = Self.allCases.first(where: { $0.label == label }) else { return nil }
        self = goal
    }
}
