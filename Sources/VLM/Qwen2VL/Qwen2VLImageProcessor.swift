import Foundation
import Imaging
import JSON
import Tensor

/// transformers' `Qwen2VLImageProcessor` (Pillow backend): resize both sides to multiples of
/// patch × merge size with the pixel count within [min, max] (`smart_resize`), Pillow bicubic,
/// rescale and normalise (CLIP mean / std), then flatten into patches of channels × temporal
/// patch × patch² (the frame repeated over the temporal patch), each 2×2 merge group's patches
/// consecutive. Settings come from `preprocessor_config.json` (4.x) or the `image_processor`
/// object of `processor_config.json` (5.x).
public struct Qwen2VLImageProcessor: Sendable, Equatable, PixelSteps {
    public var minPixels = 56 * 56
    public var maxPixels = 28 * 28 * 1280
    public var patchSize = 14
    public var temporalPatchSize = 2
    public var mergeSize = 2
    public var doResize = true
    public var filter = PILResize.Filter.bicubic
    public var doRescale = true
    public var rescaleFactor = 1.0 / 255
    public var doNormalize = true
    public var mean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    public var std: [Float] = [0.26862954, 0.26130258, 0.27577711]

    public init() {}

    /// Reads the processor settings of a model folder.
    public init(folder: URL) throws {
        let (file, settings) = try FolderFiles.imageProcessorSettings(folder: folder)
        let r = JSONReader(settings, file: file.path, path: "")
        // 5.x writes size {shortest_edge, longest_edge} (in pixels); 4.x min_pixels / max_pixels
        let size = try r.optionalObject("size")
        minPixels = try r.optionalInt("min_pixels") ?? size?.optionalInt("shortest_edge") ?? minPixels
        maxPixels = try r.optionalInt("max_pixels") ?? size?.optionalInt("longest_edge") ?? maxPixels
        patchSize = try r.size("patch_size", default: patchSize, limit: 1024)
        temporalPatchSize = try r.size("temporal_patch_size", default: temporalPatchSize, limit: 16)
        mergeSize = try r.size("merge_size", default: mergeSize, limit: 16)
        try readPixelSteps(r, file: file)
        guard minPixels > 0, maxPixels >= minPixels else {
            throw ModelError(file: file.path, "min_pixels \(minPixels) and max_pixels \(maxPixels) leave no size")
        }
    }

    /// transformers' `smart_resize`: (height, width) as multiples of `factor` nearest the image's
    /// (Python's `round`, halves to even), scaled down or up to keep the pixels within bounds.
    public static func smartResize(height: Int, width: Int, factor: Int, minPixels: Int, maxPixels: Int) throws -> (Int, Int) {
        guard height > 0, width > 0, Double(max(height, width)) / Double(min(height, width)) <= 200 else {
            throw ModelError(file: "image", "an image of \(width)×\(height): the aspect ratio must be at most 200")
        }
        let f = Double(factor), h = Double(height), w = Double(width)
        var hBar = Int((h / f).rounded(.toNearestOrEven)) * factor
        var wBar = Int((w / f).rounded(.toNearestOrEven)) * factor
        if hBar * wBar > maxPixels {
            let beta = (h * w / Double(maxPixels)).squareRoot()
            hBar = max(factor, Int((h / beta / f).rounded(.down)) * factor)
            wBar = max(factor, Int((w / beta / f).rounded(.down)) * factor)
        } else if hBar * wBar < minPixels {
            let beta = (Double(minPixels) / (h * w)).squareRoot()
            hBar = Int((h * beta / f).rounded(.up)) * factor
            wBar = Int((w * beta / f).rounded(.up)) * factor
        }
        return (hBar, wBar)
    }

    /// One image as flattened patches [patches, channels · temporal patch · patch²] and its grid.
    public func process(_ image: RGBImage) throws -> (pixels: Tensor, grid: ImageGrid) {
        var img = image
        if doResize {
            let (h, w) = try Self.smartResize(height: img.height, width: img.width, factor: patchSize * mergeSize,
                                              minPixels: minPixels, maxPixels: maxPixels)
            if h != img.height || w != img.width { img = PILResize.resize(img, width: w, height: h, filter: filter) }
        }
        let (height, width) = (img.height, img.width)
        guard height % (patchSize * mergeSize) == 0, width % (patchSize * mergeSize) == 0 else {
            throw ModelError(file: "image", "an image of \(width)×\(height) is not made of whole \(mergeSize)×\(mergeSize) groups of \(patchSize) px patches")
        }
        // numpy: uint8 → float64 · factor → float32, then (x - mean) / std in float32
        var planes = [Float](repeating: 0, count: 3 * height * width)
        for ch in 0..<3 {
            for i in 0..<(height * width) {
                var v = doRescale ? Float(Double(img.pixels[i * 3 + ch]) * rescaleFactor) : Float(img.pixels[i * 3 + ch])
                if doNormalize { v = (v - mean[ch]) / std[ch] }
                planes[ch * height * width + i] = v
            }
        }
        let (gh, gw, m, p, tp) = (height / patchSize, width / patchSize, mergeSize, patchSize, temporalPatchSize)
        let values = 3 * tp * p * p
        let pixels = Tensor(shape: [gh * gw, values])
        var row = 0
        // patch order: merge groups row-major, inside each its m × m patches row-major
        for bh in 0..<(gh / m) {
            for bw in 0..<(gw / m) {
                for mh in 0..<m {
                    for mw in 0..<m {
                        let out = pixels.data + row * values
                        let (y0, x0) = ((bh * m + mh) * p, (bw * m + mw) * p)
                        for ch in 0..<3 {
                            for t in 0..<tp {
                                for py in 0..<p {
                                    let src = ch * height * width + (y0 + py) * width + x0
                                    let dst = ((ch * tp + t) * p + py) * p
                                    for px in 0..<p { out[dst + px] = planes[src + px] }
                                }
                            }
                        }
                        row += 1
                    }
                }
            }
        }
        return (pixels, ImageGrid(t: 1, h: gh, w: gw))
    }
}
