import Interchange

/// A contiguous, row-major fp32 array with a shape: the only storage type of the engine.
///
/// Reference semantics on purpose (like llm.c's buffers): layers write activations and
/// gradients into tensors the caller owns, and backward functions accumulate into them.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    public let data: UnsafeMutablePointer<Float>
    /// What keeps a view's memory alive; nil when this tensor owns its memory.
    private let owner: AnyObject?
    /// The size of the buffer pool's mapping this tensor owns; 0 when malloc's.
    private let pooledBytes: Int

    /// A zero-filled tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if bytes >= BufferPool.minimumBytes {
            let (buffer, size) = BufferPool.shared.take(bytes)
            data = buffer.bindMemory(to: Float.self, capacity: count)
            pooledBytes = size
        } else {
            pooledBytes = 0
            // 64-byte alignment lets BLAS and the vectorised loops use aligned loads.
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
            data.initialize(repeating: 0, count: max(count, 1))
        }
        owner = nil
    }

    /// A tensor over `count` floats at `offset` inside `base` (which stays alive while the view
    /// does): how parameters and gradients live in one contiguous buffer each.
    public init(viewing base: Tensor, offset: Int, shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        precondition(offset >= 0 && offset + count <= base.count, "view [\(offset), +\(count)) outside \(base.shape)")
        self.data = base.data + offset
        owner = base
        pooledBytes = 0
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// Values drawn uniformly from [-scale, scale) by a seeded generator.
    public static func uniform(
        shape: [Int], scale: Float = 1, using rng: inout SeededGenerator
    ) -> Tensor {
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t.data[i] = Float.random(in: -scale..<scale, using: &rng) }
        return t
    }

    deinit {
        guard owner == nil else { return }
        if pooledBytes > 0 { BufferPool.shared.give(UnsafeMutableRawPointer(data), size: pooledBytes) } else { data.deallocate() }
    }

    public var rank: Int { shape.count }

    /// Size of dimension `axis`; negative axes count from the end.
    public func dim(_ axis: Int) -> Int { shape[axis < 0 ? shape.count + axis : axis] }

    /// Product of all dimensions but the last: the number of rows of a [..., n] tensor.
    public var rows: Int { shape.isEmpty ? 1 : count / max(shape[shape.count - 1], 1) }

    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// Rows `rows[i]` (of all dimensions but the last, flattened) as row i of a [rows.count, n] tensor.
    public func gatheringRows(_ rows: [Int]) -> Tensor {
        let d = dim(-1), out = Tensor(shape: [rows.count, d])
        for (i, r) in rows.enumerated() { (out.data + i * d).update(from: data + r * d, count: d) }
        return out
    }

    /// Tensors that agree in all but their first dimension, one after another along it.
    public static func concatenated(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "nothing to concatenate")
        let rest = Array(parts[0].shape.dropFirst())
        precondition(parts.allSatisfy { Array($0.shape.dropFirst()) == rest }, "concatenated shapes differ beyond the first: \(parts.map(\.shape))")
        let out = Tensor(shape: [parts.reduce(0) { $0 + $1.dim(0) }] + rest)
        var offset = 0
        for part in parts {
            (out.data + offset).update(from: part.data, count: part.count)
            offset += part.count
        }
        return out
    }

    public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    public func zero() { data.update(repeating: 0, count: count) }

    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    /// The same memory seen with another shape of the same size.
    public func reshapedView(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
        return Tensor(viewing: self, offset: 0, shape: newShape)
    }

    /// A new tensor with the same values and a different shape of the same size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let t = Tensor(shape: newShape)
        precondition(t.count == count, "cannot reshape \(shape) to \(newShape)")
        t.copy(from: self)
        return t
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = (0..<min(count, 8)).map { String(data[$0]) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 8 ? ", …" : "")]"
    }
}
