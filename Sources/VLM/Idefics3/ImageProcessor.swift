import Foundation
import Imaging
import JSON
import Tensor
import Tokenization

/// Idefics3's image processor (transformers' `Idefics3ImageProcessor`, Pillow backend): resize
/// the longest edge, optionally split into max-size tiles plus a global image, rescale and
/// normalise. Its settings come from `preprocessor_config.json` (transformers 4.x) or the
/// `image_processor` object of `processor_config.json` (5.x).
public struct ImageProcessor: Sendable, Equatable, PixelSteps {
    public var doResize = true
    public var longestEdge: Int
    public var filter = PILResize.Filter.lanczos
    public var doRescale = true
    public var rescaleFactor = 1.0 / 255
    public var doNormalize = true
    public var mean: [Float] = [0.5, 0.5, 0.5]
    public var std: [Float] = [0.5, 0.5, 0.5]
    public var doImageSplitting = true
    public var maxImageSize: Int

    public init(longestEdge: Int, maxImageSize: Int, doImageSplitting: Bool = true) {
        self.longestEdge = longestEdge
        self.maxImageSize = maxImageSize
        self.doImageSplitting = doImageSplitting
    }

    /// Reads the processor settings of a model folder.
    public init(folder: URL) throws {
        let (file, settings) = try FolderFiles.imageProcessorSettings(folder: folder)
        let r = JSONReader(settings, file: file.path, path: "")
        let size = try r.optionalObject("size")
        let maxSize = try r.optionalObject("max_image_size")
        self.init(longestEdge: try size?.int("longest_edge", default: 4 * 364) ?? 4 * 364,
                  maxImageSize: try maxSize?.int("longest_edge", default: 364) ?? 364,
                  doImageSplitting: try r.bool("do_image_splitting", default: true))
        try readPixelSteps(r, file: file)
    }

    /// One image after processing: tiles [N, 3, S, S] (row-major tiles, then the global image)
    /// and the tile grid (0 × 0 when the image was not split).
    public struct Processed: Sendable {
        public let pixels: Tensor
        public let rows: Int
        public let columns: Int
    }

    public func process(_ image: RGBImage) -> Processed {
        var img = image
        if doResize {
            let (h, w) = Self.longestEdgeSize(height: img.height, width: img.width, longest: longestEdge)
            img = PILResize.resize(img, width: w, height: h, filter: filter)
        }
        var tiles: [RGBImage] = [], rows = 0, columns = 0
        let m = maxImageSize
        if doImageSplitting {
            let (h, w) = Self.visionEncoderSize(height: img.height, width: img.width, tile: m)
            img = PILResize.resize(img, width: w, height: h, filter: filter)
            if img.height > m || img.width > m {
                rows = (img.height - m) / m + 1
                columns = (img.width - m) / m + 1
                for r in 0..<rows {
                    for c in 0..<columns { tiles.append(Self.crop(img, x: c * m, y: r * m, size: m)) }
                }
                tiles.append(PILResize.resize(img, width: m, height: m, filter: filter))
            } else {
                tiles = [img]
            }
        } else {
            tiles = [PILResize.resize(img, width: m, height: m, filter: filter)]
        }
        let s = tiles[0].width
        let pixels = Tensor(shape: [tiles.count, 3, s, s])
        for (t, tile) in tiles.enumerated() {
            for ch in 0..<3 {
                let plane = pixels.data + (t * 3 + ch) * s * s
                for i in 0..<(s * s) {
                    // numpy: uint8 → float64 · factor → float32, then (x - mean) / std in float32
                    var v = doRescale ? Float(Double(tile.pixels[i * 3 + ch]) * rescaleFactor) : Float(tile.pixels[i * 3 + ch])
                    if doNormalize { v = (v - mean[ch]) / std[ch] }
                    plane[i] = v
                }
            }
        }
        return Processed(pixels: pixels, rows: rows, columns: columns)
    }

    static func crop(_ image: RGBImage, x: Int, y: Int, size: Int) -> RGBImage {
        var out = [UInt8](repeating: 0, count: size * size * 3)
        for row in 0..<size {
            let src = ((y + row) * image.width + x) * 3
            out.replaceSubrange((row * size * 3)..<((row + 1) * size * 3), with: image.pixels[src..<(src + size * 3)])
        }
        return RGBImage(width: size, height: size, pixels: out)
    }

    /// transformers' `_resize_output_size_rescale_to_max_len` then `..._scale_below_upper_bound`
    /// (4096): the longest edge becomes `longest`, the other keeps the aspect ratio, made even.
    static func longestEdgeSize(height: Int, width: Int, longest: Int) -> (Int, Int) {
        var h = height, w = width
        let aspect = Double(w) / Double(h)
        if w >= h {
            w = longest
            h = Int(Double(w) / aspect)
            if h % 2 != 0 { h += 1 }
        } else {
            h = longest
            w = Int(Double(h) * aspect)
            if w % 2 != 0 { w += 1 }
        }
        h = max(h, 1)
        w = max(w, 1)
        let limit = 4096
        let aspect2 = Double(w) / Double(h)
        if w >= h && w > limit {
            w = limit
            h = Int(Double(w) / aspect2)
        } else if h > w && h > limit {
            h = limit
            w = Int(Double(h) * aspect2)
        }
        return (max(h, 1), max(w, 1))
    }

    /// transformers' `resize_for_vision_encoder`: both sides become multiples of the tile size.
    static func visionEncoderSize(height: Int, width: Int, tile: Int) -> (Int, Int) {
        var h = height, w = width
        let aspect = Double(w) / Double(h)
        func up(_ v: Int) -> Int { (v + tile - 1) / tile * tile }
        if w >= h {
            w = up(w)
            h = up(Int(Double(w) / aspect))
        } else {
            h = up(h)
            w = up(Int(Double(h) * aspect))
        }
        return (h, w)
    }
}
