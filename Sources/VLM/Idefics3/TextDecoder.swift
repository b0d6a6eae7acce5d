import Interchange
import Tensor

/// RMSNorm with a weight, by checkpoint path.
final class RMSNormLayer: @unchecked Sendable {
    let weight: Tensor, eps: Float, dWeight: Tensor?

    init(path: String, eps: Float, parameters: ParameterSet) {
        weight = parameters["\(path).weight"]
        dWeight = parameters.gradient("\(path).weight")
        self.eps = eps
    }

    struct Saved { let input: Tensor, rstd: Tensor }

    func forward(_ x: Tensor) -> (Tensor, Saved) {
        let out = Tensor(shape: x.shape), rstd = Tensor(shape: [x.rows])
        RMSNorm.forward(x, weight: weight, eps: eps, into: out, rstd: rstd)
        return (out, Saved(input: x, rstd: rstd))
    }

    /// forward's output again, for backward: cheaper to compute than to keep every layer's.
    func output(of saved: Saved) -> Tensor { forward(saved.input).0 }

    func backward(_ dOut: Tensor, saved: Saved) -> Tensor {
        let dX = Tensor(shape: saved.input.shape)
        RMSNorm.backward(dOut, x: saved.input, weight: weight, rstd: saved.rstd, dX: dX, dWeight: dWeight)
        return dX
    }
}

/// How the tokens of a batch see each other: [batch, length] rows, causal, with optional key
/// padding (1 = real token) and optional packed branches per row.
public struct TextAttentionMask: Sendable {
    public var keyMask: Tensor?
    public var branches: [BranchLayout]?

    public init(keyMask: Tensor? = nil, branches: [BranchLayout]? = nil) {
        self.keyMask = keyMask
        self.branches = branches
    }
}

/// One LLaMA (or Qwen2: q/k/v with biases) decoder block: x + o(attn(RoPE(q), RoPE(k), v of
/// RMS1(x))), then + down(silu(gate(·)) ⊙ up(·)) of RMS2. The rotary table comes from the model,
/// so a multimodal RoPE (Qwen2-VL) rotates by its own angles.
final class DecoderLayer: @unchecked Sendable {
    let inputNorm: RMSNormLayer, postAttentionNorm: RMSNormLayer
    let q: LinearLayer, k: LinearLayer, v: LinearLayer, o: LinearLayer
    let gate: LinearLayer, up: LinearLayer, down: LinearLayer
    let attention: Attention
    let rope: RotaryEmbedding

    /// The block's modules under its path, as the checkpoint names them: declared once, for
    /// `specs` and for `init`.
    enum Key {
        static let q = "self_attn.q_proj", k = "self_attn.k_proj", v = "self_attn.v_proj", o = "self_attn.o_proj"
        static let gate = "mlp.gate_proj", up = "mlp.up_proj", down = "mlp.down_proj"
        static let inputNorm = "input_layernorm", postAttentionNorm = "post_attention_layernorm"
    }

    /// The block's parameters with their shapes, in checkpoint order.
    static func specs(path p: String, config t: TextConfig) -> [ParameterSet.Spec] {
        let d = t.hiddenSize, q = t.heads * t.headDim, kv = t.kvHeads * t.headDim
        let biases: [ParameterSet.Spec] = t.attentionBias
            ? [.init("\(p).\(Key.q).bias", [q]), .init("\(p).\(Key.k).bias", [kv]), .init("\(p).\(Key.v).bias", [kv])] : []
        return biases + [
            .init("\(p).\(Key.q).weight", [q, d]),
            .init("\(p).\(Key.k).weight", [kv, d]),
            .init("\(p).\(Key.v).weight", [kv, d]),
            .init("\(p).\(Key.o).weight", [d, t.heads * t.headDim]),
            .init("\(p).\(Key.gate).weight", [t.intermediateSize, d]),
            .init("\(p).\(Key.up).weight", [t.intermediateSize, d]),
            .init("\(p).\(Key.down).weight", [d, t.intermediateSize]),
            .init("\(p).\(Key.inputNorm).weight", [d]),
            .init("\(p).\(Key.postAttentionNorm).weight", [d]),
        ]
    }

