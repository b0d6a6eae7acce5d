import CKernels
import Foundation
import Tensor

/// AdamW as PyTorch's `torch.optim.AdamW` computes it: decoupled weight decay, then Adam with
/// bias correction. Moments live in flat buffers laid out like the parameters, so an update is
/// one pass; `decays` marks which elements get weight decay (transformers' Trainer exempts
/// biases and norm weights).
public struct AdamW: Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float = 0

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// The moments and step count: everything an update needs besides the parameters.
    public struct State: Sendable {
        public var m: Tensor
        public var v: Tensor
        public var step: Int

        public init(count: Int) {
            m = Tensor(shape: [count])
            v = Tensor(shape: [count])
            step = 0
        }
    }

    /// One update of `values` from `gradients` × `gradientScale` (the clipping's coefficient) at
    /// learning rate `lr`. `segments` cover the buffer, each saying whether its elements get
    /// weight decay.
    public func update(values: Tensor, gradients: Tensor, gradientScale: Float = 1, state: inout State, lr: Float,
                       segments: [(Range<Int>, decay: Bool)]) {
        state.step += 1
        let t = Float(state.step)
        let correction1 = 1 - powf(beta1, t)
        let correction2Sqrt = (1 - powf(beta2, t)).squareRoot()
        let stepSize = lr / correction1
        let p = values.data, g = gradients.data, m = state.m.data, v = state.v.data, isa = vlm_isa_best()
        for (range, decays) in segments {
            let step = vlm_adamw_step(gradient_scale: gradientScale, keep: decays ? 1 - lr * weightDecay : 1, beta1: beta1,
                                      beta2: beta2, step_size: stepSize, correction2_sqrt: correction2Sqrt, epsilon: epsilon)
            Parallel.forEach(range.count, cost: 4) { local in
                let at = range.lowerBound + local.lowerBound
                withUnsafePointer(to: step) { vlm_adamw_f32(isa, p + at, g + at, m + at, v + at, local.count, $0) }
            }
        }
    }
}

/// Global-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`: the gradients' norm, and
/// the factor max / (norm + 1e-6) they are multiplied by when it is below 1 (AdamW applies it
/// as it reads them, so clipping takes no pass of its own).
public enum GradientClipping {
    /// The global L2 norm, summed in Float64 by fixed blocks: the same bits under any thread count.
    public static func norm(_ gradients: Tensor) -> Float {
        let block = 1 << 16, count = gradients.count, g = gradients.data
        let blocks = (count + block - 1) / block
        var sums = [Double](repeating: 0, count: blocks)
        sums.withUnsafeMutableBufferPointer { sums in
            Parallel.forEach(blocks, cost: block) { range in
                for b in range {
                    var lanes = SIMD8<Double>()
                    var i = b * block
                    let end = min(count, i + block)
                    while i + 8 <= end {
                        let x = SIMD8<Double>(SIMD8<Float>(UnsafeBufferPointer(start: g + i, count: 8)))
                        lanes += x * x
                        i += 8
                    }
                    var sum = lanes.sum()
                    while i < end { sum += Double(g[i]) * Double(g[i]); i += 1 }
                    sums[b] = sum
                }
            }
        }
        return Float(sums.reduce(0, +).squareRoot())
    }

    /// What the gradients are multiplied by: max / (norm + 1e-6) when that is below 1, else 1.
    public static func coefficient(norm: Float, maxNorm: Float?) -> Float {
        guard let maxNorm, maxNorm > 0 else { return 1 }
        return min(1, maxNorm / (norm + 1e-6))
    }
}
