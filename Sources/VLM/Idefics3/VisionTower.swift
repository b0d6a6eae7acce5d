import Interchange
import Tensor

/// The SigLIP-style vision tower of Idefics3 (`model.vision_model`): patch and position
/// embeddings, pre-LayerNorm encoder blocks with bidirectional attention, a final LayerNorm.
public final class VisionTower: @unchecked Sendable {
    public let config: VisionConfig
    let patchWeight: Tensor, patchBias: Tensor, positionTable: Tensor
    let dPatchWeight: Tensor?, dPatchBias: Tensor?, dPositionTable: Tensor?
    let layers: [VisionEncoderLayer]
    let postNorm: LayerNormLayer

    static let prefix = "model.vision_model"

    /// The tower's parameters under `prefix`, as the checkpoint names them: declared once, for
    /// `specs` and for `init`.
    enum Key {
        static let patchWeight = "embeddings.patch_embedding.weight", patchBias = "embeddings.patch_embedding.bias"
        static let positions = "embeddings.position_embedding.weight"
        static let postNorm = "post_layernorm"
        static func layer(_ i: Int) -> String { "encoder.layers.\(i)" }
    }

    /// The tower's parameters with their shapes, in checkpoint order.
    static func specs(_ c: VisionConfig) -> [ParameterSet.Spec] {
        let p = prefix, d = c.hiddenSize
        var specs: [ParameterSet.Spec] = [
            .init("\(p).\(Key.patchWeight)", [d, c.channels, c.patchSize, c.patchSize]),
            .init("\(p).\(Key.patchBias)", [d]),
            .init("\(p).\(Key.positions)", [c.patches, d]),
        ]
        for i in 0..<c.layers { specs += VisionEncoderLayer.specs(path: "\(p).\(Key.layer(i))", config: c) }
        specs += [.init("\(p).\(Key.postNorm).weight", [d]), .init("\(p).\(Key.postNorm).bias", [d])]
        return specs
    }

    init(config: VisionConfig, parameters: ParameterSet) {
        self.config = config
        let p = Self.prefix
        patchWeight = parameters["\(p).\(Key.patchWeight)"]
        patchBias = parameters["\(p).\(Key.patchBias)"]
        positionTable = parameters["\(p).\(Key.positions)"]
        dPatchWeight = parameters.gradient("\(p).\(Key.patchWeight)")
        dPatchBias = parameters.gradient("\(p).\(Key.patchBias)")
        dPositionTable = parameters.gradient("\(p).\(Key.positions)")
        layers = (0..<config.layers).map {
            VisionEncoderLayer(path: "\(p).\(Key.layer($0))", config: config, parameters: parameters)
        }
        postNorm = LayerNormLayer(path: "\(p).\(Key.postNorm)", eps: config.layerNormEps, parameters: parameters)
    }

    /// Position ids of each patch, as `Idefics3VisionEmbeddings` computes them: the patches
    /// kept by the mask span the full position grid by bucketing their fractional coordinates.
    static func positionIds(patchMask: [Bool], rows: Int, columns: Int, perSide: Int) -> [Int32] {
        let keptRows = (0..<rows).filter { patchMask[$0 * columns] }.count
        let keptColumns = (0..<columns).filter { patchMask[$0] }.count
        func bucket(_ index: Int, _ kept: Int) -> Int {
            // torch: clamp(index * (1 / kept), max: 1 - 1e-6), bucketize(right) on k / perSide in fp32
            let coordinate = min(Float(index) * (1 / Float(max(kept, 1))), 1 - 1e-6)
            var b = 0
            for k in 1..<perSide where Float(k) * (1 / Float(perSide)) <= coordinate { b = k }
            return b
        }
        var ids = [Int32](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns where patchMask[r * columns + c] {
                ids[r * columns + c] = Int32(bucket(r, keptRows) * perSide + bucket(c, keptColumns))
            }
        }
        return ids
    }

    public struct Saved {
        let pixels: Tensor, columns: Tensor, positionIds: [Int32]
        let layers: LayerActivations<VisionEncoderLayer.Saved>
        let post: LayerNormLayer.Saved
    }

