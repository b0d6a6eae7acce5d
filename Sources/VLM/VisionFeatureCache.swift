import Foundation
import Tensor

/// What carries images into a batch: processed tiles and their content keys.
public protocol ImageInputs {
    var images: ImageBatch? { get }
    var imageKeys: [String] { get }
}

/// Vision-tower outputs by image key, for a frozen tower: each image is encoded once, however
/// many pairs, epochs or reference passes use it.
public final class VisionFeatureCache {
    public init() {}

    private var features: [ObjectIdentifier: [String: Tensor]] = [:]

    /// The tower's output for the items' images, in order; nil when an item has no keys (then
    /// the model encodes the pixels itself).
    public func features(for items: [some ImageInputs], model: any VisionLanguageModel, frozen: Bool) throws -> Tensor? {
        guard frozen, items.contains(where: { $0.images != nil }),
              items.allSatisfy({ ($0.images?.count ?? 0) == $0.imageKeys.count })
        else { return nil }
        var cache = features[ObjectIdentifier(model)] ?? [:]
        var parts: [Tensor] = []
        for item in items {
            guard let images = item.images else { continue }
            for (t, key) in item.imageKeys.enumerated() {
                if let cached = cache[key] { parts.append(cached); continue }
                let out = model.visionFeatures(images.item(t))
                cache[key] = out
                parts.append(out)
            }
        }
        features[ObjectIdentifier(model)] = cache
        // one tile's [1, patches, D], or one image's [patches, D]: stacked along the first axis
        return Tensor.concatenated(parts)
    }

    /// Drops a model's features (before the model itself goes, so that no later model at its
    /// address finds them).
    public func forget(_ model: any VisionLanguageModel) {
        features[ObjectIdentifier(model)] = nil
    }
}
