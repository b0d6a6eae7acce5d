import Foundation
import Tensor

/// Where Qwen2-VL's tokens and patches are: the vision tower's 2-D rotary angles, the groups
/// its attention runs within (each image, or Qwen2.5-VL's windows), and the decoder's
/// multimodal RoPE (M-RoPE) positions, as transformers computes them.
enum Qwen2VLPositions {
    /// The vision rotary angles of every patch [patches · headDim/2], images in order, each
    /// image's patches in the processor's order (2×2 merge groups consecutive): the first
    /// quarter of a head's frequencies turns with the patch's row, the second with its column.
    static func visionAngles(_ grids: [ImageGrid], headDim: Int, theta: Float, merge m: Int) -> [Float] {
        let quarter = headDim / 4
        let inverse = RotaryEmbedding(headDim: headDim / 2, theta: theta).inverseFrequencies
        var angles: [Float] = []
        angles.reserveCapacity(grids.reduce(0) { $0 + $1.patches } * 2 * quarter)
        for g in grids {
            for _ in 0..<g.t {
                for bh in 0..<(g.h / m) {
                    for bw in 0..<(g.w / m) {
                        for mh in 0..<m {
                            for mw in 0..<m {
                                let (row, column) = (Float(bh * m + mh), Float(bw * m + mw))
                                for i in 0..<quarter { angles.append(row * inverse[i]) }
                                for i in 0..<quarter { angles.append(column * inverse[i]) }
                            }
                        }
                    }
                }
            }
        }
        return angles
    }

    /// Each image frame's patch rows: what full attention runs within (`cu_seqlens`).
    static func imageSegments(_ grids: [ImageGrid]) -> [Range<Int>] {
        var segments: [Range<Int>] = [], start = 0
        for g in grids {
            for _ in 0..<g.t {
                segments.append(start..<(start + g.h * g.w))
                start += g.h * g.w
            }
        }
        return segments
    }

    /// Qwen2.5-VL's `get_vision_window_index`: the patch rows in window order (merge groups of
    /// each window of `window` pixels, windows row-major, each image in turn) and the windows'
    /// row ranges in that order (`cu_window_seqlens`, empty windows dropped).
    static func windows(_ grids: [ImageGrid], window: Int, patchSize: Int, merge m: Int) -> (order: [Int], windows: [Range<Int>]) {
        let side = window / m / patchSize, unit = m * m
        var order: [Int] = [], windows: [Range<Int>] = [], groupBase = 0
        for g in grids {
            let (gh, gw) = (g.h / m, g.w / m)
            // transformers pads by a whole window when the side divides evenly; empty windows drop out
            let (rows, columns) = ((gh + side - gh % side) / side, (gw + side - gw % side) / side)
            for t in 0..<g.t {
                for wr in 0..<rows {
                    for wc in 0..<columns {
                        let start = order.count
                        for r in (wr * side)..<min(gh, (wr + 1) * side) {
                            for c in (wc * side)..<min(gw, (wc + 1) * side) {
                                let group = groupBase + (t * gh + r) * gw + c
                                order += (group * unit)..<((group + 1) * unit)
                            }
                        }
                        if order.count > start { windows.append(start..<order.count) }
                    }
                }
            }
            groupBase += g.t * gh * gw
        }
        return (order, windows)
    }

    /// M-RoPE positions (temporal, height, width) of every token of a batch, `get_rope_index`
    /// over the 1-D `positions` that the batch gives (which count every token, branches
    /// restarting after a shared prefix): an image's tokens sit at the position of its first
    /// token plus their frame, row and column in the merged grid, and every token after an
    /// image moves back by the image's tokens less the larger side of its grid. `offsets` (one
    /// per row) shifts rows that continue a cached prompt; the shifts after each row are returned.
    static func mrope(tokens: [Int32], batch: Int, length: Int, positions: [Int32], imageToken: Int32, grids: [ImageGrid],
                      merge m: Int, offsets: [Int32]?) throws -> (t: [Int32], h: [Int32], w: [Int32], offsets: [Int32]) {
        var t = [Int32](repeating: 0, count: tokens.count), h = t, w = t
        var after = [Int32](repeating: 0, count: batch)
        var image = 0
        for b in 0..<batch {
            var delta = offsets?[b] ?? 0
            var index = 0, count = 0, start: Int32 = 0, grid = ImageGrid(t: 1, h: 1, w: 1)
            for j in 0..<length {
                let i = b * length + j
                guard tokens[i] == imageToken else {
                    let p = positions[i] + delta
                    (t[i], h[i], w[i]) = (p, p, p)
                    continue
                }
                if index == count {
                    guard image < grids.count else {
                        throw ModelError(file: "input", "more image tokens in the text than the \(grids.count) images give")
                    }
                    let g = grids[image]
                    grid = ImageGrid(t: g.t, h: g.h / m, w: g.w / m)
                    (index, count, start) = (0, grid.patches, positions[i] + delta)
                    image += 1
                }
                let area = grid.h * grid.w
                t[i] = start + Int32(index / area)
                h[i] = start + Int32(index / grid.w % grid.h)
                w[i] = start + Int32(index % grid.w)
                index += 1
                if index == count { delta += Int32(max(grid.t, grid.h, grid.w) - count) }
            }
            after[b] = delta
        }
        return (t, h, w, after)
    }

    /// The decoder's rotary table: frequency i of a head turns with the temporal, height or
    /// width position by the section it falls in (`mrope_section`).
    static func mropeTable(_ p: (t: [Int32], h: [Int32], w: [Int32], offsets: [Int32]), section: [Int], headDim: Int, theta: Float) -> RotaryTable {
        let inverse = RotaryEmbedding(headDim: headDim, theta: theta).inverseFrequencies
        let half = headDim / 2, n = p.t.count
        let axis = (0..<half).map { i in i < section[0] ? 0 : i < section[0] + section[1] ? 1 : 2 }
        var angles = [Float](repeating: 0, count: n * half)
        for k in 0..<n {
            let positions = [Float(p.t[k]), Float(p.h[k]), Float(p.w[k])]
            for i in 0..<half { angles[k * half + i] = positions[axis[i]] * inverse[i] }
        }
        return RotaryTable(angles: angles, count: n, half: half)
    }
}
