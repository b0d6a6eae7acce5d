import Tensor

/// Named fp32 parameters in one contiguous buffer, with their gradients (when trained) in a
/// second buffer of the same layout: an optimizer update is one pass over memory, and the
/// model's layers hold views into these buffers under their checkpoint names.
public final class ParameterSet: @unchecked Sendable {
    public struct Spec: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public init(_ name: String, _ shape: [Int]) {
            self.name = name
            self.shape = shape
        }
        public var count: Int { shape.reduce(1, *) }
    }

    public let specs: [Spec]
    public let values: Tensor
    public private(set) var gradients: Tensor?
    public let offsets: [Int]
    private let index: [String: Int]
    private var valueViews: [Tensor]
    private var gradientViews: [Tensor] = []
    /// Parameters that keep no gradient (and that an optimizer leaves alone).
    public private(set) var frozen = Set<String>()

    public init(_ specs: [Spec]) {
        var offsets: [Int] = [], total = 0, index: [String: Int] = [:]
        for (i, spec) in specs.enumerated() {
            precondition(index[spec.name] == nil, "parameter \(spec.name) declared twice")
            index[spec.name] = i
            offsets.append(total)
            total += spec.count
        }
        self.specs = specs
        self.offsets = offsets
        self.index = index
        let values = Tensor(shape: [total])
        self.values = values
        valueViews = zip(specs, offsets).map { Tensor(viewing: values, offset: $1, shape: $0.shape) }
    }

    public var count: Int { values.count }
    public var names: [String] { specs.map(\.name) }
    public func contains(_ name: String) -> Bool { index[name] != nil }

    public subscript(name: String) -> Tensor {
        guard let i = index[name] else { preconditionFailure("no parameter named \(name)") }
        return valueViews[i]
    }

    /// The gradient of a parameter; nil until `enableGradients()`, and for frozen parameters.
    public func gradient(_ name: String) -> Tensor? {
        guard gradients != nil, let i = index[name], !frozen.contains(name) else { return nil }
        return gradientViews[i]
    }

    /// Gives every parameter a gradient, except those `frozen` names.
    public func enableGradients(frozen isFrozen: (String) -> Bool = { _ in false }) {
        frozen = Set(specs.map(\.name).filter(isFrozen))
        guard gradients == nil else { return }
        let g = Tensor(shape: [values.count])
        gradients = g
        gradientViews = zip(specs, offsets).map { Tensor(viewing: g, offset: $1, shape: $0.shape) }
    }

    public func zeroGradients() { gradients?.zero() }
}
