import Foundation
import Tensor
import VLM

/// One preference pair, tokenized: the shared prompt (image placeholders expanded), the two
/// completions, and the prompt's images as processed tiles.
public struct PreferencePair: Sendable, ImageInputs {
    public var prompt: [Int32]
    public var chosen: [Int32]
    public var rejected: [Int32]
    public var images: ImageBatch?
    /// Content hashes of the images, in order (keys of the vision-feature cache).
    public var imageKeys: [String]

    public init(prompt: [Int32], chosen: [Int32], rejected: [Int32], images: ImageBatch?, imageKeys: [String] = []) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
        self.images = images
        self.imageKeys = imageKeys
    }
}

/// Pairs packed one per batch row as [prompt | chosen | rejected]: the prompt and its image are
/// encoded once for both answers (each answer attends to the prompt and to itself), and only
/// the completion tokens go through the LM head.
public struct PackedPairs {
    public let batch: TextBatch
    public let images: ImageBatch?
    /// Rows of the LM head and the token each predicts: all chosen tokens of all pairs, then all
    /// rejected tokens, pair by pair.
    public let rows: [Int]
    public let targets: [Int32]
    /// For each pair, its range in `rows` for the chosen and for the rejected completion.
    public let chosenRanges: [Range<Int>]
    public let rejectedRanges: [Range<Int>]

    public init(_ pairs: [PreferencePair], padToken: Int32) throws {
        let length = pairs.map { $0.prompt.count + $0.chosen.count + $0.rejected.count }.max() ?? 0
        var tokens: [Int32] = [], positions: [Int32] = [], keyMask: [Float] = [], layouts: [BranchLayout] = []
        var rows: [Int] = [], targets: [Int32] = [], chosenRanges: [Range<Int>] = [], rejectedRanges: [Range<Int>] = []
        for (b, pair) in pairs.enumerated() {
            let p = pair.prompt.count, c = pair.chosen.count, r = pair.rejected.count
            guard p > 0 else { throw TrainingError("a preference pair has an empty prompt: nothing predicts its first token") }
            let real = p + c + r
            tokens += pair.prompt + pair.chosen + pair.rejected + [Int32](repeating: padToken, count: length - real)
            positions += (0..<(p + c)).map(Int32.init) + (p..<(p + r)).map(Int32.init) + [Int32](repeating: 0, count: length - real)
            keyMask += [Float](repeating: 1, count: real) + [Float](repeating: 0, count: length - real)
            layouts.append(BranchLayout(prefix: p, branchStarts: [p, p + c]))
            let base = b * length
            let start = rows.count
            for k in 0..<c {
                rows.append(base + (k == 0 ? p - 1 : p + k - 1))
                targets.append(pair.chosen[k])
            }
            chosenRanges.append(start..<rows.count)
            let rStart = rows.count
            for k in 0..<r {
                rows.append(base + (k == 0 ? p - 1 : p + c + k - 1))
                targets.append(pair.rejected[k])
            }
            rejectedRanges.append(rStart..<rows.count)
        }
        let mask = TextAttentionMask(keyMask: Tensor(shape: [pairs.count, length], values: keyMask), branches: layouts)
        batch = TextBatch(tokens: tokens, batch: pairs.count, length: length, positions: positions, mask: mask)
        images = try ImageBatch.concatenate(pairs.compactMap(\.images))
        self.rows = rows
        self.targets = targets
        self.chosenRanges = chosenRanges
        self.rejectedRanges = rejectedRanges
    }
}

public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
