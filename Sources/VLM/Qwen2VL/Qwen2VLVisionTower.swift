import Interchange
import Tensor

/// The vision tower of Qwen2-VL / Qwen2.5-VL (`model.visual`, without its merger): the 3-D
/// patch embedding as one GEMM over the flattened patches, 2-D rotary positions, and the
/// blocks, attending within each image (Qwen2-VL; Qwen2.5-VL's `fullatt_block_indexes`) or
/// within windows (Qwen2.5-VL's other blocks). Images of any size go through together.
public final class Qwen2VLVisionTower: @unchecked Sendable {
    public let config: Qwen2VLVisionConfig
    let patchEmbed: LinearLayer
    let blocks: [Qwen2VLVisionBlock]

    static let prefix = "model.visual"

    enum Key {
        static let patchEmbed = "patch_embed.proj"
        static func block(_ i: Int) -> String { "blocks.\(i)" }
    }

    static func specs(_ c: Qwen2VLVisionConfig) -> [ParameterSet.Spec] {
        var specs: [ParameterSet.Spec] = [
            .init("\(prefix).\(Key.patchEmbed).weight", [c.hiddenSize, c.channels, c.temporalPatchSize, c.patchSize, c.patchSize]),
        ]
        for i in 0..<c.depth { specs += Qwen2VLVisionBlock.specs(path: "\(prefix).\(Key.block(i))", config: c, gated: c.windowSize != nil) }
        return specs
    }

    init(config: Qwen2VLVisionConfig, parameters: ParameterSet) {
        self.config = config
        patchEmbed = LinearLayer(path: "\(Self.prefix).\(Key.patchEmbed)", parameters: parameters, bias: false)
        blocks = (0..<config.depth).map {
            Qwen2VLVisionBlock(path: "\(Self.prefix).\(Key.block($0))", config: config, gated: config.windowSize != nil, parameters: parameters)
        }
    }

    /// Where the rows go for one batch of images: the order the blocks see them in (window
    /// order for Qwen2.5-VL, else as given), the rotary table in that order, and each block's
    /// attention groups.
    struct Layout {
        let order: [Int]?
        let rotary: RotaryTable
        let groups: [[Range<Int>]]
    }

    func layout(_ grids: [ImageGrid]) -> Layout {
        let c = config, half = c.headDim / 2
        var angles = Qwen2VLPositions.visionAngles(grids, headDim: c.headDim, theta: c.ropeTheta, merge: c.spatialMergeSize)
        let images = Qwen2VLPositions.imageSegments(grids)
        guard let window = c.windowSize else {
            return Layout(order: nil, rotary: RotaryTable(angles: angles, count: angles.count / half, half: half),
                          groups: blocks.map { _ in images })
        }
        let (order, windows) = Qwen2VLPositions.windows(grids, window: window, patchSize: c.patchSize, merge: c.spatialMergeSize)
        angles = order.flatMap { angles[($0 * half)..<(($0 + 1) * half)] }
        // windows never cross images, so every image's rows stay together in window order
        return Layout(order: order, rotary: RotaryTable(angles: angles, count: order.count, half: half),
                      groups: (0..<c.depth).map { c.fullAttentionBlocks.contains($0) ? images : windows })
    }

    public struct Saved {
        let layout: Layout
        let embed: LinearLayer.Saved
        let blocks: LayerActivations<Qwen2VLVisionBlock.Saved>
    }

    /// patches [S, C·T·P·P] of the images of `grids` → [S, D], rows in the patches' order.
    func forward(patches: Tensor, grids: [ImageGrid], training: Bool, rng: inout SeededGenerator) -> (Tensor, Saved) {
        let layout = layout(grids)
        let input = layout.order.map { patches.gatheringRows($0) } ?? patches
        var (h, embedSaved) = patchEmbed.forward(input, training: training, rng: &rng)
        var saved: [Qwen2VLVisionBlock.Saved] = []
        // the tables of the blocks whose groups are long enough to keep them (full attention
        // over whole images rather than windows): a block's choice, within the pass's memory
        let longest = layout.groups.map { $0.map(\.count).max() ?? 0 }
        let heads = blocks.first?.attention.heads ?? 0
        let floats = zip(layout.groups, longest).reduce(0) { sum, block in
            block.1 < AttentionTables.minimumTokens ? sum : block.0.reduce(sum) { $0 + heads * $1.count * $1.count }
        }
        for (i, (block, groups)) in zip(blocks, layout.groups).enumerated() {
            let keep = AttentionTables.kept(tokens: longest[i], passFloats: floats, training: training)
            let (out, s) = block.forward(h, rotary: layout.rotary, groups: groups, training: training,
                                         keepingTables: keep, rng: &rng)
            if training { saved.append(s) }  // inference lets each block's activations go
            h = out
        }
        let out = layout.order.map { Self.scatter(h, rows: $0) } ?? h
        return (out, Saved(layout: layout, embed: embedSaved, blocks: LayerActivations(saved)))
    }

