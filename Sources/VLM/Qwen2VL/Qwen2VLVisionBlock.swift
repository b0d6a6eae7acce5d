import Interchange
import Tensor

/// Qwen2-VL's LayerNorm (weight and bias) or Qwen2.5-VL's RMSNorm (weight), by checkpoint path.
enum Qwen2VLNorm {
    case layer(LayerNormLayer), rms(RMSNormLayer)

    enum Saved { case layer(LayerNormLayer.Saved), rms(RMSNormLayer.Saved) }

    init(path: String, rms: Bool, parameters: ParameterSet) {
        self = rms ? .rms(RMSNormLayer(path: path, eps: 1e-6, parameters: parameters))
            : .layer(LayerNormLayer(path: path, eps: 1e-6, parameters: parameters))
    }

    static func specs(path: String, width: Int, rms: Bool) -> [ParameterSet.Spec] {
        rms ? [.init("\(path).weight", [width])] : [.init("\(path).weight", [width]), .init("\(path).bias", [width])]
    }

    func forward(_ x: Tensor) -> (Tensor, Saved) {
        switch self {
        case let .layer(n): let (y, s) = n.forward(x); return (y, .layer(s))
        case let .rms(n): let (y, s) = n.forward(x); return (y, .rms(s))
        }
    }

    /// forward's output again, for backward: cheaper to compute than to keep every block's.
    func output(of saved: Saved) -> Tensor {
        switch (self, saved) {
        case let (.layer(n), .layer(s)): return n.output(of: s)
        case let (.rms(n), .rms(s)): return n.output(of: s)
        default: preconditionFailure("a norm's saved state from another kind of norm")
        }
    }

    func backward(_ dOut: Tensor, saved: Saved) -> Tensor {
        switch (self, saved) {
        case let (.layer(n), .layer(s)): return n.backward(dOut, saved: s)
        case let (.rms(n), .rms(s)): return n.backward(dOut, saved: s)
        default: preconditionFailure("a norm's saved state from another kind of norm")
        }
    }

    var isTrainable: Bool {
        switch self {
        case let .layer(n): n.dWeight != nil
        case let .rms(n): n.dWeight != nil
        }
    }
}

/// One vision block: x + proj(attention within groups of rows (RoPE(q), RoPE(k), v of
/// qkv(norm1(x)))), then + MLP(norm2(·)): Qwen2-VL's fc2(QuickGELU(fc1)) or Qwen2.5-VL's
/// down(silu(gate) ⊙ up), every projection with a bias.
final class Qwen2VLVisionBlock: @unchecked Sendable {
    let norm1: Qwen2VLNorm, norm2: Qwen2VLNorm
    let qkv: LinearLayer, proj: LinearLayer
    /// Qwen2-VL: fc1, fc2. Qwen2.5-VL: gate, up, down.
    let mlp: [LinearLayer]
    let gated: Bool
    let attention: Attention
    let rope: RotaryEmbedding

    enum Key {
        static let qkv = "attn.qkv", proj = "attn.proj", norm1 = "norm1", norm2 = "norm2"
        static let fc1 = "mlp.fc1", fc2 = "mlp.fc2", gate = "mlp.gate_proj", up = "mlp.up_proj", down = "mlp.down_proj"
    }

    static func specs(path p: String, config c: Qwen2VLVisionConfig, gated: Bool) -> [ParameterSet.Spec] {
        let d = c.hiddenSize, m = c.intermediateSize
        func linear(_ key: String, _ out: Int, _ inF: Int) -> [ParameterSet.Spec] {
            [.init("\(p).\(key).weight", [out, inF]), .init("\(p).\(key).bias", [out])]
        }
        let mlp = gated ? linear(Key.gate, m, d) + linear(Key.up, m, d) + linear(Key.down, d, m) : linear(Key.fc1, m, d) + linear(Key.fc2, d, m)
        return Qwen2VLNorm.specs(path: "\(p).\(Key.norm1)", width: d, rms: gated) + Qwen2VLNorm.specs(path: "\(p).\(Key.norm2)", width: d, rms: gated)
            + linear(Key.qkv, 3 * d, d) + linear(Key.proj, d, d) + mlp
    }

