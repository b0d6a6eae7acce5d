/// Token embedding lookup: out[i] = table[ids[i]].
public enum Embedding {
    /// ids (N) into table [V, D] → out [N, D].
    public static func forward(ids: [Int32], table: Tensor, into out: Tensor) {
        let (v, d) = (table.dim(0), table.dim(1))
        precondition(out.count == ids.count * d, "embedding output \(out.shape) for \(ids.count) ids × \(d)")
        for id in ids { precondition(id >= 0 && Int(id) < v, "token id \(id) outside vocabulary of \(v)") }
        let t = table.data, o = out.data
        ids.withUnsafeBufferPointer { ids in
            Parallel.forEach(ids.count, cost: d) { rows in
                for i in rows { (o + i * d).update(from: t + Int(ids[i]) * d, count: d) }
            }
        }
    }

    /// Scatter-add: dTable[ids[i]] += dOut[i]. Split over columns so that repeated ids add up in
    /// token order on one thread.
    public static func backward(_ dOut: Tensor, ids: [Int32], dTable: Tensor) {
        let d = dTable.dim(1)
        let g = dOut.data, dt = dTable.data
        ids.withUnsafeBufferPointer { ids in
            Parallel.forEach(d, cost: ids.count) { cs in
                for i in 0..<ids.count {
                    let src = g + i * d, dst = dt + Int(ids[i]) * d
                    for c in cs { dst[c] += src[c] }
                }
            }
        }
    }
}
