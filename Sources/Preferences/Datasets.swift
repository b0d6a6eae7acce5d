import Foundation
import GRDB
import Interchange

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

    /// Snapshots the pairs that resolve to A or B under `policy` as a dataset version. A version
    /// is named by the hash of its pairs and verdicts: when nothing changed since an earlier
    /// version, that version is returned and nothing is written. With `trainRounds`, the train
    /// split holds only the pairs of those rounds (held-out pairs are all kept).
    public func freezeDataset(policy: ResolutionPolicy, trainRounds: Set<Int>? = nil) throws -> (version: DatasetVersion, isNew: Bool) {
        try database.write { db in
            var resolved = Resolution.resolve(try Self.votes(in: db), policy: policy)
            if let trainRounds {
                let left = try Int64.fetchAll(db, sql: """
                    SELECT pair.id FROM pair JOIN prompt ON prompt.id = pair.promptId
                    WHERE prompt.split = 'train' AND (pair.round IS NULL OR pair.round NOT IN (\(trainRounds.map(String.init).joined(separator: ","))))
                    """)
                for id in left { resolved.removeValue(forKey: id) }
            }
            let chosen = resolved.compactMapValues { verdict -> Side? in
                switch verdict {
                case .a?: .a
                case .b?: .b
                default: nil
                }
            }
            guard !chosen.isEmpty else {
                throw StoreError.refused("nothing to freeze: no pair resolves to A or B under the \(policy.rawValue) policy")
            }
            // The content of each entry: its prompt's split, chosen answer and rejected answer.
            let rows = try Row.fetchAll(db, sql: """
                SELECT pair.id, prompt.split, a.contentHash AS a, b.contentHash AS b FROM pair
                JOIN prompt ON prompt.id = pair.promptId
                JOIN candidate a ON a.id = pair.candidateA
                JOIN candidate b ON b.id = pair.candidateB
                """)
            var lines: [String] = []
            var splits: [Split: Int] = [:]
            for row in rows {
                guard let side = chosen[row["id"]] else { continue }
                let split: Split = row["split"], a: String = row["a"], b: String = row["b"]
                lines.append("\(split.rawValue)\t" + (side == .a ? "\(a)\t\(b)" : "\(b)\t\(a)"))
                splits[split, default: 0] += 1
            }
            let hash = SHA256.hex("dataset\n" + lines.sorted().joined(separator: "\n"))
            if let existing = try DatasetVersion.filter(Column("contentHash") == hash).fetchOne(db) { return (existing, false) }
            let outcomes = Array(resolved.values)
            var version = DatasetVersion(
                id: nil, contentHash: hash, policy: policy, pairCount: chosen.count, trainCount: splits[.train] ?? 0,
                heldOutCount: splits[.heldOut] ?? 0, tieCount: outcomes.filter { $0 == .tie }.count,
                bothBadCount: outcomes.filter { $0 == .bothBad }.count, unresolvedCount: outcomes.filter { $0 == nil }.count,
                createdAt: Date())
            try version.insert(db)
            for (pair, side) in chosen.sorted(by: { $0.key < $1.key }) {
                try DatasetEntry(datasetVersionId: version.id!, pairId: pair, chosen: side).insert(db)
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
