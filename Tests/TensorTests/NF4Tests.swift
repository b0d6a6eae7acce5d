import Foundation
import Tensor
import Testing

/// What tools/fixtures/nf4_fixtures.py recorded from bitsandbytes.
struct NF4Fixture {
    struct Case {
        let name: String
        let shape: [Int]
        let weights: [Float]
        let packed: [UInt8]
        let absmax: [Float]
        let dequantized: [Float]
    }

    let code: [Float]
    let cases: [Case]

    init() throws {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/nf4.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        func floats(_ v: Any?) -> [Float] { (v as! [Double]).map { Float($0) } }
        code = floats(json["code"])
        cases = (json["cases"] as! [[String: Any]]).map {
            Case(name: $0["name"] as! String, shape: $0["shape"] as! [Int], weights: floats($0["weights"]),
                 packed: ($0["packed"] as! [Int]).map { UInt8($0) }, absmax: floats($0["absmax"]),
                 dequantized: floats($0["dequantized"]))
        }
    }
}

/// Positions where two arrays differ, summarised (never the arrays themselves).
func mismatches<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
    guard a.count == b.count else { return "\(a.count) values vs \(b.count)" }
    let bad = a.indices.filter { a[$0] != b[$0] }
    guard let first = bad.first else { return nil }
    return "\(bad.count) of \(a.count) differ, first at \(first): \(a[first]) vs \(b[first])"
}

