import Foundation
import Interchange
import VLM

/// Reference log-probs on disk, keyed by what determines them: the reference weights and the
/// tokenized dataset. A later epoch, run or round with the same pair reads them back instead of
/// running the reference model again.
public struct ReferenceCache: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// The default place: $XDG_CACHE_HOME/vlm-align/reference or ~/.cache/vlm-align/reference.
    public static var standard: ReferenceCache {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return ReferenceCache(directory: base.appendingPathComponent("vlm-align/reference"))
    }

    /// The key of a (reference, dataset) combination.
    public static func key(reference: String, pairs: [PreferencePair]) -> String {
        var h = SHA256()
        h.update(reference)
        for p in pairs {
            for part in [p.prompt, p.chosen, p.rejected] { h.update(integers: [part.count] + part.map(Int.init)) }
            for k in p.imageKeys { h.update(integers: [k.utf8.count]); h.update(k) }
        }
        return h.hexDigest()
    }

    /// Cached values, or computes them with `compute` and stores them.
    public func logProbs(
        key: String, count: Int, compute: () throws -> [(chosen: Double, rejected: Double)]
    ) throws -> (values: [(chosen: Double, rejected: Double)], cached: Bool) {
        let url = directory.appendingPathComponent("\(key).json")
        if let data = try? Data(contentsOf: url), let rows = try? JSONDecoder().decode([[Double]].self, from: data),
           rows.count == count, rows.allSatisfy({ $0.count == 2 }) {
            return (rows.map { ($0[0], $0[1]) }, true)
        }
        let values = try compute()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try JSONEncoder().encode(values.map { [$0.chosen, $0.rejected] }).write(to: url, options: .atomic)
        return (values, false)
    }
}

/// The lineage a vlm-align model folder carries in `vlm_align.json`: what kind of checkpoint it
/// is and whether supervised fine-tuning is among its ancestors (DPO starts from SFT).
public struct Lineage: Codable, Sendable, Equatable {
    public var kind: CheckpointKind
    public var parent: String?
    public var hasSFTAncestor: Bool
    public var dataset: String?
    public var created: String

    public static let fileName = "vlm_align.json"

    public init(kind: CheckpointKind, parent: String?, hasSFTAncestor: Bool, dataset: String?) {
        self.kind = kind
        self.parent = parent
        self.hasSFTAncestor = hasSFTAncestor
        self.dataset = dataset
        created = ISO8601DateFormatter().string(from: Date())
    }

    public static func read(_ folder: URL) -> Lineage? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(fileName)) else { return nil }
        return try? JSONDecoder().decode(Lineage.self, from: data)
    }

    public func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }

    /// Refuses to start DPO from a folder without SFT in its lineage, unless the user says the
    /// model is already fine-tuned for the task.
    public static func requireSFT(_ folder: URL, allowNoSFT: Bool) throws {
        if allowNoSFT { return }
        let lineage = read(folder)
        guard lineage?.kind == .sft || lineage?.hasSFTAncestor == true else {
            throw TrainingError("\(folder.path): no supervised fine-tuning in this model's lineage (\(fileName) \(lineage.map { "says kind \($0.kind.rawValue)" } ?? "is missing")). DPO needs an SFT model; pass --allow-no-sft if this model is already fine-tuned for the task.")
        }
    }
}
