import Foundation
import JSON

/// The settings every family's image processor reads alike: whether and with which filter to
/// resize, and the rescale and normalisation that turn bytes into pixel values.
protocol PixelSteps {
    var doResize: Bool { get set }
    var filter: PILResize.Filter { get set }
    var doRescale: Bool { get set }
    var rescaleFactor: Double { get set }
    var doNormalize: Bool { get set }
    var mean: [Float] { get set }
    var std: [Float] { get set }
}

extension PixelSteps {
    /// Reads them from the processor's settings in `file`; what is absent keeps the family's default.
    mutating func readPixelSteps(_ r: JSONReader, file: URL) throws {
        doResize = try r.bool("do_resize", default: doResize)
        let resample = try r.int("resample", default: filter.rawValue)
        guard let f = PILResize.Filter(rawValue: resample) else {
            throw ModelError(file: file.path, "resample \(resample) is not supported (1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming)")
        }
        filter = f
        doRescale = try r.bool("do_rescale", default: doRescale)
        rescaleFactor = try r.double("rescale_factor", default: rescaleFactor)
        doNormalize = try r.bool("do_normalize", default: doNormalize)
        mean = try Self.triple(r, "image_mean", default: mean)
        std = try Self.triple(r, "image_std", default: std)
    }

    private static func triple(_ r: JSONReader, _ key: String, default d: [Float]) throws -> [Float] {
        guard let value = r.value(key) else { return d }
        if let n = value.doubleValue { return [Float](repeating: Float(n), count: 3) }
        let numbers = value.arrayValue?.compactMap { $0.doubleValue.map(Float.init) } ?? []
        guard numbers.count == 3 else { throw ModelError(file: r.file, "\(key) must be a number or 3 numbers") }
        return numbers
    }
}
