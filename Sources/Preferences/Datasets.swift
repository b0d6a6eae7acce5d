import Foundation
import GRDB
import Interchange

/// Reviewers whose accuracy on gold pairs is below `minAccuracy` (a fraction) have their verdicts
/// dropped or down-weighted when a dataset version is frozen. Reviewers with no gold verdicts
/// are kept as they are.
public struct GoldRule: Equatable, Sendable {
    public var minAccuracy: Double
    public var belowGold: BelowGold

    public init(minAccuracy: Double, belowGold: BelowGold = .drop) {
        self.minAccuracy = minAccuracy
        self.belowGold = belowGold
    }
}

/// What changed between two dataset versions, pair by pair.
public struct DatasetDiff: Sendable {
    /// In the second version only.
    public var added: [DatasetEntry]
    /// In the first version only.
    public var removed: [DatasetEntry]
    /// In both, with chosen and rejected swapped (as the second version has them).
    public var flipped: [DatasetEntry]
    public var unchanged: Int
}

extension Workspace {
    /// Every vote other than skips.
    public func votes() throws -> [Vote] {
        try database.read { db in try Self.votes(in: db) }
    }

    /// Resolution and agreement statistics over every reviewer's verdicts.
    public func agreement(policy: ResolutionPolicy) throws -> AgreementReport {
        AgreementReport(votes: try votes(), policy: policy)
    }

    /// Snapshots the pairs whose verdict is A or B as a dataset version. A pair's verdict is, first
    /// that wins: an admin's adjudication, its gold verdict, or its reviewers' verdicts resolved by
    /// `policy`; with a `gold` rule, reviewers whose gold accuracy is below its minimum have their
    /// verdicts dropped or down-weighted first. A version is named by the hash of its pairs,
    /// verdicts and where they came from: when nothing changed since an earlier version, that
    /// version is returned and nothing is written. With `trainRounds`, the train split holds only
    /// the pairs of those rounds (held-out pairs are all kept).
    public func freezeDataset(policy: ResolutionPolicy, gold rule: GoldRule? = nil,
                              trainRounds: Set<Int>? = nil) throws -> (version: DatasetVersion, isNew: Bool) {
        if let rule, !(0...1).contains(rule.minAccuracy) {
            throw StoreError.refused("the minimum gold accuracy is a fraction from 0 to 1, not \(rule.minAccuracy)")
        }
        if let rule, rule.belowGold == .downWeight, policy == .unanimous {
            // unanimity counts verdicts, not their weight: down-weighting would silently change nothing
            throw StoreError.refused("down-weighting reviewers below the gold minimum changes nothing under the unanimous policy; drop them, or freeze by majority or reliability-weighted")
        }
        return try database.write { db in
            var weights: [Int64: Double] = [:]
            if let rule {
                for accuracy in try Self.goldAccuracy(in: db) {
                    guard let rate = accuracy.rate, rate < rule.minAccuracy else { continue }
                    weights[accuracy.reviewerId] = rule.belowGold == .drop ? 0 : rate / rule.minAccuracy
                }
            }
            var decided = Resolution.resolve(try Self.votes(in: db), policy: policy, weights: weights)
                .mapValues { (verdict: $0, source: VerdictSource.reviewers) }
            for gold in try GoldPair.fetchAll(db) { decided[gold.pairId] = (gold.verdict, .gold) }
            for adjudication in try Adjudication.fetchAll(db) { decided[adjudication.pairId] = (adjudication.verdict, .adjudication) }
            if let trainRounds {
                let left = try Int64.fetchAll(db, sql: """
                    SELECT pair.id FROM pair JOIN prompt ON prompt.id = pair.promptId
                    WHERE prompt.split = 'train' AND (pair.round IS NULL OR pair.round NOT IN (\(trainRounds.map(String.init).joined(separator: ","))))
                    """)
                for id in left { decided.removeValue(forKey: id) }
            }
            let chosen = decided.compactMapValues { decision -> (side: Side, source: VerdictSource)? in
                switch decision.verdict {
                case .a?: (.a, decision.source)
                case .b?: (.b, decision.source)
                default: nil
                }
            }
            guard !chosen.isEmpty else {
                throw StoreError.refused("nothing to freeze: no pair resolves to A or B under the \(policy.rawValue) policy")
            }
            // The content of each entry: its prompt's split, chosen answer, rejected answer and,
            // unless the reviewers' verdicts decided it, where its verdict came from.
            let rows = try Row.fetchAll(db, sql: """
                SELECT pair.id, prompt.split, a.contentHash AS a, b.contentHash AS b FROM pair
                JOIN prompt ON prompt.id = pair.promptId
                JOIN candidate a ON a.id = pair.candidateA
                JOIN candidate b ON b.id = pair.candidateB
                """)
            var lines: [String] = []
            var splits: [Split: Int] = [:]
            for row in rows {
                guard let (side, source) = chosen[row["id"]] else { continue }
                let split: Split = row["split"], a: String = row["a"], b: String = row["b"]
                lines.append("\(split.rawValue)\t" + (side == .a ? "\(a)\t\(b)" : "\(b)\t\(a)") + (source == .reviewers ? "" : "\t\(source.rawValue)"))
                splits[split, default: 0] += 1
            }
            let hash = SHA256.hex("dataset\n" + lines.sorted().joined(separator: "\n"))
            if let existing = try DatasetVersion.filter(Column("contentHash") == hash).fetchOne(db) { return (existing, false) }
            let outcomes = decided.values
            var version = DatasetVersion(
                id: nil, contentHash: hash, policy: policy, pairCount: chosen.count, trainCount: splits[.train] ?? 0,
                heldOutCount: splits[.heldOut] ?? 0, tieCount: outcomes.filter { $0.verdict == .tie }.count,
                bothBadCount: outcomes.filter { $0.verdict == .bothBad }.count, unresolvedCount: outcomes.filter { $0.verdict == nil }.count,
                createdAt: Date(), adjudicatedCount: outcomes.filter { $0.source == .adjudication }.count,
                goldCount: outcomes.filter { $0.source == .gold }.count, minGoldAccuracy: rule?.minAccuracy, belowGold: rule?.belowGold,
                belowGoldReviewers: weights.keys.sorted())
            try version.insert(db)
            for (pair, decision) in chosen.sorted(by: { $0.key < $1.key }) {
                try DatasetEntry(datasetVersionId: version.id!, pairId: pair, chosen: decision.side, source: decision.source).insert(db)
            }
            return (version, true)
        }
    }