    /// pixels [N, C, S, S] and the patch mask [N, patches] (1 = a real patch) → [N, patches, D].
    public func forward(pixels: Tensor, patchMask: Tensor, training: Bool, rng: inout SeededGenerator) -> (Tensor, Saved) {
        let n = pixels.dim(0), d = config.hiddenSize, side = pixels.dim(2) / config.patchSize
        let patches = side * (pixels.dim(3) / config.patchSize)
        var ids: [Int32] = []
        for i in 0..<n {
            let mask = (0..<patches).map { patchMask[i * patches + $0] != 0 }
            ids += Self.positionIds(patchMask: mask, rows: side, columns: pixels.dim(3) / config.patchSize, perSide: config.patchesPerSide)
        }
        let embedded = Tensor(shape: [n, patches, d])
        let columns = Tensor(shape: [n * patches, config.channels * config.patchSize * config.patchSize])
        PatchEmbedding.forward(pixels: pixels, weight: patchWeight, bias: patchBias, into: embedded, columns: columns)
        let positions = Tensor(shape: [n, patches, d])
        Embedding.forward(ids: ids, table: positionTable, into: positions)
        var h = Tensor(shape: [n, patches, d])
        Residual.forward(embedded, positions, into: h)
        var saved: [VisionEncoderLayer.Saved] = []
        let keepTables = layers.first.map {
            AttentionTables.kept($0.attention, layers: layers.count, batch: n, tokens: patches, training: training)
        } ?? false
        for layer in layers {
            let (out, s) = layer.forward(h, keyMask: patchMask, training: training, keepingTable: keepTables, rng: &rng)
            if training { saved.append(s) }  // inference lets each layer's activations go
            h = out
        }
        let (out, post) = postNorm.forward(h)
        return (out, Saved(pixels: pixels, columns: columns, positionIds: ids, layers: LayerActivations(saved), post: post))
    }

    /// Accumulates the tower's gradients from dOut [N, patches, D].
    public func backward(_ dOut: Tensor, saved: Saved, keyMask: Tensor) {
        var dH = postNorm.backward(dOut, saved: saved.post)
        for layer in layers.reversed() {
            dH = layer.backward(dH, saved: saved.layers.takeLast(), keyMask: keyMask)
        }
        if let dPositionTable { Embedding.backward(dH, ids: saved.positionIds, dTable: dPositionTable) }
        if dPatchWeight != nil || dPatchBias != nil {
            PatchEmbedding.backward(dH, pixels: saved.pixels, weight: patchWeight, columns: saved.columns,
                                    dWeight: dPatchWeight, dBias: dPatchBias, dPixels: nil)
        }
    }

    /// Subtracts `mean` from every output from now on, through the final LayerNorm's bias.
    func center(on mean: [Float]) {
        precondition(mean.count == postNorm.bias.count, "a mean of \(mean.count) for \(postNorm.bias.count) features")
        for (i, m) in mean.enumerated() { postNorm.bias[i] -= m }
    }

    /// Whether any parameter of the tower is trained (a frozen tower needs no backward).
    public var isTrainable: Bool {
        dPatchWeight != nil || layers.contains { $0.isTrainable }
    }
}

/// LayerNorm with affine weight and bias, by checkpoint path.
final class LayerNormLayer: @unchecked Sendable {
    let weight: Tensor, bias: Tensor, eps: Float
    let dWeight: Tensor?, dBias: Tensor?

    init(path: String, eps: Float, parameters: ParameterSet) {
        weight = parameters["\(path).weight"]
        bias = parameters["\(path).bias"]
        dWeight = parameters.gradient("\(path).weight")
        dBias = parameters.gradient("\(path).bias")
        self.eps = eps
    }

    struct Saved { let input: Tensor, mean: Tensor, rstd: Tensor }

    func forward(_ x: Tensor) -> (Tensor, Saved) {
        let out = Tensor(shape: x.shape), mean = Tensor(shape: [x.rows]), rstd = Tensor(shape: [x.rows])
        LayerNorm.forward(x, weight: weight, bias: bias, eps: eps, into: out, mean: mean, rstd: rstd)
        return (out, Saved(input: x, mean: mean, rstd: rstd))
    }

    /// forward's output again, for backward: cheaper to compute than to keep every layer's.
    func output(of saved: Saved) -> Tensor { forward(saved.input).0 }