    init(path: String, config: TextConfig, parameters: ParameterSet) {
        inputNorm = RMSNormLayer(path: "\(path).\(Key.inputNorm)", eps: config.rmsNormEps, parameters: parameters)
        postAttentionNorm = RMSNormLayer(path: "\(path).\(Key.postAttentionNorm)", eps: config.rmsNormEps, parameters: parameters)
        q = LinearLayer(path: "\(path).\(Key.q)", parameters: parameters, bias: config.attentionBias)
        k = LinearLayer(path: "\(path).\(Key.k)", parameters: parameters, bias: config.attentionBias)
        v = LinearLayer(path: "\(path).\(Key.v)", parameters: parameters, bias: config.attentionBias)
        o = LinearLayer(path: "\(path).\(Key.o)", parameters: parameters, bias: false)
        gate = LinearLayer(path: "\(path).\(Key.gate)", parameters: parameters, bias: false)
        up = LinearLayer(path: "\(path).\(Key.up)", parameters: parameters, bias: false)
        down = LinearLayer(path: "\(path).\(Key.down)", parameters: parameters, bias: false)
        attention = Attention(heads: config.heads, kvHeads: config.kvHeads, headDim: config.headDim, causal: true)
        rope = RotaryEmbedding(headDim: config.headDim, theta: config.ropeTheta)
    }

    var linears: [LinearLayer] { [q, k, v, o, gate, up, down] }

    struct Saved {
        let n1: RMSNormLayer.Saved, n2: RMSNormLayer.Saved
        let q: LinearLayer.Saved, k: LinearLayer.Saved, v: LinearLayer.Saved, o: LinearLayer.Saved
        let gate: LinearLayer.Saved, up: LinearLayer.Saved, down: LinearLayer.Saved
        let qs: Tensor, ks: Tensor, vs: Tensor, mask: TextAttentionMask, gateOut: Tensor, upOut: Tensor
        /// attention's probabilities, where the pass keeps them (`AttentionTables`)
        let table: Tensor?
    }

    /// x [B, T, D] → [B, T, D]. With a cache, the keys and values of x are appended to it and
    /// the queries attend to everything cached (decoding); nothing is saved for backward then.
    func forward(
        _ x: Tensor, rotary: RotaryTable, mask: TextAttentionMask, cache: KVCache? = nil,
        training: Bool, keepingTable: Bool, rng: inout SeededGenerator
    ) -> (Tensor, Saved?) {
        let (b, t) = (x.dim(0), x.dim(1))
        let (h1, n1) = inputNorm.forward(x)
        // the norms' outputs are computed again in backward rather than kept
        let (qs, qSaved) = q.forward(h1, training: training, keepingInput: false, rng: &rng)
        let (ks, kSaved) = k.forward(h1, training: training, keepingInput: false, rng: &rng)
        let (vs, vSaved) = v.forward(h1, training: training, keepingInput: false, rng: &rng)
        let qShape = [b, t, attention.heads, attention.headDim], kShape = [b, t, attention.kvHeads, attention.headDim]
        let qh = qs.reshapedView(qShape), kh = ks.reshapedView(kShape), vh = vs.reshapedView(kShape)
        rope.forward(qh, table: rotary, into: qh)
        rope.forward(kh, table: rotary, into: kh)
        let context = Tensor(shape: qShape)
        var table: Tensor?
        if let cache {
            let offset = cache.length
            cache.append(k: kh, v: vh)
            attention.forward(q: qh, k: cache.keys, v: cache.values, keys: cache.length, queryOffset: offset,
                              keyMask: mask.keyMask, into: context)
        } else {
            table = keepingTable ? Tensor(shape: attention.tableShape(batch: b, queries: t, keys: t)) : nil
            attention.forward(q: qh, k: kh, v: vh, keyMask: mask.keyMask, branches: mask.branches, keepingIn: table, into: context)
        }
        let (attnOut, oSaved) = o.forward(context.reshapedView([b, t, attention.heads * attention.headDim]),
                                          training: training, rng: &rng)
        let h = Tensor(shape: x.shape)
        Residual.forward(x, attnOut, into: h)
        let (h2, n2) = postAttentionNorm.forward(h)
        let (g, gateSaved) = gate.forward(h2, training: training, keepingInput: false, rng: &rng)
        let (u, upSaved) = up.forward(h2, training: training, keepingInput: false, rng: &rng)
        let act = Tensor(shape: g.shape)
        SwiGLU.forward(gate: g, up: u, into: act)
        // SwiGLU's output is computed again in backward rather than kept
        let (dn, downSaved) = down.forward(act, training: training, keepingInput: false, rng: &rng)
        let y = Tensor(shape: x.shape)
        Residual.forward(h, dn, into: y)
        guard cache == nil else { return (y, nil) }
        return (y, Saved(n1: n1, n2: n2, q: qSaved, k: kSaved, v: vSaved, o: oSaved, gate: gateSaved, up: upSaved,
                         down: downSaved, qs: qh, ks: kh, vs: vh, mask: mask, gateOut: g, upOut: u, table: table))
    }

