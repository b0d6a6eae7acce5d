/// Keys and values of the tokens decoded so far, for one attention layer.
/// Buffers are [batch, capacity, kvHeads, headDim]; `Attention.forward(keys: length)` reads them.
public final class KVCache: @unchecked Sendable {
    public let keys: Tensor
    public let values: Tensor
    public private(set) var length = 0
    /// Per batch row, what the model adds to the positions of the tokens it appends after the
    /// prompt (Qwen2-VL's rope deltas: an image's tokens take fewer positions than their count).
    public var positionOffsets: [Int32] = []

    public init(batch: Int, capacity: Int, kvHeads: Int, headDim: Int) {
        keys = Tensor(shape: [batch, capacity, kvHeads, headDim])
        values = Tensor(shape: [batch, capacity, kvHeads, headDim])
    }

    public var capacity: Int { keys.dim(1) }

    /// Appends k, v [batch, newTokens, kvHeads, headDim] after the cached tokens.
    public func append(k: Tensor, v: Tensor) {
        let batch = keys.dim(0), row = keys.dim(2) * keys.dim(3), new = k.dim(1)
        precondition(k.shape == v.shape && k.dim(0) == batch && k.dim(2) * k.dim(3) == row,
                     "KV cache of \(keys.shape) cannot take \(k.shape) and \(v.shape)")
        precondition(length + new <= capacity, "KV cache full: \(length) + \(new) > \(capacity)")
        for b in 0..<batch {
            let dst = (b * capacity + length) * row, src = b * new * row
            (keys.data + dst).update(from: k.data + src, count: new * row)
            (values.data + dst).update(from: v.data + src, count: new * row)
        }
        length += new
    }

    public func reset() {
        length = 0
        positionOffsets = []
    }
}