    init(path: String, config: Qwen2VLVisionConfig, gated: Bool, parameters: ParameterSet) {
        norm1 = Qwen2VLNorm(path: "\(path).\(Key.norm1)", rms: gated, parameters: parameters)
        norm2 = Qwen2VLNorm(path: "\(path).\(Key.norm2)", rms: gated, parameters: parameters)
        qkv = LinearLayer(path: "\(path).\(Key.qkv)", parameters: parameters, bias: true)
        proj = LinearLayer(path: "\(path).\(Key.proj)", parameters: parameters, bias: true)
        mlp = (gated ? [Key.gate, Key.up, Key.down] : [Key.fc1, Key.fc2]).map {
            LinearLayer(path: "\(path).\($0)", parameters: parameters, bias: true)
        }
        self.gated = gated
        attention = Attention(heads: config.heads, kvHeads: config.heads, headDim: config.headDim, causal: false)
        rope = RotaryEmbedding(headDim: config.headDim, theta: config.ropeTheta)
    }

    var linears: [LinearLayer] { [qkv, proj] + mlp }
    var isTrainable: Bool { norm1.isTrainable || linears.contains { $0.dWeight != nil || $0.lora?.dA != nil } }

    struct Saved {
        let n1: Qwen2VLNorm.Saved, n2: Qwen2VLNorm.Saved
        let qkv: LinearLayer.Saved, proj: LinearLayer.Saved, mlp: [LinearLayer.Saved]
        let q: Tensor, k: Tensor, v: Tensor
        /// fc1's output (Qwen2-VL), or gate's and up's (Qwen2.5-VL)
        let hidden: [Tensor]
        /// attention's probabilities of each group, where the pass keeps them (`AttentionTables`)
        let tables: [Tensor]?
    }

    /// The rows `group` of a [S, heads, headDim] tensor, as one batch element.
    private func rows(_ t: Tensor, _ group: Range<Int>) -> Tensor {
        Tensor(viewing: t, offset: group.lowerBound * attention.heads * attention.headDim,
               shape: [1, group.count, attention.heads, attention.headDim])
    }

    /// x [S, D] → [S, D]; each row attends to the rows of its group.
    func forward(
        _ x: Tensor, rotary: RotaryTable, groups: [Range<Int>], training: Bool, keepingTables: Bool, rng: inout SeededGenerator
    ) -> (Tensor, Saved) {
        let (s, d) = (x.dim(0), x.dim(1))
        let (h1, n1) = norm1.forward(x)
        // the norms' outputs are computed again in backward rather than kept
        let (packed, qkvSaved) = qkv.forward(h1, training: training, keepingInput: false, rng: &rng)
        let heads = [s, attention.heads, attention.headDim]
        let q = Tensor(shape: heads), k = Tensor(shape: heads), v = Tensor(shape: heads)
        for r in 0..<s {
            let src = packed.data + r * 3 * d
            (q.data + r * d).update(from: src, count: d)
            (k.data + r * d).update(from: src + d, count: d)
            (v.data + r * d).update(from: src + 2 * d, count: d)
        }
        rope.forward(q, table: rotary, into: q)
        rope.forward(k, table: rotary, into: k)
        let context = Tensor(shape: heads)
        let tables = keepingTables ? groups.map { Tensor(shape: attention.tableShape(batch: 1, queries: $0.count, keys: $0.count)) } : nil
        for (i, group) in groups.enumerated() {
            attention.forward(q: rows(q, group), k: rows(k, group), v: rows(v, group), keepingIn: tables?[i],
                              into: rows(context, group))
        }
        let (attnOut, projSaved) = proj.forward(context.reshapedView([s, d]), training: training, rng: &rng)
        let h = Tensor(shape: x.shape)
        Residual.forward(x, attnOut, into: h)
        let (h2, n2) = norm2.forward(h)
        var mlpSaved: [LinearLayer.Saved] = [], hidden: [Tensor] = []
        let act: Tensor
        if gated {
            let (g, gs) = mlp[0].forward(h2, training: training, keepingInput: false, rng: &rng)
            let (u, us) = mlp[1].forward(h2, training: training, keepingInput: false, rng: &rng)
            act = Tensor(shape: g.shape)
            SwiGLU.forward(gate: g, up: u, into: act)
            (mlpSaved, hidden) = ([gs, us], [g, u])
        } else {
            let (f, fs) = mlp[0].forward(h2, training: training, keepingInput: false, rng: &rng)
            act = Tensor(shape: f.shape)
            QuickGELU.forward(f, into: act)
            (mlpSaved, hidden) = ([fs], [f])
        }
        // the activation's output is computed again in backward rather than kept
        let (out, outSaved) = mlp[mlp.count - 1].forward(act, training: training, keepingInput: false, rng: &rng)
        let y = Tensor(shape: x.shape)
        Residual.forward(h, out, into: y)
        return (y, Saved(n1: n1, n2: n2, qkv: qkvSaved, proj: projSaved, mlp: mlpSaved + [outSaved], q: q, k: k, v: v,
                         hidden: hidden, tables: tables))
    }

