import Foundation
import Tensor
import VLM

/// An auxiliary loss that puts each image token where the decoder keeps the words of what it
/// shows: the connector's output at the token, read through the LM head (`imageTokenLogits`), is
/// trained toward a distribution over words ("small", "red", "circle" a third each, or "nothing").
/// A decoder that already answers from a scene written as words then finds the same words in the
/// image (docs/shapesworld.md, "A base that sees"). SFT adds it to its loss with a weight; images
/// without targets add nothing.
public struct ImageTokenWords: Sendable {
    public struct Word: Sendable, Equatable {
        public var token: Int32
        public var probability: Float

        public init(token: Int32, probability: Float) {
            self.token = token
            self.probability = probability
        }
    }

    /// Per image (the key `SupervisedExample.imageKeys` holds for its one tile), per image token
    /// in order, the target words.
    public var targets: [String: [[Word]]]
    public var weight: Float

    public init(targets: [String: [[Word]]], weight: Float) {
        self.targets = targets
        self.weight = weight
    }

    /// The key training gives the image of a file shown as one tile.
    public static func key(of url: URL) throws -> String {
        try KeyedImage(contentsOf: url).keys(tiles: 1)[0]
    }

    struct Result {
        var loss: Double
        var tokens: Int
        /// Tokens whose most likely word is one of their target words.
        var correct: Int
        var dLogits: Tensor?
    }

    /// The mean cross-entropy between the targets and `logits` [keys.count × tokens per image,
    /// vocabulary] of the images `keys`; with `gradientScale`, also its gradient times the scale
    /// and the weight.
    func evaluate(logits: Tensor, keys: [String], gradientScale: Float?) throws -> Result {
        let v = logits.dim(1), perImage = logits.rows / max(keys.count, 1)
        var result = Result(loss: 0, tokens: 0, correct: 0, dLogits: gradientScale == nil ? nil : Tensor(shape: logits.shape))
        var rows: [(row: Int, words: [Word])] = []
        for (i, key) in keys.enumerated() {
            guard let perToken = targets[key] else { continue }
            guard perToken.count == perImage else {
                throw TrainingError("image-token words: \(perToken.count) targets for an image of \(perImage) tokens")
            }
            rows += perToken.enumerated().map { (i * perImage + $0, $1) }
        }
        guard !rows.isEmpty else { return result }
        var p = [Float](repeating: 0, count: v)  // one row's exp(x − max)
        for (row, words) in rows {
            let x = logits.data + row * v
            var m = x[0]
            for j in 1..<v where x[j] > m { m = x[j] }
            var sum: Float = 0
            for j in 0..<v { p[j] = exp(x[j] - m); sum += p[j] }
            let logSum = log(sum) + m
            for word in words { result.loss -= Double(word.probability * (x[Int(word.token)] - logSum)) }
            var best = 0
            for j in 1..<v where x[j] > x[best] { best = j }
            if words.contains(where: { Int($0.token) == best }) { result.correct += 1 }
            if let d = result.dLogits {
                // d/dx of −Σ t log softmax(x) = softmax(x) − t, for targets summing to 1
                let s = gradientScale! * weight / Float(rows.count), dst = d.data + row * v
                for j in 0..<v { dst[j] = s * p[j] / sum }
                for word in words { dst[Int(word.token)] -= s * word.probability }
            }
        }
        result.tokens = rows.count
        result.loss /= Double(rows.count)
        return result
    }
}
