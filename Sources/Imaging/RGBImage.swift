import CImage
import Foundation
import Interchange

/// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3,
                     "RGB image of \(width)×\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniform image.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8)) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = fill.0
            pixels[3 * i + 1] = fill.1
            pixels[3 * i + 2] = fill.2
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        get {
            let i = 3 * (y * width + x)
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = 3 * (y * width + x)
            pixels[i] = newValue.0
            pixels[i + 1] = newValue.1
            pixels[i + 2] = newValue.2
        }
    }
}

public struct ImageError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public var description: String { "\(file): \(problem)" }
}

extension RGBImage {
    /// Decodes a PNG or JPEG. Gray is replicated to RGB; an alpha channel is composited over
    /// white, as transformers' `convert_to_rgb` does. `source` names the data in errors.
    public init(decoding data: Data, source: String, maxPixels: Int = ImageLimits.pixelBudget) throws {
        var image = cimage_image()
        var message = [CChar](repeating: 0, count: 512)
        let status = data.withUnsafeBytes { bytes in
            cimage_decode(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, max(maxPixels, 0), &image, &message, message.count)
        }
        guard status == 0, let raw = image.pixels else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw ImageError(file: source, problem: data.isEmpty ? "empty file" : "unreadable image: \(text)")
        }
        defer { cimage_free(raw) }
        let (w, h, c) = (Int(image.width), Int(image.height), Int(image.channels))
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) {
            let p = raw + i * c
            let color: (Int, Int, Int) = c >= 3 ? (Int(p[0]), Int(p[1]), Int(p[2])) : (Int(p[0]), Int(p[0]), Int(p[0]))
            let alpha = c == 2 || c == 4 ? Int(p[c - 1]) : 255
            func over(_ v: Int) -> UInt8 { UInt8((v * alpha + 255 * (255 - alpha) + 127) / 255) }
            rgb[3 * i] = over(color.0)
            rgb[3 * i + 1] = over(color.1)
            rgb[3 * i + 2] = over(color.2)
        }
        self.init(width: w, height: h, pixels: rgb)
    }

    /// Reads and decodes an image file; errors name the file.
    public init(contentsOf url: URL, maxPixels: Int = ImageLimits.pixelBudget) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError(file: url.path, problem: "cannot read: \(error.localizedDescription)")
        }
        try self.init(decoding: data, source: url.path, maxPixels: maxPixels)
    }

    /// The image as PNG bytes.
    public func pngData() throws -> Data {
        var out: UnsafeMutablePointer<UInt8>?
        var length = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer { p in
            cimage_encode_png(p.baseAddress, Int32(width), Int32(height), 3, &out, &length, &message, message.count)
        }
        guard status == 0, let out else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw ImageError(file: "<png>", problem: "cannot encode: \(text)")
        }
        defer { cimage_free(out) }
        return Data(bytes: out, count: length)
    }

    public func writePNG(to url: URL) throws {
        try pngData().write(to: url, options: .atomic)
    }
}
