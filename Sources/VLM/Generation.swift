import Foundation
import Interchange
import Tensor

/// How to pick each next token.
public struct SamplingSettings: Sendable, Equatable {
    /// 0 picks the most likely token (greedy).
    public var temperature: Float = 0
    public var topK = 0
    public var topP: Float = 1
    public var seed: UInt64 = 0
    public var maxNewTokens = 64
    /// Generation of a prompt ends after any of these (EOS, `<end_of_utterance>`).
    public var stopTokens: Set<Int32> = []

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0,
                maxNewTokens: Int = 64, stopTokens: Set<Int32> = []) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.maxNewTokens = maxNewTokens
        self.stopTokens = stopTokens
    }
}

/// One prompt to continue: its tokens (image placeholders expanded) and its images' tiles.
public struct GenerationPrompt: Sendable {
    public var tokens: [Int32]
    public var images: ImageBatch?

    public init(tokens: [Int32], images: ImageBatch? = nil) {
        self.tokens = tokens
        self.images = images
    }
}

public enum Generator {
    /// Continues every prompt in one batch (left-padded), with a key-value cache per layer:
    /// the prompts are encoded once, then each step runs one token per row. Returns the new
    /// tokens of each prompt, ending with its stop token when one was produced. `onStep` hears
    /// the number of steps done after each (the first is the prompts' encoding).
    public static func generate(
        _ model: any VisionLanguageModel, prompts: [GenerationPrompt], settings: SamplingSettings, padToken: Int32 = 0,
        onStep: (Int) -> Void = { _ in }
    ) throws -> [[Int32]] {
        guard !prompts.isEmpty else { return [] }
        let b = prompts.count, length = prompts.map(\.tokens.count).max()!
        let caches = model.makeCaches(batch: b, capacity: length + settings.maxNewTokens)
        // left padding; positions count real tokens only, as transformers' generate does
        var tokens: [Int32] = [], positions: [Int32] = [], keyMask: [[Float]] = []
        for p in prompts {
            let pad = length - p.tokens.count
            tokens += [Int32](repeating: padToken, count: pad) + p.tokens
            positions += [Int32](repeating: 1, count: pad) + (0..<p.tokens.count).map(Int32.init)
            keyMask.append([Float](repeating: 0, count: pad) + [Float](repeating: 1, count: p.tokens.count))
        }
        let images = try ImageBatch.concatenate(prompts.compactMap(\.images))
        var rng = SeededGenerator(seed: settings.seed)
        var next = try step(model, tokens: tokens, batch: b, length: length, positions: positions,
                            keyMask: keyMask, images: images, caches: caches, settings: settings, rng: &rng)
        var outputs = [[Int32]](repeating: [], count: b)
        var done = [Bool](repeating: false, count: b)
        var lastPosition = (0..<b).map { Int32(prompts[$0].tokens.count - 1) }
        onStep(1)
        for steps in 1..<(settings.maxNewTokens + 1) {
            for row in 0..<b where !done[row] {
                outputs[row].append(next[row])
                if settings.stopTokens.contains(next[row]) || outputs[row].count == settings.maxNewTokens { done[row] = true }
            }
            if done.allSatisfy({ $0 }) { break }
            lastPosition = lastPosition.map { $0 + 1 }
            keyMask = keyMask.map { $0 + [1] }
            next = try step(model, tokens: next.enumerated().map { done[$0.offset] ? padToken : $0.element }, batch: b, length: 1,
                            positions: lastPosition, keyMask: keyMask, images: nil, caches: caches, settings: settings, rng: &rng)
            onStep(steps + 1)
        }
        return outputs
    }

    /// Runs `length` new tokens per row through the cache and picks each row's next token.
    private static func step(
        _ model: any VisionLanguageModel, tokens: [Int32], batch: Int, length: Int, positions: [Int32], keyMask: [[Float]],
        images: ImageBatch?, caches: [KVCache], settings: SamplingSettings, rng: inout SeededGenerator
    ) throws -> [Int32] {
        let mask = TextAttentionMask(keyMask: Tensor(shape: [batch, keyMask[0].count], values: keyMask.flatMap { $0 }))
        var unused = SeededGenerator(seed: 0)
        let pass = try model.forward(TextBatch(tokens: tokens, batch: batch, length: length, positions: positions, mask: mask),
                                     images: images, visionOut: nil, caches: caches, training: false, rng: &unused)
        let logits = model.logits(pass, rows: (0..<batch).map { $0 * length + length - 1 })
        // a placeholder for image features is never an answer: encoded again, it would expect features
        let v = logits.dim(1), image = Int(model.imageTokenId)
        if image >= 0 && image < v { for row in 0..<batch { logits[row * v + image] = -.infinity } }
        guard settings.temperature > 0 else {
            return (0..<batch).map { sample(logits.data + $0 * v, vocab: v, settings: settings, rng: &rng) }
        }
        // the rows' distributions in parallel (a sort of the vocabulary each), then the draws in
        // row order from the one generator, as one row at a time would draw them
        var kept = [[(id: Int32, logit: Float, probability: Double)]](repeating: [], count: batch)
        kept.withUnsafeMutableBufferPointer { kept in
            Parallel.forEach(batch, cost: v * 64) { rows in
                for row in rows { kept[row] = distribution(logits.data + row * v, vocab: v, settings: settings) }
            }
        }
        return kept.map { draw(from: $0, rng: &rng) }
    }