    func backward(_ dY: Tensor, saved s: Saved, rotary: RotaryTable) -> Tensor {
        let (b, t, d) = (dY.dim(0), dY.dim(1), dY.dim(2))
        let act = Tensor(shape: s.gateOut.shape), dAct = Tensor(shape: s.gateOut.shape)
        SwiGLU.forward(gate: s.gateOut, up: s.upOut, into: act)
        down.backward(dY, saved: s.down, input: act, dX: dAct)
        let dGate = Tensor(shape: s.gateOut.shape), dUp = Tensor(shape: s.upOut.shape)
        SwiGLU.backward(dAct, gate: s.gateOut, up: s.upOut, dGate: dGate, dUp: dUp)
        let dH2 = Tensor(shape: dY.shape)
        let h2 = postAttentionNorm.output(of: s.n2)
        gate.backward(dGate, saved: s.gate, input: h2, dX: dH2)
        up.backward(dUp, saved: s.up, input: h2, dX: dH2)
        let dH = postAttentionNorm.backward(dH2, saved: s.n2)
        Residual.accumulate(dY, into: dH)
        let dContext = Tensor(shape: s.qs.shape)
        o.backward(dH, saved: s.o, dX: dContext.reshapedView([b, t, s.qs.dim(2) * s.qs.dim(3)]))
        let dQ = Tensor(shape: s.qs.shape), dK = Tensor(shape: s.ks.shape), dV = Tensor(shape: s.vs.shape)
        attention.backward(dContext, q: s.qs, k: s.ks, v: s.vs, keyMask: s.mask.keyMask, branches: s.mask.branches,
                           keptIn: s.table, dQ: dQ, dK: dK, dV: dV)
        // undo the rotations: gradients with respect to the projections' outputs
        let dQp = Tensor(shape: dQ.shape), dKp = Tensor(shape: dK.shape)
        rope.backward(dQ, table: rotary, dX: dQp)
        rope.backward(dK, table: rotary, dX: dKp)
        let dH1 = Tensor(shape: [b, t, d])
        let h1 = inputNorm.output(of: s.n1)
        q.backward(dQp.reshapedView([b, t, dQp.count / (b * t)]), saved: s.q, input: h1, dX: dH1)
        k.backward(dKp.reshapedView([b, t, dKp.count / (b * t)]), saved: s.k, input: h1, dX: dH1)
        v.backward(dV.reshapedView([b, t, dV.count / (b * t)]), saved: s.v, input: h1, dX: dH1)
        let dX = inputNorm.backward(dH1, saved: s.n1)
        Residual.accumulate(dH, into: dX)
        return dX
    }
}
