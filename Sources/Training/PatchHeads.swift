import Foundation
import Tensor
import VLM

/// Linear classifiers on a vision tower's patch outputs, for training the tower alone on dense
/// labels before the rest of the model sees it. Per attribute, one head reads every patch (its
/// classes plus "background"), and one reads every labelled region: the patches averaged with
/// the region's coverage as weights. The loss is the sum of the heads' mean cross-entropies.
/// The heads only serve the tower's training: a saved model does not hold them.
public final class PatchHeads {
    /// Each attribute's classes (a patch head has one more: background, the last).
    public let classes: [Int]
    public let width: Int
    public let parameters: ParameterSet

    /// What the heads should read: per attribute, a class per patch of every image (row-major,
    /// images in batch order), and the labelled regions.
    public struct Targets {
        public var patches: [[Int32]]
        public var regions: [Region]

        public init(patches: [[Int32]], regions: [Region]) {
            self.patches = patches
            self.regions = regions
        }
    }

    /// An object: its image in the batch, its share of each of that image's patches, its classes.
    public struct Region {
        public var image: Int
        public var coverage: [Float]
        public var classes: [Int32]

        public init(image: Int, coverage: [Float], classes: [Int32]) {
            self.image = image
            self.coverage = coverage
            self.classes = classes
        }
    }

    /// The summed loss, and per attribute how many patches and regions the heads got right.
    public struct Result {
        public var loss: Float
        public var patchCorrect: [Int]
        public var regionCorrect: [Int]
        public var patches: Int
        public var regions: Int

        public init(loss: Float = 0, patchCorrect: [Int], regionCorrect: [Int], patches: Int = 0, regions: Int = 0) {
            self.loss = loss
            self.patchCorrect = patchCorrect
            self.regionCorrect = regionCorrect
            self.patches = patches
            self.regions = regions
        }
    }

    static func patchHead(_ a: Int) -> String { "patch.\(a)" }
    static func regionHead(_ a: Int) -> String { "region.\(a)" }

    /// Heads that start at zero (the first steps train them before the tower feels them).
    public init(classes: [Int], width: Int) {
        self.classes = classes
        self.width = width
        var specs: [ParameterSet.Spec] = []
        for (a, c) in classes.enumerated() {
            specs += [.init("\(Self.patchHead(a)).weight", [c + 1, width]), .init("\(Self.patchHead(a)).bias", [c + 1]),
                      .init("\(Self.regionHead(a)).weight", [c, width]), .init("\(Self.regionHead(a)).bias", [c])]
        }
        parameters = ParameterSet(specs)
        parameters.enableGradients()
    }

    /// The loss of features [N, patches, width]; with `dFeatures` (same shape) also the
    /// gradients: the heads' into their parameter set, the features' added to dFeatures.
    public func evaluate(features: Tensor, targets: Targets, dFeatures: Tensor?) -> Result {
        let (n, p) = (features.dim(0), features.dim(1))
        let rows = features.reshapedView([n * p, width])
        let dRows = dFeatures?.reshapedView([n * p, width])
        let regions = pool(rows, patches: p, regions: targets.regions)
        let dRegions = dFeatures == nil ? nil : Tensor(shape: regions.shape)
        var result = Result(loss: 0, patchCorrect: [], regionCorrect: [], patches: n * p, regions: targets.regions.count)
        for a in classes.indices {
            precondition(targets.patches[a].count == n * p, "patch labels \(targets.patches[a].count) for \(n * p) patches")
            let (patchLoss, patchRight) = head(Self.patchHead(a), x: rows, targets: targets.patches[a], dX: dRows)
            result.loss += patchLoss
            result.patchCorrect.append(patchRight)
            guard !targets.regions.isEmpty else { result.regionCorrect.append(0); continue }
            let (regionLoss, regionRight) = head(Self.regionHead(a), x: regions, targets: targets.regions.map { $0.classes[a] },
                                                 dX: dRegions)
            result.loss += regionLoss
            result.regionCorrect.append(regionRight)
        }
        if let dRows, let dRegions { unpool(dRegions, into: dRows, patches: p, regions: targets.regions) }
        return result
    }

    /// One head's mean cross-entropy over the rows of x and how many rows it classifies right;
    /// with dX, its gradients.
    private func head(_ name: String, x: Tensor, targets: [Int32], dX: Tensor?) -> (Float, Int) {
        let weight = parameters["\(name).weight"], c = weight.dim(0), rows = x.rows
        let logits = Tensor(shape: [rows, c])
        Linear.forward(x, weight: weight, bias: parameters["\(name).bias"], into: logits)
        let mask = Tensor(shape: [rows]), logp = Tensor(shape: [rows]), lse = Tensor(shape: [rows])
        for i in 0..<rows { mask[i] = 1 }
        let loss = CrossEntropy.forward(logits: logits, targets: targets, mask: mask, logp: logp, logSumExp: lse)
        var right = 0
        for i in 0..<rows {
            let row = logits.data + i * c
            if (0..<c).max(by: { row[$0] < row[$1] }) == Int(targets[i]) { right += 1 }
        }
        if let dX {
            let dLogp = Tensor(shape: [rows]), dLogits = Tensor(shape: [rows, c])
            for i in 0..<rows { dLogp[i] = -1 / Float(rows) }
            TokenLogProbs.backward(dLogp, logits: logits, targets: targets, mask: mask, logSumExp: lse, dLogits: dLogits)
            Linear.backward(dLogits, x: x, weight: weight, dX: dX, dWeight: parameters.gradient("\(name).weight"),
                            dBias: parameters.gradient("\(name).bias"))
        }
        return (loss, right)
    }

    /// Each region's coverage-weighted mean of its image's patch rows → [regions, width].
    private func pool(_ rows: Tensor, patches p: Int, regions: [Region]) -> Tensor {
        let out = Tensor(shape: [max(regions.count, 1), width])
        for (r, region) in regions.enumerated() {
            let total = region.coverage.reduce(0, +)
            guard total > 0 else { continue }
            let dst = out.data + r * width
            for (j, w) in region.coverage.enumerated() where w > 0 {
                let src = rows.data + (region.image * p + j) * width, scale = w / total
                for k in 0..<width { dst[k] += scale * src[k] }
            }
        }
        return out
    }

    private func unpool(_ dRegions: Tensor, into dRows: Tensor, patches p: Int, regions: [Region]) {
        for (r, region) in regions.enumerated() {
            let total = region.coverage.reduce(0, +)
            guard total > 0 else { continue }
            let src = dRegions.data + r * width
            for (j, w) in region.coverage.enumerated() where w > 0 {
                let dst = dRows.data + (region.image * p + j) * width, scale = w / total
                for k in 0..<width { dst[k] += scale * src[k] }
            }
        }
    }
}
