/// What backward needs of each layer of a pass, handed back one layer at a time, last first, so
/// that each layer's activations go as soon as its backward has run: a pass that held them all
/// until the end of backward kept every layer's and the backward's own buffers at once.
final class LayerActivations<Saved>: @unchecked Sendable {
    private var saved: [Saved]

    init(_ saved: [Saved]) { self.saved = saved }

    /// The last layer's, no longer held here. Backward runs once per pass.
    func takeLast() -> Saved {
        guard let last = saved.popLast() else {
            preconditionFailure("backward over a pass that kept no activations (training: false) or that backward used already")
        }
        return last
    }
}