    func backward(_ dOut: Tensor, saved: Saved) -> Tensor {
        let dX = Tensor(shape: saved.input.shape)
        LayerNorm.backward(dOut, x: saved.input, weight: weight, mean: saved.mean, rstd: saved.rstd,
                           dX: dX, dWeight: dWeight, dBias: dBias)
        return dX
    }
}

/// One pre-LN encoder block: x + attn(LN1(x)), then + MLP(LN2(·)) with GELU.
final class VisionEncoderLayer: @unchecked Sendable {
    let norm1: LayerNormLayer, norm2: LayerNormLayer
    let q: LinearLayer, k: LinearLayer, v: LinearLayer, out: LinearLayer
    let fc1: LinearLayer, fc2: LinearLayer
    let attention: Attention
    let gelu: GELU.Approximation

    /// The block's modules under its path, as the checkpoint names them: declared once, for
    /// `specs` and for `init`.
    enum Key {
        static let q = "self_attn.q_proj", k = "self_attn.k_proj", v = "self_attn.v_proj", out = "self_attn.out_proj"
        static let norm1 = "layer_norm1", norm2 = "layer_norm2", fc1 = "mlp.fc1", fc2 = "mlp.fc2"
    }

    /// The block's parameters (weights and biases) with their shapes, in checkpoint order.
    static func specs(path p: String, config c: VisionConfig) -> [ParameterSet.Spec] {
        let d = c.hiddenSize, m = c.intermediateSize
        var specs: [ParameterSet.Spec] = []
        for proj in [Key.q, Key.k, Key.v, Key.out] { specs += [.init("\(p).\(proj).weight", [d, d]), .init("\(p).\(proj).bias", [d])] }
        return specs + [
            .init("\(p).\(Key.norm1).weight", [d]), .init("\(p).\(Key.norm1).bias", [d]),
            .init("\(p).\(Key.fc1).weight", [m, d]), .init("\(p).\(Key.fc1).bias", [m]),
            .init("\(p).\(Key.fc2).weight", [d, m]), .init("\(p).\(Key.fc2).bias", [d]),
            .init("\(p).\(Key.norm2).weight", [d]), .init("\(p).\(Key.norm2).bias", [d]),
        ]
    }

    init(path: String, config: VisionConfig, parameters: ParameterSet) {
        norm1 = LayerNormLayer(path: "\(path).\(Key.norm1)", eps: config.layerNormEps, parameters: parameters)
        norm2 = LayerNormLayer(path: "\(path).\(Key.norm2)", eps: config.layerNormEps, parameters: parameters)
        q = LinearLayer(path: "\(path).\(Key.q)", parameters: parameters, bias: true)
        k = LinearLayer(path: "\(path).\(Key.k)", parameters: parameters, bias: true)
        v = LinearLayer(path: "\(path).\(Key.v)", parameters: parameters, bias: true)
        out = LinearLayer(path: "\(path).\(Key.out)", parameters: parameters, bias: true)
        fc1 = LinearLayer(path: "\(path).\(Key.fc1)", parameters: parameters, bias: true)
        fc2 = LinearLayer(path: "\(path).\(Key.fc2)", parameters: parameters, bias: true)
        attention = Attention(heads: config.heads, kvHeads: config.heads, headDim: config.headDim, causal: false)
        gelu = config.hiddenAct == "gelu" ? .none : .tanh
    }

    var linears: [LinearLayer] { [q, k, v, out, fc1, fc2] }
    var isTrainable: Bool { norm1.dWeight != nil || linears.contains { $0.dWeight != nil || $0.lora?.dA != nil } }

    struct Saved {
        let n1: LayerNormLayer.Saved, n2: LayerNormLayer.Saved
        let q: LinearLayer.Saved, k: LinearLayer.Saved, v: LinearLayer.Saved, out: LinearLayer.Saved
        let fc1: LinearLayer.Saved, fc2: LinearLayer.Saved
        let qs: Tensor, ks: Tensor, vs: Tensor, fc1Out: Tensor
        /// attention's probabilities, where the pass keeps them (`AttentionTables`)
        let table: Tensor?
    }

