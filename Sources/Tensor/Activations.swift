import Foundation

/// SwiGLU gating of LLaMA's MLP: out = silu(gate) ⊙ up, silu(x) = x · σ(x).
public enum SwiGLU {
    public static func forward(gate: Tensor, up: Tensor, into out: Tensor) {
        precondition(gate.count == up.count && out.count == gate.count,
                     "swiglu shapes: gate \(gate.shape), up \(up.shape), out \(out.shape)")
        let gp = gate.data, up = up.data, o = out.data
        Parallel.forEach(gate.count, cost: 20) { r in
            for i in r {
                let x = gp[i]
                o[i] = x / (1 + expf(-x)) * up[i]
            }
        }
    }

    /// Accumulates dGate and dUp.
    public static func backward(_ dOut: Tensor, gate: Tensor, up: Tensor, dGate: Tensor, dUp: Tensor) {
        let gp = gate.data, upp = up.data, g = dOut.data, dg = dGate.data, du = dUp.data
        Parallel.forEach(gate.count, cost: 25) { r in
            for i in r {
                let x = gp[i]
                let sig = 1 / (1 + expf(-x))
                du[i] += g[i] * x * sig
                dg[i] += g[i] * upp[i] * sig * (1 + x * (1 - sig))
            }
        }
    }
}

/// GELU, exact (`gelu`) or with PyTorch's tanh approximation (`gelu_pytorch_tanh`).
public enum GELU {
    public enum Approximation: String, Sendable { case none, tanh }

    static let sqrt2OverPi: Float = 0.797_884_560_802_865_4
    static let invSqrt2: Float = 0.707_106_781_186_547_5

    public static func forward(_ x: Tensor, approximation: Approximation, into out: Tensor) {
        precondition(out.count == x.count, "gelu shapes: \(x.shape) → \(out.shape)")
        let xp = x.data, o = out.data
        Parallel.forEach(x.count, cost: 20) { r in
            switch approximation {
            case .none:
                for i in r { let v = xp[i]; o[i] = 0.5 * v * (1 + erff(v * invSqrt2)) }
            case .tanh:
                // 0.5·(1 + tanh(u)) = σ(2u): one expf instead of glibc's tanhf, ~15× slower here
                for i in r {
                    let v = xp[i]
                    o[i] = v / (1 + expf(-2 * sqrt2OverPi * (v + 0.044715 * v * v * v)))
                }
            }
        }
    }

    /// Accumulates dX.
    public static func backward(_ dOut: Tensor, x: Tensor, approximation: Approximation, dX: Tensor) {
        let xp = x.data, g = dOut.data, dx = dX.data
        Parallel.forEach(x.count, cost: 25) { r in
            switch approximation {
            case .none:
                let invSqrt2Pi: Float = 0.398_942_280_401_432_7
                for i in r {
                    let v = xp[i]
                    let cdf = 0.5 * (1 + erff(v * invSqrt2))
                    dx[i] += g[i] * (cdf + v * invSqrt2Pi * expf(-0.5 * v * v))
                }
            case .tanh:
                for i in r {
                    let v = xp[i]
                    let s = 1 / (1 + expf(-2 * sqrt2OverPi * (v + 0.044715 * v * v * v)))
                    let du = sqrt2OverPi * (1 + 3 * 0.044715 * v * v)
                    dx[i] += g[i] * (s + 2 * v * s * (1 - s) * du)
                }
            }
        }
    }
}

/// QuickGELU (`quick_gelu`, CLIP's and Qwen2-VL's vision MLP): x · σ(1.702 x).
public enum QuickGELU {
    public static func forward(_ x: Tensor, into out: Tensor) {
        precondition(out.count == x.count, "quick_gelu shapes: \(x.shape) → \(out.shape)")
        let xp = x.data, o = out.data
        Parallel.forEach(x.count, cost: 20) { r in
            for i in r { let v = xp[i]; o[i] = v / (1 + expf(-1.702 * v)) }
        }
    }

    /// Accumulates dX: σ(1.702 x) (1 + 1.702 x (1 - σ(1.702 x))).
    public static func backward(_ dOut: Tensor, x: Tensor, dX: Tensor) {
        let xp = x.data, g = dOut.data, dx = dX.data
        Parallel.forEach(x.count, cost: 25) { r in
            for i in r {
                let v = xp[i], s = 1 / (1 + expf(-1.702 * v))
                dx[i] += g[i] * s * (1 + 1.702 * v * (1 - s))
            }
        }
    }
}
