import Interchange
import Tensor

/// A low-rank adapter on a linear layer (PEFT's LoRA): y = W x + (alpha / r) · B A dropout(x),
/// with A [r, in] and B [out, r]. A and B live in the adapters' own parameter set.
public final class LoRAAdapter: @unchecked Sendable {
    public let rank: Int
    public let alpha: Float
    public let dropout: Float
    public let a: Tensor
    public let b: Tensor
    public var dA: Tensor?
    public var dB: Tensor?
    /// Off: the layer computes its base weights only (the reference model of DPO).
    public var enabled = true

    public var scale: Float { alpha / Float(rank) }

    public init(rank: Int, alpha: Float, dropout: Float, a: Tensor, b: Tensor, dA: Tensor?, dB: Tensor?) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.a = a
        self.b = b
        self.dA = dA
        self.dB = dB
    }
}

/// A linear layer with PyTorch's weight layout [out, in], optional bias and optional LoRA.
/// The weight is fp32, or a frozen NF4 base when its parameter set keeps it quantized (QLoRA).
public final class LinearLayer: @unchecked Sendable {
    /// The module path, as in the checkpoint ("model.text_model.layers.0.self_attn.q_proj").
    public let path: String
    public let weight: LinearWeight
    public let bias: Tensor?
    public var dWeight: Tensor?
    public var dBias: Tensor?
    public var lora: LoRAAdapter?

    public init(path: String, parameters: ParameterSet, bias hasBias: Bool) {
        self.path = path
        weight = parameters.nf4("\(path).weight").map(LinearWeight.nf4) ?? .dense(parameters["\(path).weight"])
        bias = hasBias ? parameters["\(path).bias"] : nil
        dWeight = parameters.gradient("\(path).weight")
        dBias = hasBias ? parameters.gradient("\(path).bias") : nil
    }

    public var outFeatures: Int { weight.outFeatures }
    public var inFeatures: Int { weight.inFeatures }

    /// What backward needs of one forward call.
    public struct Saved {
        /// x, unless the caller computes it again for backward (`keepingInput: false`)
        let input: Tensor?
        /// dropout(x) and its per-element multipliers (0 or 1/(1-p)), when dropout ran, and
        /// dropout(x)·Aᵀ, when the adapter ran
        let dropped: Tensor?
        let dropoutScale: Tensor?
        let hidden: Tensor?
    }

    /// x [..., in] → y [..., out]. `rng` draws the adapter's dropout mask when training. A layer
    /// whose input is cheap to compute again (an activation's output) passes `keepingInput:
    /// false` and gives backward the input anew.
    public func forward(_ x: Tensor, training: Bool = false, keepingInput: Bool = true,
                        rng: inout SeededGenerator) -> (Tensor, Saved) {
        let y = Tensor(shape: Array(x.shape.dropLast()) + [outFeatures])
        Linear.forward(x, weight: weight, bias: bias, into: y)
        let input = keepingInput ? x : nil
        guard let lora, lora.enabled else { return (y, Saved(input: input, dropped: nil, dropoutScale: nil, hidden: nil)) }
        var dropped: Tensor? = nil, dropoutScale: Tensor? = nil
        if training && lora.dropout > 0 {
            let out = Tensor(shape: x.shape)
            let scale = Tensor(shape: x.shape), keep = 1 / (1 - lora.dropout)
            for i in 0..<x.count {
                scale[i] = Float.random(in: 0..<1, using: &rng) < lora.dropout ? 0 : keep
                out[i] = x[i] * scale[i]
            }
            (dropped, dropoutScale) = (out, scale)
        }
        let hidden = Tensor(shape: [x.rows, lora.rank])
        Matmul.gemm(transA: false, transB: true, m: x.rows, n: lora.rank, k: inFeatures,
                    a: (dropped ?? x).data, lda: inFeatures, b: lora.a.data, ldb: inFeatures, beta: 0, c: hidden.data, ldc: lora.rank)
        Matmul.gemm(transA: false, transB: true, m: x.rows, n: outFeatures, k: lora.rank, alpha: lora.scale,
                    a: hidden.data, lda: lora.rank, b: lora.b.data, ldb: lora.rank, beta: 1, c: y.data, ldc: outFeatures)
        return (y, Saved(input: input, dropped: dropped, dropoutScale: dropoutScale, hidden: hidden))
    }

    /// Inference without keeping anything for backward.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var unused = SeededGenerator(seed: 0)
        return forward(x, rng: &unused).0
    }

    /// Accumulates the gradients of the weights (when trained), the adapter, and dX (when given).
    /// `input` is forward's x when forward did not keep it.
    public func backward(_ dY: Tensor, saved: Saved, input: Tensor? = nil, dX: Tensor?) {
        guard let x = input ?? saved.input else { preconditionFailure("\(path): backward needs the input forward did not keep") }
        let n = x.rows
        Linear.backward(dY, x: x, weight: weight, dX: dX, dWeight: dWeight, dBias: dBias)
        guard let lora, let hidden = saved.hidden else { return }
        let dropped = saved.dropped ?? x
        let r = lora.rank
        // dHidden = scale · dY B ; dB += scale · dYᵀ hidden ; dA += dHiddenᵀ dropped
        let dHidden = Tensor(shape: [n, r])
        Matmul.gemm(transA: false, transB: false, m: n, n: r, k: outFeatures, alpha: lora.scale,
                    a: dY.data, lda: outFeatures, b: lora.b.data, ldb: r, beta: 0, c: dHidden.data, ldc: r)
        if let dB = lora.dB {
            Matmul.gemm(transA: true, transB: false, m: outFeatures, n: r, k: n, alpha: lora.scale,
                        a: dY.data, lda: outFeatures, b: hidden.data, ldb: r, beta: 1, c: dB.data, ldc: r)
        }
        if let dA = lora.dA {
            Matmul.gemm(transA: true, transB: false, m: r, n: inFeatures, k: n,
                        a: dHidden.data, lda: r, b: dropped.data, ldb: inFeatures, beta: 1, c: dA.data, ldc: inFeatures)
        }
        guard let dX else { return }
        // dX += (dHidden A) ⊙ dropout multipliers
        guard let scale = saved.dropoutScale else {
            Matmul.gemm(transA: false, transB: false, m: n, n: inFeatures, k: r,
                        a: dHidden.data, lda: r, b: lora.a.data, ldb: inFeatures, beta: 1, c: dX.data, ldc: inFeatures)
            return
        }
        let dDropped = Tensor(shape: x.shape)
        Matmul.gemm(transA: false, transB: false, m: n, n: inFeatures, k: r,
                    a: dHidden.data, lda: r, b: lora.a.data, ldb: inFeatures, beta: 0, c: dDropped.data, ldc: inFeatures)
        for i in 0..<x.count { dX[i] += dDropped[i] * scale[i] }
    }
}
