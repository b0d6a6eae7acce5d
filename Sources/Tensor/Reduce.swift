/// Reductions shared by the backward passes.
enum Reduce {
    /// out[c] += Σ_r m[r, c]. Split over columns so each sum runs in one fixed order.
    static func sumRows(
        _ m: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>
    ) {
        Parallel.forEach(cols, cost: rows) { cs in
            for r in 0..<rows {
                let row = m + r * cols
                for c in cs { out[c] += row[c] }
            }
        }
    }

}
