import Foundation

/// transformers' schedules: the learning rate of optimizer step `step` (0-based) is
/// `base · factor(step)`, with a linear warmup from 0 and then constant, linear or cosine decay
/// to 0 at `totalSteps`.
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case constant, linear, cosine }

    public var kind: Kind
    public var base: Float
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(kind: Kind, base: Float, warmupSteps: Int = 0, totalSteps: Int) {
        self.kind = kind
        self.base = base
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return base * Float(step) / Float(max(1, warmupSteps)) }
        let decaySteps = max(1, totalSteps - warmupSteps)
        let progress = Float(step - warmupSteps) / Float(decaySteps)
        switch kind {
        case .constant: return base
        case .linear: return base * max(0, Float(totalSteps - step) / Float(decaySteps))
        case .cosine: return base * max(0, 0.5 * (1 + cosf(Float.pi * progress)))
        }
    }
}
