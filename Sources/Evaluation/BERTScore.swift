import Foundation
import Tensor

/// BERTScore as bert-score (0.3.13) computes it, without baseline rescaling: each text
/// stripped (Python's `str.strip()`) and tokenized with [CLS] … [SEP] (truncated at the model's
/// 512 positions), its tokens' last-layer states L2 normalised; precision is the weighted mean,
/// over the hypothesis' tokens, of each token's highest cosine similarity with any reference
/// token; recall the same from the reference's side; F1 their harmonic mean. [CLS] and [SEP]
/// take part as candidates of the maximum but weigh 0. Weights are 1, or with `idf` the
/// inverse document frequency over the references: log((M + 1) / (m + 1)) for a token in m of
/// the M references. A pair where either text is empty (only [CLS] [SEP]) scores 0, 0, 0, as
/// bert-score sets it; so does a side whose weights sum to 0.
///
/// bert-score scores pairs in batches (`batch_size`, 64 by default) padded to the batch's
/// longest hypothesis and longest reference, and the padding's similarities are 0 and take part
/// in the maxima: a hypothesis token's best match is at least 0 when its reference is shorter
/// than the batch's longest reference, and the reverse. MiniLM's token similarities are often
/// negative, so this changes scores by up to ~1e-2 a pair. `batchSize` (default 64) reproduces
/// it; `nil` gives the unpadded definition (each maximum over the real tokens only).
public enum BERTScore {
    public struct Score: Equatable, Sendable {
        public var precision: Double, recall: Double, f1: Double
    }

    public static func scores(hypotheses: [String], references: [String], encoder: SentenceEncoder, idf: Bool = false,
                              batchSize: Int? = 64) throws -> [Score] {
        precondition(hypotheses.count == references.count, "BERTScore needs one reference per hypothesis")
        let maxLength = encoder.model.config.maxPositions
        // each distinct text is encoded once
        var index: [String: Int] = [:], texts: [String] = []
        for text in hypotheses + references {
            let stripped = PythonText.string(PythonText.strip(PythonText.scalars(text)))
            if index[stripped] == nil { index[stripped] = texts.count; texts.append(stripped) }
        }
        let ids = try texts.map { try encoder.ids($0, maxLength: maxLength) }
        let states = try encoder.tokenStates(ids).map(normalizedRows)
        let special: Set<Int> = [encoder.cls, encoder.sep]
        var weight: (Int) -> Double = { special.contains($0) ? 0 : 1 }
        if idf {
            var documents: [Int: Int] = [:]
            for r in references {
                for id in Set(ids[index[PythonText.string(PythonText.strip(PythonText.scalars(r)))]!]) { documents[id, default: 0] += 1 }
            }
            let m = Double(references.count)
            weight = { special.contains($0) ? 0 : log((m + 1) / (Double(documents[$0] ?? 0) + 1)) }
        }
        let h = encoder.model.config.hiddenSize
        let pairs = zip(hypotheses, references).map { hyp, ref in
            (index[PythonText.string(PythonText.strip(PythonText.scalars(hyp)))]!, index[PythonText.string(PythonText.strip(PythonText.scalars(ref)))]!)
        }
        // each pair's batch: its longest hypothesis and reference, in tokens
        var padded = [(hypothesis: Int, reference: Int)](repeating: (0, 0), count: pairs.count)
        if let batchSize {
            for start in stride(from: 0, to: pairs.count, by: max(batchSize, 1)) {
                let range = start..<min(pairs.count, start + max(batchSize, 1))
                let longest = (range.map { ids[pairs[$0].0].count }.max()!, range.map { ids[pairs[$0].1].count }.max()!)
                for p in range { padded[p] = longest }
            }
        }
        return pairs.indices.map { p in
            let (hi, ri) = pairs[p]
            let (hIDs, rIDs) = (ids[hi], ids[ri])
            guard hIDs.count > 2 && rIDs.count > 2 else { return Score(precision: 0, recall: 0, f1: 0) }
            let hs = states[hi], rs = states[ri]
            var bestH = [Float](repeating: -.infinity, count: hIDs.count), bestR = [Float](repeating: -.infinity, count: rIDs.count)
            for i in 0..<hIDs.count {
                for j in 0..<rIDs.count {
                    let s = VectorMath.dot(hs.data + i * h, rs.data + j * h, count: h)
                    bestH[i] = max(bestH[i], s)
                    bestR[j] = max(bestR[j], s)
                }
            }
            if rIDs.count < padded[p].reference { for i in bestH.indices { bestH[i] = max(bestH[i], 0) } }
            if hIDs.count < padded[p].hypothesis { for j in bestR.indices { bestR[j] = max(bestR[j], 0) } }
            func weighted(_ best: [Float], _ tokens: [Int]) -> Double {
                let w = tokens.map(weight), total = w.reduce(0, +)
                guard total > 0 else { return .nan }
                return zip(best, w).reduce(0.0) { $0 + Double($1.0) * $1.1 } / total
            }
            let p = weighted(bestH, hIDs), r = weighted(bestR, rIDs)
            guard p.isFinite && r.isFinite else { return Score(precision: 0, recall: 0, f1: 0) }
            let f = p + r != 0 ? 2 * p * r / (p + r) : 0
            return Score(precision: p, recall: r, f1: f)
        }
    }

    /// Each row divided by its L2 norm.
    static func normalizedRows(_ t: Tensor) -> Tensor {
        let h = t.dim(-1), out = Tensor(shape: t.shape)
        for r in 0..<t.rows {
            let row = t.data + r * h
            let norm = VectorMath.dot(row, row, count: h).squareRoot()
            for k in 0..<h { out.data[r * h + k] = row[k] / norm }
        }
        return out
    }
}
