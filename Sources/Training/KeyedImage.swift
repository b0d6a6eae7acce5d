import Foundation
import Imaging
import Interchange

/// A row's image, decoded, with its content id: what the vision-feature cache and shared tiles
/// are keyed by, so that the same pixels are encoded once however many rows or files name them.
struct KeyedImage {
    let image: RGBImage
    /// SHA-256 of the size and the pixels.
    let key: String

    init(contentsOf url: URL) throws {
        image = try RGBImage(contentsOf: url)
        var hasher = SHA256()
        hasher.update(integers: [image.width, image.height])
        hasher.update(image.pixels)
        key = hasher.hexDigest()
    }
}
