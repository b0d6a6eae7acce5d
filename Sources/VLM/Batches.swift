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

/// Preprocessed images (tiles): pixels [N, C, S, S] and which patches are real [N, patches].
public struct ImageBatch: Sendable {
    public var pixels: Tensor
    public var patchMask: Tensor

    public init(pixels: Tensor, patchMask: Tensor) {
        self.pixels = pixels
        self.patchMask = patchMask
    }
}

extension ImageBatch {
    /// The tiles of several batches, in order (the order of their image tokens).
    public static func concatenate(_ batches: [ImageBatch]) throws -> ImageBatch? {
        guard let first = batches.first else { return nil }
        let tile = Array(first.pixels.shape.dropFirst()), patches = first.patchMask.dim(1)
        let n = batches.map { $0.pixels.dim(0) }.reduce(0, +)
        let pixels = Tensor(shape: [n] + tile), mask = Tensor(shape: [n, patches])
        var offset = 0, maskOffset = 0
        for b in batches {
            guard Array(b.pixels.shape.dropFirst()) == tile else {
                throw ModelError(file: "input", "images of one batch must share a tile size: \(tile) and \(Array(b.pixels.shape.dropFirst()))")
            }
            (pixels.data + offset).update(from: b.pixels.data, count: b.pixels.count)
            (mask.data + maskOffset).update(from: b.patchMask.data, count: b.patchMask.count)
            offset += b.pixels.count
            maskOffset += b.patchMask.count
        }
        return ImageBatch(pixels: pixels, patchMask: mask)
    }
}