    /// Accumulates the tower's gradients from dOut [S, D] (rows in the patches' order).
    func backward(_ dOut: Tensor, saved: Saved) {
        var dH = saved.layout.order.map { dOut.gatheringRows($0) } ?? dOut
        for (block, groups) in zip(blocks, saved.layout.groups).reversed() {
            dH = block.backward(dH, saved: saved.blocks.takeLast(), rotary: saved.layout.rotary, groups: groups)
        }
        if patchEmbed.dWeight != nil || patchEmbed.lora != nil { patchEmbed.backward(dH, saved: saved.embed, dX: nil) }
    }

    /// Row i of x as row `rows[i]`: the inverse of `gatheringRows`.
    static func scatter(_ x: Tensor, rows: [Int]) -> Tensor {
        let d = x.dim(-1), out = Tensor(shape: [rows.count, d])
        for (i, r) in rows.enumerated() { (out.data + r * d).update(from: x.data + i * d, count: d) }
        return out
    }

    public var isTrainable: Bool { patchEmbed.dWeight != nil || blocks.contains { $0.isTrainable } }
}

/// The patch merger (`model.visual.merger`), Qwen2-VL's connector: norm each patch (LayerNorm,
/// Qwen2.5-VL RMSNorm), concatenate each 2×2 group's four, then mlp.2(GELU(mlp.0(·))).
final class Qwen2VLMerger: @unchecked Sendable {
    let norm: Qwen2VLNorm
    let fc1: LinearLayer, fc2: LinearLayer
    let unit: Int

    static let prefix = "model.visual.merger"

    static func specs(_ c: Qwen2VLVisionConfig) -> [ParameterSet.Spec] {
        let wide = c.hiddenSize * c.mergeUnit
        return Qwen2VLNorm.specs(path: "\(prefix).ln_q", width: c.hiddenSize, rms: c.windowSize != nil) + [
            .init("\(prefix).mlp.0.weight", [wide, wide]), .init("\(prefix).mlp.0.bias", [wide]),
            .init("\(prefix).mlp.2.weight", [c.outHiddenSize, wide]), .init("\(prefix).mlp.2.bias", [c.outHiddenSize]),
        ]
    }

    init(config: Qwen2VLVisionConfig, parameters: ParameterSet) {
        norm = Qwen2VLNorm(path: "\(Self.prefix).ln_q", rms: config.windowSize != nil, parameters: parameters)
        fc1 = LinearLayer(path: "\(Self.prefix).mlp.0", parameters: parameters, bias: true)
        fc2 = LinearLayer(path: "\(Self.prefix).mlp.2", parameters: parameters, bias: true)
        unit = config.mergeUnit
    }

    var linears: [LinearLayer] { [fc1, fc2] }

    struct Saved { let norm: Qwen2VLNorm.Saved, fc1: LinearLayer.Saved, fc2: LinearLayer.Saved, hidden: Tensor }

    /// [S, Dv] → [S / 4, D].
    func forward(_ x: Tensor, training: Bool, rng: inout SeededGenerator) -> (Tensor, Saved) {
        let (normed, normSaved) = norm.forward(x)
        let grouped = normed.reshapedView([x.dim(0) / unit, x.dim(1) * unit])
        let (hidden, fc1Saved) = fc1.forward(grouped, training: training, rng: &rng)
        let act = Tensor(shape: hidden.shape)
        GELU.forward(hidden, approximation: .none, into: act)
        let (out, fc2Saved) = fc2.forward(act, training: training, rng: &rng)
        return (out, Saved(norm: normSaved, fc1: fc1Saved, fc2: fc2Saved, hidden: hidden))
    }

    /// Accumulates the merger's gradients; returns dX [S, Dv] when `wantsInput`.
    func backward(_ dOut: Tensor, saved: Saved, inputShape: [Int], wantsInput: Bool) -> Tensor? {
        let dAct = Tensor(shape: saved.hidden.shape)
        fc2.backward(dOut, saved: saved.fc2, dX: dAct)
        let dHidden = Tensor(shape: saved.hidden.shape)
        GELU.backward(dAct, x: saved.hidden, approximation: .none, dX: dHidden)
        let dGrouped = Tensor(shape: inputShape)
        fc1.backward(dHidden, saved: saved.fc1, dX: dGrouped.reshapedView([inputShape[0] / unit, inputShape[1] * unit]))
        let dX = norm.backward(dGrouped, saved: saved.norm)
        return wantsInput ? dX : nil
    }
}
