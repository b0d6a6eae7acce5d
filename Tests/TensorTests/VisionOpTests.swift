import Tensor
import Testing

/// Materialises a permutation of a contiguous array, like `x.permute(perm).contiguous()`.
func permuted(_ x: [Double], shape: [Int], _ perm: [Int]) -> [Double] {
    var strides = [Int](repeating: 1, count: shape.count)
    for i in stride(from: shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
    let newShape = perm.map { shape[$0] }
    var out = [Double](repeating: 0, count: x.count)
    var index = [Int](repeating: 0, count: shape.count)
    for flat in 0..<x.count {
        var source = 0
        for (axis, p) in perm.enumerated() { source += index[axis] * strides[p] }
        out[flat] = x[source]
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < newShape[axis] { break }
            index[axis] = 0
            axis -= 1
        }
    }
    return out
}

@Suite(.timeLimit(.minutes(10))) struct VisionOpTests {
    @Test(arguments: [(1, 1, 1, 1, 1, 1), (2, 3, 6, 9, 3, 5), (1, 3, 7, 7, 7, 33)])
    func patchEmbedding(batch: Int, channels: Int, height: Int, width: Int, patch: Int, embed: Int) {
        var r = Inputs(seed: 14)
        let pixels = r.tensor([batch, channels, height, width])
        let weight = r.tensor([embed, channels, patch, patch]), bias = r.tensor([embed])
        let patches = (height / patch) * (width / patch)
        let out = Tensor(shape: [batch, patches, embed])
        let columns = Tensor(shape: [batch * patches, channels * patch * patch])
        PatchEmbedding.forward(pixels: pixels, weight: weight, bias: bias, into: out, columns: columns)
        // Conv2d(stride = kernel) in NCHW, then flatten(2).transpose(1, 2)
        let f = { (v: [[Double]]) -> [Double] in
            var o = [Double](repeating: 0, count: batch * patches * embed)
            let gw = width / patch
            for b in 0..<batch {
                for p in 0..<patches {
                    for e in 0..<embed {
                        var s = v[2][e]
                        for c in 0..<channels {
                            for y in 0..<patch {
                                for x in 0..<patch {
                                    let pix = ((b * channels + c) * height + (p / gw) * patch + y) * width + (p % gw) * patch + x
                                    s += v[0][pix] * v[1][((e * channels + c) * patch + y) * patch + x]
                                }
                            }
                        }
                        o[(b * patches + p) * embed + e] = s
                    }
                }
            }
            return o
        }
        let inputs = [pixels.doubles, weight.doubles, bias.doubles]
        expectClose(out.array, f(inputs), .forward, "patch embedding forward")
        let g = r.tensor(out.shape)
        let dPixels = Tensor(shape: pixels.shape), dW = Tensor(shape: weight.shape), dB = Tensor(shape: bias.shape)
        PatchEmbedding.backward(g, pixels: pixels, weight: weight, columns: columns, dWeight: dW, dBias: dB, dPixels: dPixels)
        for (i, grad) in [dPixels, dW, dB].enumerated() {
            expectClose(grad.array, numericGradient(inputs, wrt: i, upstream: g.doubles, f),
                        .gradient, "patch embedding gradient \(i)")
        }
    }

    /// transformers' Idefics3Connector.pixel_shuffle, step by step: view, permute, reshape, permute.
    static func referenceShuffle(_ x: [Double], batch: Int, seq: Int, embed: Int, scale s: Int) -> [Double] {
        let side = Int(Double(seq).squareRoot())
        let first = permuted(x, shape: [batch, side, side / s, embed * s], [0, 2, 1, 3])
        return permuted(first, shape: [batch, side / s, side / s, embed * s * s], [0, 2, 1, 3])
    }

    @Test(arguments: [(1, 4, 1, 2), (2, 36, 3, 3), (1, 64, 5, 2), (2, 16, 7, 4)])
    func pixelShuffle(batch: Int, seq: Int, embed: Int, scale: Int) {
        var r = Inputs(seed: 15)
        let x = r.tensor([batch, seq, embed])
        let out = Tensor(shape: [batch, seq / (scale * scale), embed * scale * scale])
        PixelShuffle.forward(x, scale: scale, into: out)
        let f = { (v: [[Double]]) in Self.referenceShuffle(v[0], batch: batch, seq: seq, embed: embed, scale: scale) }
        expectClose(out.array, f([x.doubles]), .exact, "pixel shuffle forward")
        let g = r.tensor(out.shape)
        let dX = Tensor(shape: x.shape)
        PixelShuffle.backward(g, scale: scale, dX: dX)
        expectClose(dX.array, numericGradient([x.doubles], wrt: 0, upstream: g.doubles, f),
                    .gradient, "pixel shuffle dX")
    }
}
