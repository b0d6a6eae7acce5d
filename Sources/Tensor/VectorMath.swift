/// Loops the kernels share: the exponential, maxima, sums and dot products over fp32 rows.
///
/// Written as plain loops over scalars with no library calls or integer conversions that trap,
/// so that LLVM vectorises them. Reductions keep eight partial results, combined in a fixed
/// order, so that results repeat exactly.
public enum VectorMath {
    /// e^x within 2 ulp of the correctly rounded value; 0 below -87.34 (where fp32 underflows)
    /// and +inf above 88.72. Cephes' expf: x = n·ln2 + r, e^r by a degree-6 polynomial.
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let log2e: Float = 1.442_695_040_888_963_4
        let c = Swift.min(Swift.max(x, -87.336_55), 88.722_83)
        // Adding 1.5·2²³ rounds to an integer and leaves it in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = c * log2e + magic
        let n = shifted - magic
        let r = (c - n * 0.693_359_375) + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        // 2^n in two halves: n reaches 128 and -126, beyond one normal fp32 exponent.
        let whole = Int32(bitPattern: shifted.bitPattern &- magic.bitPattern)
        let half = whole &>> 1
        let scaleA = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
        let scaleB = Float(bitPattern: UInt32(bitPattern: (whole &- half &+ 127) &<< 23))
        let result = p * scaleA * scaleB
        if x < -87.336_55 { return 0 }
        if x > 88.722_83 { return .infinity }
        return x.isNaN ? x : result
    }

    /// max of x[0..<count]; -inf for an empty row.
    @inline(__always)
    public static func max(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<count { m = x[i] > m ? x[i] : m }
        return m
    }

    /// Σ e^(x[i] - shift) without storing the exponentials.
    @inline(__always)
    public static func sumExpShifted(_ x: UnsafePointer<Float>, count: Int, shift: Float) -> Float {
        var acc = Lanes()
        var i = 0
        while i + 8 <= count {
            for l in 0..<8 { acc[l] += exp(x[i + l] - shift) }
            i += 8
        }
        for l in 0..<(count - i) { acc[l] += exp(x[i + l] - shift) }
        return acc.total
    }

    /// Σ x[i].
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Lanes()
        var i = 0
        while i + 8 <= count {
            for l in 0..<8 { acc[l] += x[i + l] }
            i += 8
        }
        for l in 0..<(count - i) { acc[l] += x[i + l] }
        return acc.total
    }

    /// Σ a[i]·b[i].
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Lanes()
        var i = 0
        while i + 8 <= count {
            for l in 0..<8 { acc[l] += a[i + l] * b[i + l] }
            i += 8
        }
        for l in 0..<(count - i) { acc[l] += a[i + l] * b[i + l] }
        return acc.total
    }

    /// Eight partial sums, added up in a fixed order.
    struct Lanes {
        var s = SIMD8<Float>(repeating: 0)
        @inline(__always) subscript(_ l: Int) -> Float {
            get { s[l] }
            set { s[l] = newValue }
        }
        @inline(__always) var total: Float {
            ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
        }
    }
}