    func backward(_ dY: Tensor, saved s: Saved, rotary: RotaryTable, groups: [Range<Int>]) -> Tensor {
        let (n, d) = (dY.dim(0), dY.dim(1))
        // y = h + out(act(h2))
        let act = Tensor(shape: s.hidden[0].shape), dAct = Tensor(shape: s.hidden[0].shape)
        if gated { SwiGLU.forward(gate: s.hidden[0], up: s.hidden[1], into: act) } else { QuickGELU.forward(s.hidden[0], into: act) }
        mlp[mlp.count - 1].backward(dY, saved: s.mlp[mlp.count - 1], input: act, dX: dAct)
        let dH2 = Tensor(shape: dY.shape), h2 = norm2.output(of: s.n2)
        if gated {
            let dGate = Tensor(shape: dAct.shape), dUp = Tensor(shape: dAct.shape)
            SwiGLU.backward(dAct, gate: s.hidden[0], up: s.hidden[1], dGate: dGate, dUp: dUp)
            mlp[0].backward(dGate, saved: s.mlp[0], input: h2, dX: dH2)
            mlp[1].backward(dUp, saved: s.mlp[1], input: h2, dX: dH2)
        } else {
            let dF = Tensor(shape: dAct.shape)
            QuickGELU.backward(dAct, x: s.hidden[0], dX: dF)
            mlp[0].backward(dF, saved: s.mlp[0], input: h2, dX: dH2)
        }
        let dH = norm2.backward(dH2, saved: s.n2)
        Residual.accumulate(dY, into: dH)
        // h = x + proj(attention(RoPE(q), RoPE(k), v))
        let heads = [n, attention.heads, attention.headDim]
        let dContext = Tensor(shape: heads)
        proj.backward(dH, saved: s.proj, dX: dContext.reshapedView([n, d]))
        let dQ = Tensor(shape: heads), dK = Tensor(shape: heads), dV = Tensor(shape: heads)
        for (i, group) in groups.enumerated() {
            attention.backward(rows(dContext, group), q: rows(s.q, group), k: rows(s.k, group), v: rows(s.v, group),
                               keptIn: s.tables?[i], dQ: rows(dQ, group), dK: rows(dK, group), dV: rows(dV, group))
        }
        let dPacked = Tensor(shape: [n, 3 * d])
        let dQp = Tensor(shape: heads), dKp = Tensor(shape: heads)
        rope.backward(dQ, table: rotary, dX: dQp)
        rope.backward(dK, table: rotary, dX: dKp)
        for r in 0..<n {
            let dst = dPacked.data + r * 3 * d
            dst.update(from: dQp.data + r * d, count: d)
            (dst + d).update(from: dKp.data + r * d, count: d)
            (dst + 2 * d).update(from: dV.data + r * d, count: d)
        }
        let dH1 = Tensor(shape: dY.shape)
        qkv.backward(dPacked, saved: s.qkv, input: norm1.output(of: s.n1), dX: dH1)
        let dX = norm1.backward(dH1, saved: s.n1)
        Residual.accumulate(dH, into: dX)
        return dX
    }
}
