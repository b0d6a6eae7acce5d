import Foundation
import Imaging

/// Pillow's `Image.resize` for 8-bit images, reproduced exactly: separable convolution with
/// filter weights normalised per output pixel, converted to 22-bit fixed point, rounded and
/// clipped to 8 bits after each pass. transformers' image processors resize through Pillow, so
/// matching it bit for bit matches their pixel values.
///
/// The order of the passes matters (8-bit rounding in between). Pillow runs the horizontal pass
/// first, except (since Pillow 13, python-pillow/Pillow#9549) when the height shrinks much more
/// than the width: `inHeight - outHeight > 2 · (inWidth - outWidth)`. The rule was read off
/// Pillow 13.0's output over a grid of sizes (tools/fixtures/image_processor_fixtures.py pins it).
public enum PILResize {
    /// Pillow's resampling filters, by their `PIL.Image.Resampling` numbers.
    public enum Filter: Int, Sendable {
        case lanczos = 1, bilinear = 2, bicubic = 3, box = 4, hamming = 5

        var support: Double {
            switch self {
            case .box: 0.5
            case .bilinear, .hamming: 1
            case .bicubic: 2
            case .lanczos: 3
            }
        }

        func weight(_ x: Double) -> Double {
            switch self {
            case .box:
                return x > -0.5 && x <= 0.5 ? 1 : 0
            case .bilinear:
                let a = abs(x)
                return a < 1 ? 1 - a : 0
            case .hamming:
                let a = abs(x)
                if a == 0 { return 1 }
                if a >= 1 { return 0 }
                let t = a * .pi
                return sin(t) / t * (0.54 + 0.46 * cos(t))
            case .bicubic:
                let a = -0.5, t = abs(x)
                if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
                if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
                return 0
            case .lanczos:
                return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0
            }
        }

        private func sinc(_ x: Double) -> Double {
            if x == 0 { return 1 }
            let t = x * .pi
            return sin(t) / t
        }
    }

    static let precisionBits = 32 - 8 - 2

    /// Per output pixel: the first input pixel and the fixed-point weights.
    struct Coefficients {
        let start: [Int]
        let weights: [[Int32]]
    }

    static func coefficients(input: Int, output: Int, filter: Filter) -> Coefficients {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        var starts: [Int] = [], all: [[Int32]] = []
        for xx in 0..<output {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), input) - xmin
            var w = (0..<max(xmax, 0)).map { filter.weight((Double($0 + xmin) - center + 0.5) * ss) }
            let total = w.reduce(0, +)
            if total != 0 { w = w.map { $0 / total } }
            let one = Double(1 << precisionBits)
            all.append(w.map { $0 < 0 ? Int32(-0.5 + $0 * one) : Int32(0.5 + $0 * one) })
            starts.append(xmin)
        }
        return Coefficients(start: starts, weights: all)
    }

    @inline(__always)
    static func clip8(_ v: Int32) -> UInt8 {
        let shifted = v >> Int32(precisionBits)
        return UInt8(clamping: shifted)
    }

    /// Resizes an RGB image to width × height as `image.resize((width, height), filter)` does.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: Filter) -> RGBImage {
        let verticalFirst = width != image.width && height < image.height
            && image.height - height > 2 * (image.width - width)
        if verticalFirst {
            return horizontal(vertical(image, height: height, filter: filter), width: width, filter: filter)
        }
        return vertical(horizontal(image, width: width, filter: filter), height: height, filter: filter)
    }

    static func horizontal(_ image: RGBImage, width: Int, filter: Filter) -> RGBImage {
        var current = image
        if width != current.width {
            let c = coefficients(input: current.width, output: width, filter: filter)
            var out = [UInt8](repeating: 0, count: width * current.height * 3)
            current.pixels.withUnsafeBufferPointer { src in
                for y in 0..<current.height {
                    for x in 0..<width {
                        for ch in 0..<3 {
                            var acc: Int32 = 1 << Int32(precisionBits - 1)
                            for (k, w) in c.weights[x].enumerated() {
                                acc &+= Int32(src[(y * current.width + c.start[x] + k) * 3 + ch]) &* w
                            }
                            out[(y * width + x) * 3 + ch] = clip8(acc)
                        }
                    }
                }
            }
            current = RGBImage(width: width, height: current.height, pixels: out)
        }
        return current
    }

    static func vertical(_ image: RGBImage, height: Int, filter: Filter) -> RGBImage {
        var current = image
        if height != current.height {
            let c = coefficients(input: current.height, output: height, filter: filter)
            var out = [UInt8](repeating: 0, count: current.width * height * 3)
            current.pixels.withUnsafeBufferPointer { src in
                for y in 0..<height {
                    for x in 0..<current.width {
                        for ch in 0..<3 {
                            var acc: Int32 = 1 << Int32(precisionBits - 1)
                            for (k, w) in c.weights[y].enumerated() {
                                acc &+= Int32(src[((c.start[y] + k) * current.width + x) * 3 + ch]) &* w
                            }
                            out[(y * current.width + x) * 3 + ch] = clip8(acc)
                        }
                    }
                }
            }
            current = RGBImage(width: current.width, height: height, pixels: out)
        }
        return current
    }
}