    /// Greedy, or a draw from `distribution`.
    static func sample(_ logits: UnsafeMutablePointer<Float>, vocab: Int, settings: SamplingSettings, rng: inout SeededGenerator) -> Int32 {
        if settings.temperature <= 0 {
            var best = 0
            for j in 1..<vocab where logits[j] > logits[best] { best = j }
            return Int32(best)
        }
        return draw(from: distribution(logits, vocab: vocab, settings: settings), rng: &rng)
    }

    /// The token a uniform draw lands on, walking the kept tokens most likely first.
    static func draw(from kept: [(id: Int32, logit: Float, probability: Double)], rng: inout SeededGenerator) -> Int32 {
        var u = Double.random(in: 0..<1, using: &rng)
        for token in kept {
            u -= token.probability
            if u < 0 { return token.id }
        }
        return kept[kept.count - 1].id
    }

    /// What sampling (temperature > 0) draws from: the warpers transformers' generate() applies,
    /// in its order — logits / temperature; top-k keeping every token equal to the k-th largest
    /// (TopKLogitsWarper); top-p keeping each token whose more likely tokens hold less than
    /// top_p (TopPLogitsWarper) — then softmax. The kept tokens, most likely first (ties by id),
    /// each with its scaled logit and probability.
    static func distribution(
        _ logits: UnsafePointer<Float>, vocab: Int, settings: SamplingSettings
    ) -> [(id: Int32, logit: Float, probability: Double)] {
        // a -inf token (the image placeholder) has probability 0 under every warper; each token
        // as its id below an integer that orders as -logit does
        var packed: [UInt64] = []
        packed.reserveCapacity(vocab)
        for j in 0..<vocab {
            let logit = logits[j] / settings.temperature + 0  // + 0 makes -0 equal +0, as == does
            guard logit > -.infinity else { continue }
            let bits = logit.bitPattern
            packed.append(UInt64(bits & 0x8000_0000 != 0 ? bits : ~bits & 0x7fff_ffff) << 32 | UInt64(j))
        }
        precondition(!packed.isEmpty, "no token to sample: every logit is -inf")
        sortByUpperHalf(&packed)
        func id(_ i: Int) -> Int32 { Int32(truncatingIfNeeded: packed[i]) }
        func logit(_ i: Int) -> Float { logits[Int(id(i))] / settings.temperature }
        var count = packed.count
        if settings.topK > 0 && settings.topK < count {
            let kth = logit(settings.topK - 1)
            count = (settings.topK..<count).first { logit($0) < kth } ?? count
        }
        let maxLogit = logit(0)
        var kept: [(id: Int32, logit: Float, probability: Double)] = []
        kept.reserveCapacity(count)
        var total = 0.0
        for i in 0..<count {
            let l = logit(i), p = Double(exp(l - maxLogit))
            total += p
            kept.append((id: id(i), logit: l, probability: p))
        }
        for i in kept.indices { kept[i].probability /= total }
        if settings.topP < 1 {
            // the smallest prefix whose mass reaches top_p (at least one token)
            var mass = 0.0, keep = 0
            while keep < kept.count && mass < Double(settings.topP) {
                mass += kept[keep].probability
                keep += 1
            }
            keep = max(keep, 1)
            kept.removeLast(kept.count - keep)
            let prefix = kept.reduce(0) { $0 + $1.probability }
            for i in kept.indices { kept[i].probability /= prefix }
        }
        return kept
    }

    /// Sorts stably by the upper 32 bits, in three passes of 11 bits (a 2048-bucket histogram
    /// stays in the first-level cache): the tokens most likely first and equal logits by id, at
    /// a few times the speed of a comparison sort over a 49k or 152k vocabulary (it was a
    /// quarter of a batch's decoding step).
    static func sortByUpperHalf(_ values: inout [UInt64]) {
        var spare = values
        values.withUnsafeMutableBufferPointer { first in spare.withUnsafeMutableBufferPointer { second in
            var (from, to) = (first, second)
            var starts = [Int](repeating: 0, count: 2049)
            for shift in [UInt64(32), 43, 54] {
                for b in starts.indices { starts[b] = 0 }
                for value in from { starts[Int((value >> shift) & 0x7ff) + 1] += 1 }
                for b in 0..<2048 { starts[b + 1] += starts[b] }
                for value in from {
                    let b = Int((value >> shift) & 0x7ff)
                    to[starts[b]] = value
                    starts[b] += 1
                }
                swap(&from, &to)
            }
        } }
        // three passes end in the spare array
        swap(&values, &spare)
    }
}
