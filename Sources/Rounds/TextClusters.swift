import Foundation
import Interchange

/// k-means over texts: each text a vector — its sentence embedding when given, else its token
/// statistics (a TF-IDF vector of its lower-cased words, L2-normalised); k-means++ seeding from a
/// seeded generator, then Lloyd's iterations until no text moves (at most 50); the best of
/// `restarts` starts. Clusters are named by the heaviest words of their members' TF-IDF mean.
enum TextClusters {
    static let restarts = 8

    struct Cluster {
        var members: [Int]
        /// The words that weigh most in the centroid, heaviest first.
        var terms: [String]
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// Clusters of the texts, largest first (ties by first member); `embeddings`, one per text,
    /// are clustered instead of the token statistics when given.
    static func cluster(_ texts: [String], k: Int, seed: UInt64, embeddings: [[Double]]? = nil) -> [Cluster] {
        guard !texts.isEmpty, k > 0 else { return [] }
        precondition(embeddings.map { $0.count == texts.count } ?? true)
        let documents = texts.map(words)
        let vocabulary = Array(Set(documents.joined())).sorted()
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        var frequency = [Double](repeating: 0, count: vocabulary.count)
        for document in documents { for word in Set(document) { frequency[index[word]!] += 1 } }
        let idf = frequency.map { log(Double(texts.count + 1) / ($0 + 1)) + 1 }
        let statistics: [[Double]] = documents.map { document in
            var v = [Double](repeating: 0, count: vocabulary.count)
            for word in document { v[index[word]!] += idf[index[word]!] }
            let norm = sqrt(v.reduce(0) { $0 + $1 * $1 })
            return norm > 0 ? v.map { $0 / norm } : v
        }
        let vectors = embeddings ?? statistics
        func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }

        // the best (least squared distance to the centres) of a few seeded k-means++ starts
        var rng = SeededGenerator(seed: seed)
        var best: (inertia: Double, centres: [[Double]], assignment: [Int])?
        for _ in 0..<restarts {
            // k-means++: each next centre drawn with probability proportional to its squared distance
            var centres = [vectors[rng.below(vectors.count)]]
            while centres.count < min(k, vectors.count) {
                let d = vectors.map { v in centres.map { distance(v, $0) }.min()! }
                let total = d.reduce(0, +)
                guard total > 0 else { break }
                var r = rng.unit() * total, pick = 0
                while pick < d.count - 1 && r >= d[pick] { r -= d[pick]; pick += 1 }
                centres.append(vectors[pick])
            }
            var assignment = [Int](repeating: -1, count: vectors.count)
            for _ in 0..<50 {
                let next = vectors.map { v in centres.indices.min { distance(v, centres[$0]) < distance(v, centres[$1]) }! }
                if next == assignment { break }
                assignment = next
                for c in centres.indices {
                    let members = vectors.indices.filter { assignment[$0] == c }
                    guard !members.isEmpty else { continue }
                    centres[c] = (0..<vectors[0].count).map { j in members.reduce(0) { $0 + vectors[$1][j] } / Double(members.count) }
                }
            }
            let inertia = vectors.indices.reduce(0) { $0 + distance(vectors[$1], centres[assignment[$1]]) }
            if best == nil || inertia < best!.inertia - 1e-12 { best = (inertia, centres, assignment) }
        }
        let (_, centres, assignment) = best!
        return centres.indices.compactMap { c -> Cluster? in
            let members = vectors.indices.filter { assignment[$0] == c }
            guard !members.isEmpty else { return nil }
            let mean = (0..<vocabulary.count).map { j in members.reduce(0) { $0 + statistics[$1][j] } / Double(members.count) }
            let terms = mean.indices.sorted { (mean[$0], vocabulary[$1]) > (mean[$1], vocabulary[$0]) }
                .prefix(4).filter { mean[$0] > 0 }.map { vocabulary[$0] }
            return Cluster(members: members, terms: terms)
        }.sorted { ($0.members.count, -$0.members[0]) > ($1.members.count, -$1.members[0]) }
    }
}
