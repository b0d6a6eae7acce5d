import Tensor

/// Whether a layer of a training pass keeps its attention probabilities for backward (a T × T
/// table per head and sequence) or lets backward compute them again. Both the table and the
/// cost of computing it again grow as T²: at the ~200-token sequences and 256-patch images of a
/// DPO step computing it again costs ~1% of the step and saves 11% of its peak; at a 1024-patch
/// image it costs 19% of the tower's pass (one more QKᵀ product, at a shape BLAS runs at half
/// its rate, and the softmax) and the table, 48 MiB a layer in SmolVLM's tower, is the largest
/// thing a layer keeps. So a layer keeps it over sequences of `minimumTokens` or more, when all
/// such tables of the pass fit in a sixteenth of the memory this process may use.
enum AttentionTables {
    static let minimumTokens = 512

    /// Tests set it to run both ways.
    @TaskLocal static var forced: Bool?

    /// Whether a layer over sequences of `tokens` keeps its table, in a pass whose layers that
    /// would keep one hold `floats` floats in all.
    static func kept(tokens: Int, passFloats floats: Int, training: Bool) -> Bool {
        guard training else { return false }
        if let forced { return forced }
        return tokens >= minimumTokens && Double(floats * MemoryLayout<Float>.size) <= machineMemory() / 16
    }

    /// The same for `layers` layers of `attention` over `batch` sequences of `tokens`.
    static func kept(_ attention: Attention, layers: Int, batch: Int, tokens: Int, training: Bool) -> Bool {
        let floats = layers * attention.tableShape(batch: batch, queries: tokens, keys: tokens).reduce(1, *)
        return kept(tokens: tokens, passFloats: floats, training: training)
    }
}
