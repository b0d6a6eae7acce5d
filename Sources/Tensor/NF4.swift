/// Why a tensor cannot be stored in NF4.
public struct NF4Error: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A frozen weight in 4-bit NormalFloat (NF4), exactly as bitsandbytes' `quantize_4bit(w,
/// quant_type="nf4", blocksize=64)` stores it: the row-major flattening of the tensor cut into
/// blocks of 64 consecutive values (the last block may be shorter), one fp32 absmax per block,
/// each value replaced by the index of the NF4 code nearest to value / absmax, two indices per
/// byte with the first in the high nibble (an odd count pads the last low nibble with the code
/// of 0). A value is `code[index] · absmax`.
public final class NF4Weight: @unchecked Sendable {
    public static let blockSize = 64

    /// bitsandbytes' NF4 code values (the quantiles of N(0, 1) normalised to [-1, 1], with an
    /// exact 0), as the fp32 numbers of its `get_4bit_type("nf4")`.
    public static let code: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ]

    /// The decision points between neighbouring codes, computed in fp32 as bitsandbytes does;
    /// a value exactly on one takes the lower code (torch.bucketize, right=False).
    static let midpoints: [Float] = (0..<15).map { (code[$0] + code[$0 + 1]) / 2 }

    public let shape: [Int]
    public let count: Int
    /// (count + 1) / 2 bytes of code indices.
    public let packed: UnsafeMutablePointer<UInt8>
    /// One scale per block of 64.
    public let absmax: UnsafeMutablePointer<Float>

    public var blocks: Int { (count + Self.blockSize - 1) / Self.blockSize }
    /// Bytes held: the packed indices and the absmax values.
    public var byteCount: Int { (count + 1) / 2 + 4 * blocks }

    private init(shape: [Int]) {
        self.shape = shape
        count = shape.reduce(1, *)
        packed = .allocate(capacity: max((count + 1) / 2, 1))
        absmax = .allocate(capacity: max((count + Self.blockSize - 1) / Self.blockSize, 1))
    }

    deinit {
        packed.deallocate()
        absmax.deallocate()
    }

    /// Quantizes `count` values (row-major, of `shape`). NaN and ±∞ are refused: bitsandbytes
    /// would silently store garbage for the whole block.
    public convenience init(quantizing values: UnsafePointer<Float>, shape: [Int]) throws {
        self.init(shape: shape)
        for i in 0..<count where !values[i].isFinite {
            throw NF4Error("value \(values[i]) at flat index \(i) of a \(shape) weight cannot be quantized to NF4")
        }
        let n = count, block = Self.blockSize
        let mids = Self.midpoints
        Parallel.forEach(blocks, cost: 16 * block) { range in
            mids.withUnsafeBufferPointer { m in
                for b in range {
                    let start = b * block, end = min(n, start + block)
                    var peak: Float = 0
                    for i in start..<end { peak = max(peak, abs(values[i])) }
                    absmax[b] = peak
                    // bitsandbytes scales by the reciprocal, guarding a zero block
                    let inverse = 1 / max(peak, Float(1e-38))
                    var i = start
                    while i < end {
                        let high = Self.index(values[i] * inverse, m)
                        let low = i + 1 < end ? Self.index(values[i + 1] * inverse, m) : Self.index(0, m)
                        packed[i >> 1] = high << 4 | low
                        i += 2
                    }
                }
            }
        }
    }

    public convenience init(quantizing tensor: Tensor) throws {
        try self.init(quantizing: tensor.data, shape: tensor.shape)
    }

    /// A weight from stored indices and scales (a bitsandbytes checkpoint's `weight` bytes and
    /// `absmax`).
    public convenience init(shape: [Int], packed bytes: [UInt8], absmax scales: [Float]) throws {
        self.init(shape: shape)
        guard bytes.count == (count + 1) / 2, scales.count == blocks else {
            throw NF4Error("an NF4 weight of shape \(shape) needs \((count + 1) / 2) bytes and \(blocks) absmax values, got \(bytes.count) and \(scales.count)")
        }
        packed.update(from: bytes, count: bytes.count)
        absmax.update(from: scales, count: scales.count)
    }

    /// The number of midpoints strictly below x: a branch-free binary search over the 15.
    @inline(__always)
    private static func index(_ scaled: Float, _ m: UnsafeBufferPointer<Float>) -> UInt8 {
        let x = min(max(scaled, -1), 1)
        var i = x > m[7] ? 8 : 0
        i += x > m[i + 3] ? 4 : 0
        i += x > m[i + 1] ? 2 : 0
        i += x > m[i] ? 1 : 0
        return UInt8(i)
    }

    /// Writes the values at flat indices `range` to `out` (any range, blocks need not align).
    public func dequantize(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) outside an NF4 weight of \(count)")
        Self.code.withUnsafeBufferPointer { code in
            dequantize(range, into: out, code: code.baseAddress!)
        }
    }

    @inline(__always)
    private func dequantize(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>, code: UnsafePointer<Float>) {
        let block = Self.blockSize
        var i = range.lowerBound, o = out
        while i < range.upperBound {
            let end = min(range.upperBound, (i / block + 1) * block)
            let scale = absmax[i / block]
            if i & 1 == 1 {
                o.pointee = code[Int(packed[i >> 1] & 15)] * scale
                o += 1
                i += 1
            }
            let pairs = (end - i) >> 1
            let bytes = packed + (i >> 1)
            for p in 0..<pairs {
                let byte = Int(bytes[p])
                o[2 * p] = code[byte >> 4] * scale
                o[2 * p + 1] = code[byte & 15] * scale
            }
            o += 2 * pairs
            i += 2 * pairs
            if i < end {
                o.pointee = code[Int(packed[i >> 1] >> 4)] * scale
                o += 1
                i += 1
            }
        }
    }

    /// The whole weight in fp32 (for tests and export; training dequantizes tiles instead).
    public func dequantized() -> Tensor {
        let t = Tensor(shape: shape)
        Parallel.forEach(blocks, cost: 2 * Self.blockSize) { range in
            let lo = range.lowerBound * Self.blockSize, hi = min(count, range.upperBound * Self.blockSize)
            dequantize(lo..<hi, into: t.data + lo)
        }
        return t
    }
}
