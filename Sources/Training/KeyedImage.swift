import Foundation
import Imaging
import Interchange

/// A row's image, decoded, with its content id: what the vision-feature cache and shared tiles
/// are keyed by, so that the same pixels are encoded once however many rows or files name them.
/// One instance serves every row of its image, and so does its tile keys' storage: an SFT set of
/// many questions per image otherwise keeps a copy of each key per row, small long-lived
/// strings that fragment the heap between the tiles (the demo's 27k-row SFT set: peak memory
/// 1.39 GB with a copy per row, 0.70 GB shared).
final class KeyedImage {
    let image: RGBImage
    /// SHA-256 of the size and the pixels.
    let key: String
    private var tileKeys: [String] = []

    init(contentsOf url: URL) throws {
        image = try RGBImage(contentsOf: url)
        var hasher = SHA256()
        hasher.update(integers: [image.width, image.height])
        hasher.update(image.pixels)
        key = hasher.hexDigest()
    }

    /// The keys of its tiles, `<key>#<tile>`.
    func keys(tiles count: Int) -> [String] {
        if tileKeys.count != count { tileKeys = (0..<count).map { "\(key)#\($0)" } }
        return tileKeys
    }
}
