import Foundation
import Imaging
import JSON
import Tensor
import Testing
import Tokenization
@testable import VLM

@Suite(.timeLimit(.minutes(10))) struct ImageProcessorTests {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/images")
    static let names = ["wide.png", "tall.jpg", "small.png", "alpha.png", "gray.png"]

    static func expected() throws -> (SafetensorsFile, JSONValue) {
        let file = try SafetensorsFile(path: folder.appendingPathComponent("expected.safetensors").path)
        let meta = try JSONValue(parsing: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        return (file, meta)
    }

    /// Decoding (with alpha composited over white, gray replicated) gives Pillow's pixels.
    @Test(arguments: names)
    func decodingMatchesPillow(name: String) throws {
        let (expected, _) = try Self.expected()
        let image = try RGBImage(contentsOf: Self.folder.appendingPathComponent(name))
        let rgb = try expected.tensor("\(name)/rgb")
        #expect(rgb.shape == [image.height, image.width, 3])
        var worst: Float = 0
        for i in 0..<rgb.count { worst = max(worst, abs(rgb[i] - Float(image.pixels[i]))) }
        #expect(worst <= 1, "\(name): decoded pixels differ from Pillow's by up to \(worst)")
    }

    /// Resizing, splitting and normalising give transformers' pixel_values and tile grid.
    @Test(arguments: names)
    func pixelValuesMatchTransformers(name: String) throws {
        let (expected, meta) = try Self.expected()
        let rgb = try expected.tensor("\(name)/rgb")
        let image = RGBImage(width: rgb.dim(1), height: rgb.dim(0), pixels: rgb.array.map { UInt8($0) })
        var split = ImageProcessor(longestEdge: 96, maxImageSize: 32, doImageSplitting: true)
        var noSplit = ImageProcessor(longestEdge: 64, maxImageSize: 32, doImageSplitting: false)
        noSplit.mean = [0.48145466, 0.4578275, 0.40821073]
        noSplit.std = [0.26862954, 0.26130258, 0.27577711]
        split.filter = .lanczos
        for (setting, processor) in [("split", split), ("nosplit", noSplit)] {
            let out = processor.process(image)
            let want = try expected.tensor("\(name)/\(setting)")
            #expect(out.pixels.shape == want.shape, "\(name) \(setting): shape \(out.pixels.shape) vs \(want.shape)")
            guard out.pixels.shape == want.shape else { continue }
            var worst: Float = 0
            for i in 0..<want.count { worst = max(worst, abs(out.pixels[i] - want[i])) }
            #expect(worst <= 1e-6, "\(name) \(setting): pixel values differ by up to \(worst)")
            let grid = meta["images"]![name]![setting]!
            #expect(grid["rows"]?.intValue == out.rows && grid["cols"]?.intValue == out.columns)
        }
    }

    /// Pillow's own resize of one image to many sizes, with three filters, byte for byte.
    @Test func resizeMatchesPillowOverAGridOfSizes() throws {
        let (expected, meta) = try Self.expected()
        let source = try expected.tensor("resize/source")
        let image = RGBImage(width: source.dim(1), height: source.dim(0), pixels: source.array.map { UInt8($0) })
        guard let keys = meta["resize"]?.arrayValue?.compactMap(\.stringValue), !keys.isEmpty else { Issue.record("no resize cases"); return }
        let filters: [String: PILResize.Filter] = ["lanczos": .lanczos, "bicubic": .bicubic, "bilinear": .bilinear]
        for key in keys {
            let want = try expected.tensor(key)
            let filter = filters[String(key.split(separator: "/").last!)]!
            let out = PILResize.resize(image, width: want.dim(1), height: want.dim(0), filter: filter)
            let same = out.pixels.map(Float.init) == want.array
            #expect(same, "\(key) differs from Pillow")
        }
    }

    @Test func resizeFiltersKeepAUniformImageUniform() {
        let flat = RGBImage(width: 37, height: 23, fill: (200, 100, 7))
        for filter in [PILResize.Filter.lanczos, .bilinear, .bicubic, .box, .hamming] {
            for (w, h) in [(10, 50), (74, 5), (37, 23)] {
                let out = PILResize.resize(flat, width: w, height: h, filter: filter)
                #expect(out == RGBImage(width: w, height: h, fill: (200, 100, 7)), "\(filter) \(w)×\(h)")
            }
        }
    }
}
