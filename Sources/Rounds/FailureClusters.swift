import Evaluation
import Foundation
import Interchange
import Preferences
import Training

/// The held-out expert pairs the current checkpoint gets wrong (its reward of the rejected answer
/// at least that of the chosen one), grouped three ways.
public struct FailureReport: Sendable {
    public struct Example: Sendable {
        public var pairID: Int64
        public var prompt: String
        public var chosen: String
        public var rejected: String
        public var margin: Double
    }

    public struct Group: Sendable {
        public var name: String
        public var count: Int
        public var examples: [Example]
    }

    public struct Cluster: Sendable {
        /// The words that weigh most in the cluster.
        public var terms: [String]
        public var size: Int
        /// Failures per prompt category.
        public var categories: [String: Int]
        public var examples: [Example]
    }

    public var checkpoint: Int64
    public var reference: Int64?
    /// Held-out pairs with a verdict (A or B), and how many of them the checkpoint gets wrong.
    public var pairs: Int
    public var wrong: Int
    public var byCategory: [Group]
    public var byReason: [Group]
    /// Largest first.
    public var clusters: [Cluster]
    /// What the texts were clustered by.
    public var features: String
}

extension AlignmentRounds {
    /// Groups the current checkpoint's held-out failures by prompt category, by the reviewers'
    /// reason tags, and into `clusters` k-means clusters of their texts (prompt and both answers):
    /// their sentence embeddings by `encoder` (all-MiniLM-L6-v2), or without one their token
    /// statistics; largest first.
    public func failures(clusters k: Int = 6, beta: Double = 0.1, examples: Int = 3, seed: UInt64 = 0,
                         encoder: SentenceEncoder? = nil) throws -> FailureReport {
        guard let current = try workspace.currentCheckpoint() else { throw RoundError("no current checkpoint: import a model first") }
        let reference = try evaluationReference(of: current)
        let resolved = Resolution.resolve(try workspace.votes(), policy: .majority)
        let judged = try workspace.pairDetails().compactMap { detail -> (PairDetail, Side)? in
            guard detail.prompt.split == .heldOut, let verdict = resolved[detail.pair.id!] ?? nil else { return nil }
            switch verdict {
            case .a: return (detail, .a)
            case .b: return (detail, .b)
            default: return nil
            }
        }
        var result = FailureReport(checkpoint: current.id!, reference: reference?.id, pairs: judged.count, wrong: 0, byCategory: [],
                                   byReason: [], clusters: [],
                                   features: encoder == nil ? "token statistics (TF-IDF)" : "all-MiniLM-L6-v2 sentence embeddings")
        guard !judged.isEmpty else { return result }
        let scorer = try RewardScorer(policy: folder(of: current), reference: reference.map(folder), beta: beta, batchSize: 16)
        let rows = judged.map { detail, side in
            let (chosen, rejected) = side == .a ? (detail.a, detail.b) : (detail.b, detail.a)
            return PreferenceDataset.Row(images: detail.images.map(workspace.blobURL), prompt: detail.prompt.body, chosen: chosen.body,
                                         rejected: rejected.body)
        }
        let margins = try scorer.margins(rows, progress: report("scoring held-out pairs"))
        let failures = zip(judged, margins).filter { $0.1 <= 0 }.map { pair, margin in
            let (detail, side) = pair
            let (chosen, rejected) = side == .a ? (detail.a, detail.b) : (detail.b, detail.a)
            return (detail, Example(pairID: detail.pair.id!, prompt: detail.prompt.text, chosen: chosen.text, rejected: rejected.text, margin: margin))
        }
        result.wrong = failures.count
        func groups(_ keyed: [(String, FailureReport.Example)]) -> [FailureReport.Group] {
            Dictionary(grouping: keyed, by: \.0).map { name, members in
                FailureReport.Group(name: name, count: members.count, examples: Array(members.prefix(examples).map(\.1)))
            }.sorted { ($0.count, $1.name) > ($1.count, $0.name) }
        }
        result.byCategory = groups(failures.map { ($0.0.prompt.category ?? "(none)", $0.1) })
        let tags = Dictionary(grouping: try workspace.comparisons(), by: \.pairId).mapValues { Set($0.flatMap(\.reasonTags)) }
        result.byReason = groups(failures.flatMap { detail, example in
            let given = tags[detail.pair.id!] ?? []
            return (given.isEmpty ? ["(no reason given)"] : given.sorted()).map { ($0, example) }
        })
        let texts = failures.map { "\($0.1.prompt) \($0.1.chosen) \($0.1.rejected)" }
        let embeddings = try encoder.map { try $0.embed(texts).map { $0.map(Double.init) } }
        result.clusters = TextClusters.cluster(texts, k: k, seed: seed, embeddings: embeddings).map { cluster in
            FailureReport.Cluster(terms: cluster.terms, size: cluster.members.count,
                                  categories: Dictionary(cluster.members.map { (failures[$0].0.prompt.category ?? "(none)", 1) }, uniquingKeysWith: +),
                                  examples: cluster.members.prefix(examples).map { failures[$0].1 })
        }
        return result
    }
}

private typealias Example = FailureReport.Example
