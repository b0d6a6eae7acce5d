import Foundation

/// The loop settings shared by SFT and DPO runs, as the CLI names them.
public struct TrainingOptions: Sendable, Equatable, Codable {
    public var batchSize = 4
    public var gradientAccumulationSteps = 1
    /// Stop after this many optimizer steps; otherwise after `epochs` passes over the data.
    public var maxSteps: Int?
    public var epochs = 1
    public var learningRate: Float = 5e-6
    public var scheduler = LearningRateSchedule.Kind.constant
    public var warmupSteps = 0
    public var weightDecay: Float = 0
    public var maxGradNorm: Float? = 1
    public var seed: UInt64 = 42
    /// Visit the examples in a fresh seeded order every epoch (off: in file order).
    public var shuffle = true
    /// Write the resumable state every this many steps (and on SIGINT / SIGTERM, and at the end).
    public var saveSteps = 50
    /// Evaluate on the held-out set every this many steps (0: only at the end).
    public var evalSteps = 0

    public init() {}

    /// Optimizer steps of a run over `examples` examples.
    public func totalSteps(examples: Int) -> Int {
        if let maxSteps { return maxSteps }
        let perEpoch = (examples + batchSize * gradientAccumulationSteps - 1) / (batchSize * gradientAccumulationSteps)
        return max(1, perEpoch * epochs)
    }
}
