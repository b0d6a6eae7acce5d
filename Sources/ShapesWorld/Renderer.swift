import Imaging
import Interchange

extension Scene {
    /// Samples per pixel along each axis: 4×4 = 16 coverage levels at the shapes' edges.
    static let supersampling = 4

    /// The scene drawn anti-aliased: each object's colour is blended over the background by the
    /// share of the pixel's sub-samples that fall inside its outline; then noise is added.
    public func render() -> RGBImage {
        var canvas = [Double](repeating: 0, count: width * height * 3)
        for py in 0..<height {
            for px in 0..<width {
                let u = (Double(px) + 0.5) / Double(width) - 0.5, v = (Double(py) + 0.5) / Double(height) - 0.5
                for c in 0..<3 {
                    canvas[3 * (py * width + px) + c] = background.base[c] + background.dx[c] * u + background.dy[c] * v
                }
            }
        }
        let n = Self.supersampling
        for object in objects {
            let inside = object.outline.contains()
            let fill = object.colour.rgb
            let box = object.box
            for py in max(0, box.y1)..<min(height, box.y2) {
                for px in max(0, box.x1)..<min(width, box.x2) {
                    var hits = 0
                    for sy in 0..<n {
                        for sx in 0..<n where inside(Double(px) + (Double(sx) + 0.5) / Double(n),
                                                     Double(py) + (Double(sy) + 0.5) / Double(n)) {
                            hits += 1
                        }
                    }
                    guard hits > 0 else { continue }
                    let coverage = Double(hits) / Double(n * n)
                    let i = 3 * (py * width + px)
                    canvas[i] += (fill.0 - canvas[i]) * coverage
                    canvas[i + 1] += (fill.1 - canvas[i + 1]) * coverage
                    canvas[i + 2] += (fill.2 - canvas[i + 2]) * coverage
                }
            }
        }
        var rng = SeededGenerator(seed: noiseSeed)
        let pixels = canvas.map { value -> UInt8 in
            let jitter = noise > 0 ? rng.below(2 * noise + 1) - noise : 0
            return UInt8(clamping: Int((value + 0.5).rounded(.down)) + jitter)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
