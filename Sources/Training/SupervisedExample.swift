import Foundation
import Tensor
import VLM

/// One supervised sequence, tokenized: its tokens (image placeholders expanded), the ranges of
/// tokens that are learned (a completion, or every assistant turn of a conversation), and its
/// images as processed tiles. Each learned token is predicted from the position before it.
///
/// Examples that share a prefix (the same image and the start of the prompt) can be one
/// sequence: the prefix once, then each example's rest as a branch that sees the prefix and
/// itself only, at the positions it would have alone (`branchStarts`, the first at the prefix's
/// end). Its loss and gradients are those of the examples trained apart in one batch.
public struct SupervisedExample: Sendable, ImageInputs {
    public var tokens: [Int32]
    public var learned: [Range<Int>]
    public var images: ImageBatch?
    public var imageKeys: [String]
    public var branchStarts: [Int]

    public init(tokens: [Int32], learned: [Range<Int>], images: ImageBatch?, imageKeys: [String] = [], branchStarts: [Int] = []) {
        self.tokens = tokens
        self.learned = learned
        self.images = images
        self.imageKeys = imageKeys
        self.branchStarts = branchStarts
    }

    /// Where the shared prefix ends (the whole sequence when there are no branches).
    var prefix: Int { branchStarts.first ?? tokens.count }

    /// Runs of consecutive examples with the same images, at most `limit` to a run, each run as
    /// one sequence with branches. The prefix is the longest common start that ends before
    /// every learned token; examples without images, or with a single branch, stay as they are,
    /// and so do runs whose prefix ends before their last image token (`imageToken`), as when
    /// the question comes before the image: the image must be in the part they share.
    public static func sharingImagePrefixes(_ examples: [SupervisedExample], imageToken: Int32, limit: Int = 8) -> [SupervisedExample] {
        var out: [SupervisedExample] = [], run: [SupervisedExample] = []
        func flush() {
            defer { run = [] }
            var p = run.map { $0.learned.map(\.lowerBound).min() ?? $0.tokens.count }.min() ?? 0
            for example in run.dropFirst() {
                p = min(p, zip(run[0].tokens, example.tokens).prefix(while: { $0 == $1 }).count)
            }
            guard run.count > 1, p > 0, run.allSatisfy({ !$0.tokens[p...].contains(imageToken) }) else { out += run; return }
            var merged = SupervisedExample(tokens: Array(run[0].tokens[..<p]), learned: [], images: run[0].images,
                                           imageKeys: run[0].imageKeys)
            for example in run {
                let shift = merged.tokens.count - p
                merged.branchStarts.append(merged.tokens.count)
                merged.tokens += example.tokens[p...]
                merged.learned += example.learned.map { ($0.lowerBound + shift)..<($0.upperBound + shift) }
            }
            out.append(merged)
        }
        for example in examples {
            let packable = example.branchStarts.isEmpty && !example.imageKeys.isEmpty
            let joins = packable && run.count < limit && run.first.map { $0.imageKeys == example.imageKeys } == true
            if !joins { flush() }
            if packable { run.append(example) } else { out.append(example) }
        }
        flush()
        return out
    }
}

/// Examples packed one per batch row, right-padded, with a causal mask (and the rows' branches);
/// only the positions that predict a learned token go through the LM head.
struct PackedExamples {
    let batch: TextBatch
    let images: ImageBatch?
    /// Rows of the LM head (batch row × length + position) and the token each predicts.
    let rows: [Int]
    let targets: [Int32]

    init(_ examples: [SupervisedExample], padToken: Int32) throws {
        let length = examples.map(\.tokens.count).max() ?? 0
        var tokens: [Int32] = [], positions: [Int32] = [], keyMask: [Float] = [], rows: [Int] = [], targets: [Int32] = []
        var layouts: [BranchLayout] = []
        for (b, example) in examples.enumerated() {
            let n = example.tokens.count, padding = length - n, p = example.prefix
            let starts = example.branchStarts.isEmpty ? [n] : example.branchStarts
            // a branch's token t sits at p + (t - its start), as if the branch followed the prefix alone
            let branchStart = (0..<n).map { t in t < p ? 0 : starts.last { $0 <= t }! }
            tokens += example.tokens + [Int32](repeating: padToken, count: padding)
            positions += (0..<n).map { t in Int32(t < p ? t : p + t - branchStart[t]) } + [Int32](repeating: 0, count: padding)
            keyMask += [Float](repeating: 1, count: n) + [Float](repeating: 0, count: padding)
            layouts.append(BranchLayout(prefix: p, branchStarts: starts))
            for range in example.learned {
                guard range.lowerBound > 0, range.upperBound <= n else {
                    throw TrainingError("learned tokens \(range) outside 1..<\(n): nothing predicts a sequence's first token")
                }
                for t in range {
                    // a branch's first token is predicted from the prefix's last
                    rows.append(b * length + (t >= p && t == branchStart[t] ? p - 1 : t - 1))
                    targets.append(example.tokens[t])
                }
            }
        }
        let branched = examples.contains { !$0.branchStarts.isEmpty }
        batch = TextBatch(tokens: tokens, batch: examples.count, length: length, positions: positions,
                          mask: TextAttentionMask(keyMask: Tensor(shape: [examples.count, length], values: keyMask),
                                                  branches: branched ? layouts : nil))
        images = try ImageBatch.concatenate(examples.compactMap(\.images))
        self.rows = rows
        self.targets = targets
    }
}
