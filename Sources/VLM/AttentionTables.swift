import Tensor

/// Whether a training pass keeps its layers' attention probabilities for backward or lets
/// backward compute them again: kept when all of the pass's tables (a T × T table per head and
/// sequence in every layer) fit in `budget`, a sixteenth of the memory this process may use. At a
/// 1024-patch image the tables are the largest thing a layer keeps (48 MiB in SmolVLM's tower
/// against 36 MiB for the rest), and computing them again costs ~19% of the tower's pass.
enum AttentionTables {
    /// Bytes a pass's tables may take; tests set it to run both ways.
    @TaskLocal static var budget: Double?

    /// Whether a pass whose tables hold `floats` floats in all keeps them.
    static func kept(floats: Int, training: Bool) -> Bool {
        training && Double(floats * MemoryLayout<Float>.size) <= (budget ?? machineMemory() / 16)
    }

    /// The same for `layers` layers of `attention` over `batch` sequences of `tokens`.
    static func kept(_ attention: Attention, layers: Int, batch: Int, tokens: Int, training: Bool) -> Bool {
        kept(floats: layers * attention.tableShape(batch: batch, queries: tokens, keys: tokens).reduce(1, *), training: training)
    }
}