    func forward(_ x: Tensor, keyMask: Tensor, training: Bool, keepingTable: Bool, rng: inout SeededGenerator) -> (Tensor, Saved) {
        let (n, p, d) = (x.dim(0), x.dim(1), x.dim(2))
        let (h1, n1) = norm1.forward(x)
        // the norms' outputs are computed again in backward rather than kept
        let (qs, qSaved) = q.forward(h1, training: training, keepingInput: false, rng: &rng)
        let (ks, kSaved) = k.forward(h1, training: training, keepingInput: false, rng: &rng)
        let (vs, vSaved) = v.forward(h1, training: training, keepingInput: false, rng: &rng)
        let heads = [n, p, attention.heads, attention.headDim]
        let context = Tensor(shape: heads)
        let table = keepingTable ? Tensor(shape: attention.tableShape(batch: n, queries: p, keys: p)) : nil
        attention.forward(q: qs.reshapedView(heads), k: ks.reshapedView(heads), v: vs.reshapedView(heads),
                          keyMask: keyMask, keepingIn: table, into: context)
        let (attnOut, outSaved) = out.forward(context.reshapedView([n, p, d]), training: training, rng: &rng)
        let h = Tensor(shape: x.shape)
        Residual.forward(x, attnOut, into: h)
        let (h2, n2) = norm2.forward(h)
        let (f1, fc1Saved) = fc1.forward(h2, training: training, keepingInput: false, rng: &rng)
        let act = Tensor(shape: f1.shape)
        GELU.forward(f1, approximation: gelu, into: act)
        // GELU's output is computed again in backward rather than kept
        let (f2, fc2Saved) = fc2.forward(act, training: training, keepingInput: false, rng: &rng)
        let y = Tensor(shape: x.shape)
        Residual.forward(h, f2, into: y)
        return (y, Saved(n1: n1, n2: n2, q: qSaved, k: kSaved, v: vSaved, out: outSaved, fc1: fc1Saved, fc2: fc2Saved,
                         qs: qs, ks: ks, vs: vs, fc1Out: f1, table: table))
    }

    func backward(_ dY: Tensor, saved s: Saved, keyMask: Tensor) -> Tensor {
        // y = h + fc2(gelu(fc1(LN2(h))))
        let act = Tensor(shape: s.fc1Out.shape), dAct = Tensor(shape: s.fc1Out.shape)
        GELU.forward(s.fc1Out, approximation: gelu, into: act)
        fc2.backward(dY, saved: s.fc2, input: act, dX: dAct)
        let dF1 = Tensor(shape: s.fc1Out.shape)
        GELU.backward(dAct, x: s.fc1Out, approximation: gelu, dX: dF1)
        let dH2 = Tensor(shape: dY.shape)
        fc1.backward(dF1, saved: s.fc1, input: norm2.output(of: s.n2), dX: dH2)
        let dH = norm2.backward(dH2, saved: s.n2)
        Residual.accumulate(dY, into: dH)
        // h = x + out(attention(q, k, v of LN1(x)))
        let (n, p, d) = (dY.dim(0), dY.dim(1), dY.dim(2))
        let heads = [n, p, attention.heads, attention.headDim]
        let dContext = Tensor(shape: [n, p, d])
        out.backward(dH, saved: s.out, dX: dContext)
        let dQ = Tensor(shape: heads), dK = Tensor(shape: heads), dV = Tensor(shape: heads)
        attention.backward(dContext.reshapedView(heads), q: s.qs.reshapedView(heads), k: s.ks.reshapedView(heads),
                           v: s.vs.reshapedView(heads), keyMask: keyMask, keptIn: s.table, dQ: dQ, dK: dK, dV: dV)
        let dH1 = Tensor(shape: dY.shape)
        let h1 = norm1.output(of: s.n1)
        q.backward(dQ.reshapedView([n, p, d]), saved: s.q, input: h1, dX: dH1)
        k.backward(dK.reshapedView([n, p, d]), saved: s.k, input: h1, dX: dH1)
        v.backward(dV.reshapedView([n, p, d]), saved: s.v, input: h1, dX: dH1)
        let dX = norm1.backward(dH1, saved: s.n1)
        Residual.accumulate(dH, into: dX)
        return dX
    }
}
