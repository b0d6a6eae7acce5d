import Foundation

/// The shape of one product as `cblas_sgemm` sees it: `op(A)` m×k times `op(B)` k×n.
public struct GemmShape: Hashable, Sendable {
    public let transA: Bool, transB: Bool
    public let m: Int, n: Int, k: Int

    public init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) {
        self.transA = transA; self.transB = transB
        self.m = m; self.n = n; self.k = k
    }

    public var flop: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// The products of a stretch of work, by shape: how many calls and the seconds spent inside them
/// (summed over the threads that ran them). Benchmarks turn it on around what they measure
/// (`GemmRecording.record`); off, a product pays one load of a static.
public final class GemmRecording: @unchecked Sendable {
    public struct Tally: Sendable {
        public var calls = 0
        public var seconds = 0.0
    }

    private let lock = NSLock()
    private var tallies: [GemmShape: Tally] = [:]

    /// Set only by `record`, while no product runs.
    nonisolated(unsafe) static var active: GemmRecording?

    /// Runs `body` with every product it makes (on any thread) tallied.
    public static func record<T>(_ body: () throws -> T) rethrows -> (T, GemmRecording) {
        let recording = GemmRecording()
        active = recording
        defer { active = nil }
        return (try body(), recording)
    }

    func add(_ shape: GemmShape, seconds: Double) {
        lock.lock()
        tallies[shape, default: Tally()].calls += 1
        tallies[shape, default: Tally()].seconds += seconds
        lock.unlock()
    }

    /// The shapes, the most floating-point work first.
    public var shapes: [(shape: GemmShape, tally: Tally)] {
        lock.lock()
        defer { lock.unlock() }
        return tallies.map { ($0.key, $0.value) }.sorted { $0.0.flop * Double($0.1.calls) > $1.0.flop * Double($1.1.calls) }
    }

    /// Floating-point operations of every product recorded.
    public var flop: Double { shapes.reduce(0) { $0 + $1.shape.flop * Double($1.tally.calls) } }
    /// Thread-seconds spent inside the products.
    public var seconds: Double { shapes.reduce(0) { $0 + $1.tally.seconds } }
}
