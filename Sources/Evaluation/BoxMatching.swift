/// A box in pixel (or any shared) coordinates: [x1, y1, x2, y2], (x1, y1) its top-left corner.
public struct Box: Equatable, Sendable {
    public var x1: Double, y1: Double, x2: Double, y2: Double

    public init(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) {
        (self.x1, self.y1, self.x2, self.y2) = (x1, y1, x2, y2)
    }

    /// Degenerate: zero area — x2 ≤ x1 or y2 ≤ y1 (inverted corners included) or a coordinate
    /// not finite. A degenerate box overlaps nothing, itself included.
    public var isDegenerate: Bool {
        ![x1, y1, x2, y2].allSatisfy(\.isFinite) || x2 <= x1 || y2 <= y1
    }

    public var area: Double { isDegenerate ? 0 : (x2 - x1) * (y2 - y1) }

    /// The part inside an image of `width` × `height` ([0, width] × [0, height]); a box wholly
    /// outside becomes degenerate.
    public func clipped(width: Double, height: Double) -> Box {
        Box(min(max(x1, 0), width), min(max(y1, 0), height), min(max(x2, 0), width), min(max(y2, 0), height))
    }

    /// Intersection over union; 0 when either box is degenerate or they do not overlap.
    public func iou(_ other: Box) -> Double {
        guard !isDegenerate && !other.isDegenerate else { return 0 }
        let w = min(x2, other.x2) - max(x1, other.x1), h = min(y2, other.y2) - max(y1, other.y1)
        guard w > 0 && h > 0 else { return 0 }
        let intersection = w * h
        return intersection / (area + other.area - intersection)
    }
}

/// Grounding scores of predicted boxes against true boxes: each prediction matched to at most
/// one truth and the reverse, greedily by IoU — every (prediction, truth) pair with IoU ≥ the
/// threshold, highest IoU first (ties: the earlier prediction, then the earlier truth), taken
/// when neither is taken yet. A match is a true positive; an unmatched prediction a false
/// positive; an unmatched truth a false negative.
///
/// Edge cases, by rule: with an image size, boxes are clipped to the image first, so a box
/// partly outside counts by its visible part and one wholly outside is degenerate. Degenerate
/// boxes (zero area) match nothing: a degenerate prediction is a false positive, a degenerate
/// truth a false negative. Precision is 1 when there are no predictions (nothing claimed
/// wrongly), recall 1 when there are no truths (nothing missed); F1 is their harmonic mean, 0
/// when both are 0 — so no predictions and no truths score 1, 1, 1, and predictions where
/// nothing is true score precision 0, F1 0.
public struct GroundingScores: Equatable, Sendable {
    public var truePositives = 0
    public var predictions = 0
    public var truths = 0
    /// The summed IoU of the matched pairs.
    public var matchedIoU = 0.0

    public init() {}

    public var precision: Double { predictions == 0 ? 1 : Double(truePositives) / Double(predictions) }
    public var recall: Double { truths == 0 ? 1 : Double(truePositives) / Double(truths) }
    public var f1: Double { precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0 }
    /// The mean IoU of the matched pairs (0 with none).
    public var meanMatchedIoU: Double { truePositives == 0 ? 0 : matchedIoU / Double(truePositives) }

    /// Counts over several images (micro-averaged scores).
    public static func += (a: inout GroundingScores, b: GroundingScores) {
        a.truePositives += b.truePositives
        a.predictions += b.predictions
        a.truths += b.truths
        a.matchedIoU += b.matchedIoU
    }

    /// The matches of one image: (prediction index, truth index, IoU), highest IoU first.
    public static func matches(predicted: [Box], truth: [Box], threshold: Double = 0.5,
                               imageSize: (width: Double, height: Double)? = nil) -> [(prediction: Int, truth: Int, iou: Double)] {
        precondition(threshold > 0 && threshold <= 1, "the IoU threshold must be in (0, 1], got \(threshold)")
        let clip = { (b: Box) in imageSize.map { b.clipped(width: $0.width, height: $0.height) } ?? b }
        let p = predicted.map(clip), t = truth.map(clip)
        var candidates: [(prediction: Int, truth: Int, iou: Double)] = []
        for i in p.indices {
            for j in t.indices {
                let iou = p[i].iou(t[j])
                if iou >= threshold { candidates.append((i, j, iou)) }
            }
        }
        candidates.sort { a, b in
            a.iou != b.iou ? a.iou > b.iou : a.prediction != b.prediction ? a.prediction < b.prediction : a.truth < b.truth
        }
        var usedP = Set<Int>(), usedT = Set<Int>(), chosen: [(prediction: Int, truth: Int, iou: Double)] = []
        for c in candidates where !usedP.contains(c.prediction) && !usedT.contains(c.truth) {
            usedP.insert(c.prediction)
            usedT.insert(c.truth)
            chosen.append(c)
        }
        return chosen
    }

    /// The scores of one image.
    public static func score(predicted: [Box], truth: [Box], threshold: Double = 0.5,
                             imageSize: (width: Double, height: Double)? = nil) -> GroundingScores {
        let m = matches(predicted: predicted, truth: truth, threshold: threshold, imageSize: imageSize)
        var s = GroundingScores()
        s.truePositives = m.count
        s.predictions = predicted.count
        s.truths = truth.count
        s.matchedIoU = m.reduce(0) { $0 + $1.iou }
        return s
    }
}