@Suite(.timeLimit(.minutes(10))) struct NF4Tests {
    @Test func codeValuesAreBitsandbytes() throws {
        let fixture = try NF4Fixture()
        #expect(mismatches(NF4Weight.code, fixture.code) == nil)
    }

    /// Packed bytes, absmax and dequantized values bit for bit as bitsandbytes computes them:
    /// a full tensor, a partial last block with an odd count, a zero block, values exactly on
    /// the decision midpoints, blocks straddling rows.
    @Test func quantizationMatchesBitsandbytes() throws {
        let fixture = try NF4Fixture()
        #expect(fixture.cases.count == 5)
        for c in fixture.cases {
            let w = try NF4Weight(quantizing: Tensor(shape: c.shape, values: c.weights))
            let packed = Array(UnsafeBufferPointer(start: w.packed, count: (w.count + 1) / 2))
            let absmax = Array(UnsafeBufferPointer(start: w.absmax, count: w.blocks))
            #expect(mismatches(packed, c.packed) == nil, "\(c.name): packed bytes")
            #expect(mismatches(absmax, c.absmax) == nil, "\(c.name): absmax")
            #expect(mismatches(w.dequantized().array, c.dequantized) == nil, "\(c.name): dequantized")
            // bitsandbytes' own bytes dequantize the same
            let stored = try NF4Weight(shape: c.shape, packed: c.packed, absmax: c.absmax)
            #expect(mismatches(stored.dequantized().array, c.dequantized) == nil, "\(c.name): from stored bytes")
        }
    }

    @Test func zeroBlockStaysZeroAndOddSizesPad() throws {
        let zeros = try NF4Weight(quantizing: Tensor(shape: [2, 64]))
        #expect(zeros.absmax[0] == 0 && zeros.absmax[1] == 0)
        #expect(zeros.dequantized().array.allSatisfy { $0 == 0 })
        // 3 values: 1 block, 2 bytes, the last low nibble is the code of 0 (index 7)
        let odd = try NF4Weight(quantizing: Tensor(shape: [3], values: [1, -1, 0.5]))
        #expect(odd.blocks == 1 && odd.byteCount == 2 + 4)
        #expect(odd.packed[0] == 0xF0 && odd.packed[1] & 0x0F == 7)
        #expect(odd.dequantized().array == [1, -1, 0.44070982933044434])  // 0.5 is below the 0.50166 midpoint
    }

    @Test func nonFiniteValuesAreRefused() {
        for bad in [Float.nan, .infinity, -.infinity] {
            var values = [Float](repeating: 0.5, count: 130)
            values[77] = bad
            #expect(throws: NF4Error.self) { try NF4Weight(quantizing: Tensor(shape: [2, 65], values: values)) }
        }
        #expect(throws: NF4Error.self) { try NF4Weight(shape: [10], packed: [0, 0], absmax: [1]) }
    }

    /// Every value lands within half the widest gap between neighbouring codes (of its block's
    /// absmax): |w − q| ≤ absmax · (−0.6961928 − (−1)) / 2.
    @Test func roundTripErrorIsBoundedByTheCodeSpacing() throws {
        var r = Inputs(seed: 11)
        let t = r.tensor([96, 200], scale: 0.1)
        let w = try NF4Weight(quantizing: t)
        let back = w.dequantized()
        let halfGap = (1..<16).map { NF4Weight.code[$0] - NF4Weight.code[$0 - 1] }.max()! / 2
        #expect(halfGap == (NF4Weight.code[1] + 1) / 2)
        var worst: Float = 0
        for i in 0..<t.count {
            worst = max(worst, abs(t[i] - back[i]) / (w.absmax[i / 64] * halfGap))
        }
        #expect(worst <= 1.0001, "error \(worst) of the bound")
    }

    /// Any sub-range (odd starts, across blocks) dequantizes to the slice of the whole.
    @Test func dequantizingARangeGivesTheSliceOfTheWhole() throws {
        var r = Inputs(seed: 12)
        let w = try NF4Weight(quantizing: r.tensor([7, 45]))
        let whole = w.dequantized().array
        for range in [0..<315, 1..<2, 3..<64, 63..<129, 64..<128, 100..<101, 127..<315, 0..<1, 314..<315] {
            let out = [Float](unsafeUninitializedCapacity: range.count) { buffer, count in
                w.dequantize(range, into: buffer.baseAddress!)
                count = range.count
            }
            #expect(mismatches(out, Array(whole[range])) == nil, "range \(range)")
        }
    }

    /// The tiled NF4 products equal the dense products on the dequantized weight, to fp32
    /// rounding: forward with and without bias, dX and dBias; shapes whose rows do not align
    /// with blocks, and sizes that make several tiles.
    @Test(arguments: [(5, 576, 192, true), (3, 37, 11, false), (17, 80, 1536, true), (2, 1536, 576, false), (1, 64, 3, true)])
    func linearOnNF4EqualsDenseOnDequantized(n: Int, inF: Int, outF: Int, withBias: Bool) throws {
        var r = Inputs(seed: 13)
        let x = r.tensor([n, inF]), b = r.tensor([outF]), g = r.tensor([n, outF])
        let q = try NF4Weight(quantizing: r.tensor([outF, inF], scale: 0.05))
        let dense = q.dequantized()
        let bias = withBias ? b : nil
        let y = Tensor(shape: [n, outF]), yDense = Tensor(shape: [n, outF])
        Linear.forward(x, weight: .nf4(q), bias: bias, into: y)
        Linear.forward(x, weight: .dense(dense), bias: bias, into: yDense)
        // the same products cut differently: sums of up to 1536 terms of ~0.01, rounded apart
        let rounding = Tolerance(rtol: 1e-6, atol: 1e-6)
        expectClose(y.array, yDense.doubles, rounding, "forward \(n)×\(inF)×\(outF)")

        let dX = r.tensor([n, inF]), dXDense = Tensor(shape: [n, inF])
        dXDense.copy(from: dX)  // backward accumulates onto what dX holds
        let dB = Tensor(shape: [outF]), dBDense = Tensor(shape: [outF])
        Linear.backward(g, x: x, weight: .nf4(q), dX: dX, dWeight: nil, dBias: withBias ? dB : nil)
        Linear.backward(g, x: x, weight: .dense(dense), dX: dXDense, dWeight: nil, dBias: withBias ? dBDense : nil)
        expectClose(dX.array, dXDense.doubles, rounding, "dX \(n)×\(inF)×\(outF)")
        #expect(mismatches(dB.array, dBDense.array) == nil, "dBias")
    }
}
