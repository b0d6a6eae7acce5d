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

    /// One update of `values` from `gradients` at learning rate `lr`. `segments` cover the
    /// buffer, each saying whether its elements get weight decay.
    public func update(values: Tensor, gradients: Tensor, state: inout State, lr: Float, segments: [(Range<Int>, decay: Bool)]) {
        state.step += 1
        let t = Float(state.step)
        let correction1 = 1 - powf(beta1, t)
        let correction2Sqrt = (1 - powf(beta2, t)).squareRoot()
        let stepSize = lr / correction1
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let p = values.data, g = gradients.data, m = state.m.data, v = state.v.data
        for (range, decays) in segments {
            let keep = decays ? 1 - lr * weightDecay : 1
            Parallel.forEach(range.count, cost: 12) { local in
                for i in (range.lowerBound + local.lowerBound)..<(range.lowerBound + local.upperBound) {
                    p[i] *= keep
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                    p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Sqrt + eps)
                }
            }
        }
    }
}

/// Global-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`: returns the norm before
/// clipping and scales the gradients by max / (norm + 1e-6) when the norm exceeds max.
public enum GradientClipping {
    public static func clip(_ gradients: Tensor, maxNorm: Float?) -> Float {
        var sum = 0.0
        for i in 0..<gradients.count { sum += Double(gradients[i]) * Double(gradients[i]) }
        let norm = Float(sum.squareRoot())
        if let maxNorm, maxNorm > 0 {
            let coefficient = maxNorm / (norm + 1e-6)
            if coefficient < 1 {
                let g = gradients.data
                Parallel.forEach(gradients.count) { r in for i in r { g[i] *= coefficient } }
            }
        }
        return norm
    }
}
