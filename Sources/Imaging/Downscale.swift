extension RGBImage {
    /// The image shrunk so that its longer side is at most `longest` pixels, each pixel the mean of
    /// the source pixels it covers (a box filter, weighted by coverage): what a reviewer's screen
    /// needs of a large image. The image itself when it already fits.
    public func downscaled(toFit longest: Int) -> RGBImage {
        precondition(longest > 0, "an image fits in at least 1 pixel, not \(longest)")
        guard max(width, height) > longest else { return self }
        let scale = Double(longest) / Double(max(width, height))
        let w = max(1, Int((Double(width) * scale).rounded())), h = max(1, Int((Double(height) * scale).rounded()))
        // For each output column (row), the source columns (rows) it covers and how much of each.
        func spans(_ source: Int, _ target: Int) -> [[(index: Int, weight: Double)]] {
            let step = Double(source) / Double(target)
            return (0..<target).map { i in
                let start = Double(i) * step, end = start + step
                return (Int(start)..<min(source, Int(end.rounded(.up)))).map { j in
                    (j, min(end, Double(j + 1)) - max(start, Double(j)))
                }
            }
        }
        let columns = spans(width, w), rows = spans(height, h)
        var out = [UInt8](repeating: 0, count: w * h * 3)
        pixels.withUnsafeBufferPointer { source in
            for (y, rowSpan) in rows.enumerated() {
                for (x, columnSpan) in columns.enumerated() {
                    var sum = (0.0, 0.0, 0.0), area = 0.0
                    for (sy, wy) in rowSpan {
                        for (sx, wx) in columnSpan {
                            let i = 3 * (sy * width + sx), weight = wx * wy
                            sum.0 += Double(source[i]) * weight
                            sum.1 += Double(source[i + 1]) * weight
                            sum.2 += Double(source[i + 2]) * weight
                            area += weight
                        }
                    }
                    let o = 3 * (y * w + x)
                    out[o] = UInt8(min(255, (sum.0 / area).rounded()))
                    out[o + 1] = UInt8(min(255, (sum.1 / area).rounded()))
                    out[o + 2] = UInt8(min(255, (sum.2 / area).rounded()))
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
