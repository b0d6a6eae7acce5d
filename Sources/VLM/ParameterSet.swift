import Tensor

/// Named fp32 parameters in one contiguous buffer, with their gradients (when trained) in a
/// second buffer of the same layout: an optimizer update is one pass over memory, and the
/// model's layers hold views into these buffers under their checkpoint names.
///
/// Frozen linear weights may instead be kept in NF4 (QLoRA's base): they are declared apart
/// (`quantizedSpecs`), take no room in the fp32 buffer, are filled by `setQuantized` as they
/// are loaded, and never have gradients.
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

    /// The fp32 parameters, in buffer order.
    public let specs: [Spec]
    public let quantizedSpecs: [Spec]
    public let values: Tensor
    public private(set) var gradients: Tensor?
    public let offsets: [Int]
    private let index: [String: Int]
    private var valueViews: [Tensor]
    private var gradientViews: [Tensor] = []
    /// Parameters that keep no gradient (and that an optimizer leaves alone).
    public private(set) var frozen = Set<String>()
    private let quantizedShapes: [String: [Int]]
    private var quantized: [String: NF4Weight] = [:]

    /// The parameters of `specs`; those named in `nf4` are NF4 weights, the rest fp32.
    public init(_ specs: [Spec], nf4: Set<String> = []) {
        let quantizedSpecs = specs.filter { nf4.contains($0.name) }
        precondition(quantizedSpecs.count == nf4.count, "NF4 parameters \(nf4.subtracting(specs.map(\.name)).sorted()) are not declared")
        let specs = specs.filter { !nf4.contains($0.name) }
        var offsets: [Int] = [], total = 0, index: [String: Int] = [:]
        for (i, spec) in specs.enumerated() {
            precondition(index[spec.name] == nil, "parameter \(spec.name) declared twice")
            index[spec.name] = i
            offsets.append(total)
            total += spec.count
        }
        self.specs = specs
        self.quantizedSpecs = quantizedSpecs
        quantizedShapes = Dictionary(uniqueKeysWithValues: quantizedSpecs.map { ($0.name, $0.shape) })
        self.offsets = offsets
        self.index = index
        let values = Tensor(shape: [total])
        self.values = values
        valueViews = zip(specs, offsets).map { Tensor(viewing: values, offset: $1, shape: $0.shape) }
    }

    public var count: Int { values.count }
    public var names: [String] { specs.map(\.name) }
    public func contains(_ name: String) -> Bool { index[name] != nil || quantizedShapes[name] != nil }

    /// The NF4 weight `name`, once set.
    public func nf4(_ name: String) -> NF4Weight? { quantized[name] }

    /// Stores the NF4 weight of a declared NF4 parameter.
    public func setQuantized(_ name: String, _ weight: NF4Weight) {
        guard let shape = quantizedShapes[name] else { preconditionFailure("\(name) is not an NF4 parameter") }
        precondition(weight.shape == shape, "NF4 weight \(weight.shape) for \(name) \(shape)")
        quantized[name] = weight
    }

    /// Bytes of parameter storage: the fp32 buffer and the NF4 weights set so far.
    public var byteCount: Int { 4 * values.count + quantized.values.reduce(0) { $0 + $1.byteCount } }

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