    public func datasetVersions() throws -> [DatasetVersion] {
        try database.read { try DatasetVersion.order(Column("id")).fetchAll($0) }
    }

    /// A version by its number, or by a prefix (4+ characters) of its content hash.
    public func datasetVersion(_ reference: String) throws -> DatasetVersion {
        let matches = try database.read { db in
            if let id = Int64(reference) { return try DatasetVersion.fetchOne(db, id: id).map { [$0] } ?? [] }
            guard reference.count >= 4 else { return [] }
            return try DatasetVersion.filter(Column("contentHash").like("\(reference.lowercased())%")).fetchAll(db)
        }
        guard let version = matches.first else { throw StoreError.notFound(kind: "dataset version", id: reference) }
        guard matches.count == 1 else { throw StoreError.refused("\(reference) names \(matches.count) dataset versions; give more of the hash") }
        return version
    }

    public func entries(ofDataset id: Int64) throws -> [DatasetEntry] {
        try database.read { try DatasetEntry.filter(Column("datasetVersionId") == id).order(Column("pairId")).fetchAll($0) }
    }

    public func diffDatasets(_ first: DatasetVersion, _ second: DatasetVersion) throws -> DatasetDiff {
        let old = Dictionary(uniqueKeysWithValues: try entries(ofDataset: first.id!).map { ($0.pairId, $0) })
        let new = try entries(ofDataset: second.id!)
        let newPairs = Set(new.map(\.pairId))
        return DatasetDiff(
            added: new.filter { old[$0.pairId] == nil },
            removed: old.values.filter { !newPairs.contains($0.pairId) }.sorted { $0.pairId < $1.pairId },
            flipped: new.filter { entry in old[entry.pairId].map { $0.chosen != entry.chosen } ?? false },
            unchanged: new.filter { old[$0.pairId]?.chosen == $0.chosen }.count)
    }

    static func votes(in db: Database) throws -> [Vote] {
        try Row.fetchAll(db, sql: "SELECT pairId, reviewerId, verdict FROM comparison WHERE verdict <> 'skip' ORDER BY id").map {
            Vote(pairID: $0["pairId"], reviewerID: $0["reviewerId"], verdict: $0["verdict"])
        }
    }
}
