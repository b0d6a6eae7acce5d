import Foundation
import Tensor
import VLM

/// The trained parameters of a run with their optimizer: gradients accumulated by backward
/// passes are clipped, applied by AdamW in one pass over the flat buffer, and zeroed.
public final class ParameterUpdater {
    public let trainable: ParameterSet
    public var optimizer: AdamW
    public var maxGradNorm: Float?
    public var state: AdamW.State

    public init(trainable: ParameterSet, optimizer: AdamW, maxGradNorm: Float?) {
        self.trainable = trainable
        self.optimizer = optimizer
        self.maxGradNorm = maxGradNorm
        state = AdamW.State(count: trainable.count)
    }

    /// Clips the accumulated gradients, updates the parameters at `lr`, zeroes the gradients;
    /// returns the norm before clipping. A non-finite norm stops before anything changes.
    public func apply(lr: Float) throws -> Float {
        guard let gradients = trainable.gradients else { throw TrainingError("no gradients to apply") }
        let norm = GradientClipping.norm(gradients)
        guard norm.isFinite else { throw TrainingError("the gradient norm is \(norm): stopping before it reaches the weights") }
        optimizer.update(values: trainable.values, gradients: gradients, gradientScale: GradientClipping.coefficient(norm: norm, maxNorm: maxGradNorm),
                         state: &state, lr: lr, segments: decaySegments)
        trainable.zeroGradients()
        return norm
    }

    /// The trained ranges of the buffer; transformers' Trainer decays every parameter except
    /// biases and norm weights. Frozen parameters are not touched at all.
    var decaySegments: [(Range<Int>, decay: Bool)] {
        zip(trainable.specs, trainable.offsets).compactMap { spec, offset in
            guard !trainable.frozen.contains(spec.name) else { return nil }
            let exempt = spec.name.hasSuffix(".bias") || spec.name.contains("norm")
            return (offset..<(offset + spec.count), decay: !exempt)
        }
    }
}
