import CKernels
import Foundation

/// SwiGLU gating of LLaMA's MLP: out = silu(gate) ⊙ up, silu(x) = x · σ(x).
public enum SwiGLU {
    public static func forward(gate: Tensor, up: Tensor, into out: Tensor) {
        precondition(gate.count == up.count && out.count == gate.count,
                     "swiglu shapes: gate \(gate.shape), up \(up.shape), out \(out.shape)")
        let gp = gate.data, up = up.data, o = out.data, isa = vlm_isa_best()
        Parallel.forEach(gate.count, cost: 4) { r in
            vlm_swiglu_f32(isa, gp + r.lowerBound, up + r.lowerBound, o + r.lowerBound, r.count)
        }
    }

    /// Accumulates dGate and dUp.
    public static func backward(_ dOut: Tensor, gate: Tensor, up: Tensor, dGate: Tensor, dUp: Tensor) {
        let gp = gate.data, upp = up.data, g = dOut.data, dg = dGate.data, du = dUp.data, isa = vlm_isa_best()
        Parallel.forEach(gate.count, cost: 6) { r in
            let at = r.lowerBound
            vlm_swiglu_backward_f32(isa, g + at, gp + at, upp + at, dg + at, du + at, r.count)
        }
    }
}

/// GELU, exact (`gelu`) or with PyTorch's tanh approximation (`gelu_pytorch_tanh`).
public enum GELU {
    public enum Approximation: String, Sendable { case none, tanh }

    static let invSqrt2: Float = 0.707_106_781_186_547_5

    public static func forward(_ x: Tensor, approximation: Approximation, into out: Tensor) {
        precondition(out.count == x.count, "gelu shapes: \(x.shape) → \(out.shape)")
        let xp = x.data, o = out.data, isa = vlm_isa_best()
        switch approximation {
        case .none:
            Parallel.forEach(x.count, cost: 20) { r in
                for i in r { let v = xp[i]; o[i] = 0.5 * v * (1 + erff(v * invSqrt2)) }
            }
        case .tanh:
            Parallel.forEach(x.count, cost: 4) { r in vlm_gelu_tanh_f32(isa, xp + r.lowerBound, o + r.lowerBound, r.count) }
        }
    }

    /// Accumulates dX.
    public static func backward(_ dOut: Tensor, x: Tensor, approximation: Approximation, dX: Tensor) {
        let xp = x.data, g = dOut.data, dx = dX.data, isa = vlm_isa_best()
        switch approximation {
        case .none:
            let invSqrt2Pi: Float = 0.398_942_280_401_432_7
            Parallel.forEach(x.count, cost: 25) { r in
                for i in r {
                    let v = xp[i]
                    let cdf = 0.5 * (1 + erff(v * invSqrt2))
                    dx[i] += g[i] * (cdf + v * invSqrt2Pi * expf(-0.5 * v * v))
                }
            }
        case .tanh:
            Parallel.forEach(x.count, cost: 5) { r in
                let at = r.lowerBound
                vlm_gelu_tanh_backward_f32(isa, g + at, xp + at, dx + at, r.count)
            }
        }
    }
}

/// QuickGELU (`quick_gelu`, CLIP's and Qwen2-VL's vision MLP): x · σ(1.702 x).
public enum QuickGELU {
    public static func forward(_ x: Tensor, into out: Tensor) {
        precondition(out.count == x.count, "quick_gelu shapes: \(x.shape) → \(out.shape)")
        let xp = x.data, o = out.data, isa = vlm_isa_best()
        Parallel.forEach(x.count, cost: 4) { r in vlm_quick_gelu_f32(isa, xp + r.lowerBound, o + r.lowerBound, r.count) }
    }

    /// Accumulates dX: σ(1.702 x) (1 + 1.702 x (1 - σ(1.702 x))).
    public static func backward(_ dOut: Tensor, x: Tensor, dX: Tensor) {
        let xp = x.data, g = dOut.data, dx = dX.data, isa = vlm_isa_best()
        Parallel.forEach(x.count, cost: 5) { r in
            let at = r.lowerBound
            vlm_quick_gelu_backward_f32(isa, g + at, xp + at, dx + at, r.count)
        }
    }
}
