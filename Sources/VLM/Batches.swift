import Foundation
import Tensor

/// Token ids of a batch of rows, with their positions and how they attend.
public struct TextBatch: Sendable {
    public var tokens: [Int32]          // [batch · length], row-major
    public var batch: Int
    public var length: Int
    public var positions: [Int32]       // RoPE position of each token
    public var mask: TextAttentionMask

    public init(tokens: [Int32], batch: Int, length: Int, positions: [Int32], mask: TextAttentionMask = .init()) {
        precondition(tokens.count == batch * length && positions.count == tokens.count,
                     "text batch of \(batch)×\(length) needs that many tokens and positions")
        self.tokens = tokens
        self.batch = batch
        self.length = length
        self.positions = positions
        self.mask = mask
    }
}

/// The patch grid of one image: temporal, height and width patches (Qwen2-VL's `image_grid_thw`).
public struct ImageGrid: Sendable, Equatable {
    public var t: Int, h: Int, w: Int

    public init(t: Int, h: Int, w: Int) {
        self.t = t
        self.h = h
        self.w = w
    }

    public var patches: Int { t * h * w }
}

/// Preprocessed images. Tile families (Idefics3): pixels [N, C, S, S] of N tiles and which
/// patches are real [N, patches]. Grid families (Qwen2-VL): every image's flattened patches
/// [patches, values] one after another, `grids` giving each image's patch grid, the mask all ones
/// [patches].
public struct ImageBatch: Sendable {
    public var pixels: Tensor
    public var patchMask: Tensor
    /// Each image's patch grid; empty for tile families.
    public var grids: [ImageGrid]

    public init(pixels: Tensor, patchMask: Tensor, grids: [ImageGrid] = []) {
        self.pixels = pixels
        self.patchMask = patchMask
        self.grids = grids
    }

    /// Tiles, or images of a grid family.
    public var count: Int { grids.isEmpty ? pixels.dim(0) : grids.count }

    /// The i-th tile or image alone.
    public func item(_ i: Int) -> ImageBatch { items(i..<(i + 1)) }

    /// Tiles or images `range`, in order.
    public func items(_ range: Range<Int>) -> ImageBatch {
        let (start, rows) = grids.isEmpty
            ? (range.lowerBound, range.count)
            : (grids[..<range.lowerBound].reduce(0) { $0 + $1.patches }, grids[range].reduce(0) { $0 + $1.patches })
        func slice(_ t: Tensor) -> Tensor {
            let size = t.count / max(t.dim(0), 1)
            let out = Tensor(shape: [rows] + Array(t.shape.dropFirst()))
            out.data.update(from: t.data + start * size, count: rows * size)
            return out
        }
        return ImageBatch(pixels: slice(pixels), patchMask: slice(patchMask), grids: grids.isEmpty ? [] : Array(grids[range]))
    }

    /// `encode`'s outputs over runs of whole tiles or images of about `patches` patches (at least
    /// one each), joined along their first dimension: inference through a vision tower in runs
    /// keeps each activation small enough for the allocator to reuse (a 32-image batch through
    /// SmolVLM's tower at once needs 400 MB tensors, each mapped and zeroed afresh by the kernel).
    public func encodedInRuns(ofPatches patches: Int = 2048, _ encode: (ImageBatch) -> Tensor) -> Tensor {
        let sizes = grids.isEmpty ? [Int](repeating: patchMask.dim(1), count: count) : grids.map(\.patches)
        var runs: [Range<Int>] = [], start = 0, filled = 0
        for (i, size) in sizes.enumerated() {
            if i > start && filled + size > patches {
                runs.append(start..<i)
                (start, filled) = (i, 0)
            }
            filled += size
        }
        runs.append(start..<count)
        guard runs.count > 1 else { return encode(self) }
        return Tensor.concatenated(runs.map { encode(items($0)) })
    }
}

extension ImageBatch {
    /// The tiles (or images) of several batches, in order (the order of their image tokens).
    public static func concatenate(_ batches: [ImageBatch]) throws -> ImageBatch? {
        guard let first = batches.first else { return nil }
        let tile = Array(first.pixels.shape.dropFirst()), maskRow = Array(first.patchMask.shape.dropFirst())
        let n = batches.map { $0.pixels.dim(0) }.reduce(0, +)
        let pixels = Tensor(shape: [n] + tile), mask = Tensor(shape: [n] + maskRow)
        var offset = 0, maskOffset = 0
        for b in batches {
            guard Array(b.pixels.shape.dropFirst()) == tile, Array(b.patchMask.shape.dropFirst()) == maskRow,
                  b.grids.isEmpty == first.grids.isEmpty else {
                throw ModelError(file: "input", "images of one batch must share a tile size: \(tile) and \(Array(b.pixels.shape.dropFirst()))")
            }
            (pixels.data + offset).update(from: b.pixels.data, count: b.pixels.count)
            (mask.data + maskOffset).update(from: b.patchMask.data, count: b.patchMask.count)
            offset += b.pixels.count
            maskOffset += b.patchMask.count
        }
        return ImageBatch(pixels: pixels, patchMask: mask, grids: batches.flatMap(\.grids))
    }
}
