import Foundation
import Interchange
import Preferences
import Training
import VLM

/// How to pick pairs for review (DESIGN.md, "model confidence").
public enum MiningStrategy: String, Sendable, CaseIterable {
    /// Unreviewed pairs with `p` closest to 0.5.
    case uncertain
    /// Reviewed pairs the model gets wrong with `p` farthest from 0.5.
    case confidentlyWrong = "confidently-wrong"
    /// Unreviewed pairs in a seeded random order.
    case random
}

/// The implicit DPO reward of a policy against its reference: `β((lp(a) - lr(a)) - (lp(b) - lr(b)))`
/// for two answers `a`, `b` to one prompt; the model's confidence that `a` is better is its sigmoid.
struct RewardScorer {
    var policy: LoadedModel
    /// nil: the policy is its own reference (every margin is 0).
    var reference: (any VisionLanguageModel)?
    var beta: Double
    var batchSize: Int

    init(policy: URL, reference: URL?, beta: Double, batchSize: Int) throws {
        self.policy = try LoadedModel(policy)
        self.reference = try reference.map { try ModelFolder.load($0) }
        self.beta = beta
        self.batchSize = batchSize
    }

    /// `β((lp(a) - lr(a)) - (lp(b) - lr(b)))` per pair; `progress` is told the pairs done.
    func margins(_ rows: [PreferenceDataset.Row], progress: (Int, Int) -> Void = { _, _ in }) throws -> [Double] {
        guard let reference else { return rows.map { _ in 0 } }
        let pairs = try rows.map { try PreferenceDataset.pair($0, processor: policy.processor) }
        var margins: [Double] = []
        for start in stride(from: 0, to: pairs.count, by: max(batchSize, 1)) {
            let batch = Array(pairs[start..<min(pairs.count, start + max(batchSize, 1))])
            let lp = try PairScorer.logProbs(policy.model, pairs: batch, padToken: policy.processor.padToken)
            let lr = try PairScorer.logProbs(reference, pairs: batch, padToken: policy.processor.padToken)
            for (p, r) in zip(lp, lr) { margins.append(beta * ((p.chosen - r.chosen) - (p.rejected - r.rejected))) }
            progress(margins.count, pairs.count)
        }
        return margins
    }

    static func confidence(_ margin: Double) -> Double { 1 / (1 + exp(-margin)) }
}

/// A pair and the model's confidence `p` that its answer A is better.
public struct MinedPair: Sendable {
    /// The stored pair, when it is one.
    public var pairID: Int64?
    public var prompt: String
    public var a: String
    public var b: String
    public var p: Double
    /// For a reviewed pair: the side the reviewers chose.
    public var chosen: Side?
}

enum Mining {
    /// The indices `strategy` picks, at most `k`: by `|p - 0.5|` ascending (uncertain), by how far
    /// `p` lies on the wrong side of 0.5 (confidently wrong: only pairs with a `chosen` side the
    /// model does not prefer), or a seeded shuffle (random).
    static func pick(_ strategy: MiningStrategy, _ pairs: [MinedPair], k: Int, seed: UInt64) -> [Int] {
        switch strategy {
        case .uncertain:
            return Array(pairs.indices.sorted { (abs(pairs[$0].p - 0.5), $0) < (abs(pairs[$1].p - 0.5), $1) }.prefix(k))
        case .confidentlyWrong:
            let wrong = pairs.indices.filter { i in
                guard let chosen = pairs[i].chosen else { return false }
                return chosen == .a ? pairs[i].p < 0.5 : pairs[i].p > 0.5
            }
            return Array(wrong.sorted { (-abs(pairs[$0].p - 0.5), $0) < (-abs(pairs[$1].p - 0.5), $1) }.prefix(k))
        case .random:
            var order = Array(pairs.indices)
            var rng = SeededGenerator(seed: seed)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            return Array(order.prefix(k))
        }
    }
}

extension AlignmentRounds {
    /// Scores stored pairs by the current checkpoint's confidence `p` (its parent the reference)
    /// and picks `k` by `strategy`: unreviewed pairs (uncertain, random) or reviewed pairs with a
    /// resolved verdict (confidently wrong).
    public func mine(_ strategy: MiningStrategy, k: Int, beta: Double = 0.1, seed: UInt64 = 0) throws -> [MinedPair] {
        guard k > 0 else { throw RoundError("--k must be positive") }
        guard let current = try workspace.currentCheckpoint() else { throw RoundError("no current checkpoint: import a model first") }
        let resolved = Resolution.resolve(try workspace.votes(), policy: .majority)
        let reviewed = Set(try workspace.comparisons().map(\.pairId))
        let candidates: [(PairDetail, Side?)] = try workspace.pairDetails().compactMap { detail in
            let id = detail.pair.id!
            if strategy != .confidentlyWrong { return reviewed.contains(id) ? nil : (detail, nil) }
            switch resolved[id] ?? nil {
            case .a?: return (detail, .a)
            case .b?: return (detail, .b)
            default: return nil
            }
        }
        let mined: [MinedPair]
        if strategy == .random {
            mined = candidates.map { MinedPair(pairID: $0.0.pair.id, prompt: $0.0.prompt.text, a: $0.0.a.text, b: $0.0.b.text, p: .nan, chosen: $0.1) }
        } else {
            let reference = try current.parentId.map { folder(of: try workspace.checkpoint($0)) }
            let scorer = try RewardScorer(policy: folder(of: current), reference: reference, beta: beta, batchSize: 16)
            let rows = candidates.map { detail, _ in
                PreferenceDataset.Row(images: detail.images.map(workspace.blobURL), prompt: detail.prompt.body, chosen: detail.a.body,
                                      rejected: detail.b.body)
            }
            let margins = try scorer.margins(rows, progress: report("scoring pairs"))
            mined = zip(candidates, margins).map { c, margin in
                MinedPair(pairID: c.0.pair.id, prompt: c.0.prompt.text, a: c.0.a.text, b: c.0.b.text, p: RewardScorer.confidence(margin), chosen: c.1)
            }
        }
        return Mining.pick(strategy, mined, k: k, seed: seed).map { mined[$0] }
    }
}
