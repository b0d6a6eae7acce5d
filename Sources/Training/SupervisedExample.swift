import Foundation
import Tensor
import VLM

/// One supervised sequence, tokenized: its tokens (image placeholders expanded), the ranges of
/// tokens that are learned (a completion, or every assistant turn of a conversation), and its
/// images as processed tiles. Each learned token is predicted from the position before it.
public struct SupervisedExample: Sendable, ImageInputs {
    public var tokens: [Int32]
    public var learned: [Range<Int>]
    public var images: ImageBatch?
    public var imageKeys: [String]

    public init(tokens: [Int32], learned: [Range<Int>], images: ImageBatch?, imageKeys: [String] = []) {
        self.tokens = tokens
        self.learned = learned
        self.images = images
        self.imageKeys = imageKeys
    }
}

/// Examples packed one per batch row, right-padded, with a causal mask; only the positions that
/// predict a learned token go through the LM head.
struct PackedExamples {
    let batch: TextBatch
    let images: ImageBatch?
    /// Rows of the LM head (batch row × length + position) and the token each predicts.
    let rows: [Int]
    let targets: [Int32]

    init(_ examples: [SupervisedExample], padToken: Int32) throws {
        let length = examples.map(\.tokens.count).max() ?? 0
        var tokens: [Int32] = [], positions: [Int32] = [], keyMask: [Float] = [], rows: [Int] = [], targets: [Int32] = []
        for (b, example) in examples.enumerated() {
            let n = example.tokens.count, padding = length - n
            tokens += example.tokens + [Int32](repeating: padToken, count: padding)
            positions += (0..<n).map(Int32.init) + [Int32](repeating: 0, count: padding)
            keyMask += [Float](repeating: 1, count: n) + [Float](repeating: 0, count: padding)
            for range in example.learned {
                guard range.lowerBound > 0, range.upperBound <= n else {
                    throw TrainingError("learned tokens \(range) outside 1..<\(n): nothing predicts a sequence's first token")
                }
                for t in range {
                    rows.append(b * length + t - 1)
                    targets.append(example.tokens[t])
                }
            }
        }
        batch = TextBatch(tokens: tokens, batch: examples.count, length: length, positions: positions,
                          mask: TextAttentionMask(keyMask: Tensor(shape: [examples.count, length], values: keyMask)))
        images = try ImageBatch.concatenate(examples.compactMap(\.images))
        self.rows = rows
        self.targets = targets
    }
}
