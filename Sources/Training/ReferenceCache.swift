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
