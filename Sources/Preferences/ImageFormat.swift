import Foundation

/// The image formats the model's preprocessing decodes. Recognised from the file's header,
/// which also gives the size in pixels.
public enum ImageFormat: String, Codable, Sendable, CaseIterable {
    case png
    case jpeg

    public var fileExtension: String { self == .png ? "png" : "jpg" }

    public struct Header: Equatable, Sendable {
        public var format: ImageFormat
        public var width: Int
        public var height: Int
    }

    /// Reads the header of a PNG or JPEG file; the error text names what is wrong.
    public static func header(of bytes: Data) throws(HeaderError) -> Header {
        let b = [UInt8](bytes.prefix(1 << 16))
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            guard b.count >= 24, b[12..<16].elementsEqual("IHDR".utf8) else { throw HeaderError("truncated PNG header") }
            let width = b[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = b[20..<24].reduce(0) { $0 << 8 | Int($1) }
            guard width > 0, height > 0 else { throw HeaderError("PNG header gives a size of \(width)x\(height)") }
            return Header(format: .png, width: width, height: height)
        }
        if b.starts(with: [0xFF, 0xD8]) { return try jpegHeader(b) }
        throw HeaderError("not a PNG or JPEG image")
    }

    public struct HeaderError: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Walks the JPEG markers to the first start-of-frame, which holds the size.
    private static func jpegHeader(_ b: [UInt8]) throws(HeaderError) -> Header {
        var i = 2
        while i + 3 < b.count {
            guard b[i] == 0xFF else { throw HeaderError("corrupt JPEG: no marker at byte \(i)") }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }  // no length
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            // Start of frame: every SOFn but DHT (C4), JPG (C8) and DAC (CC).
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard i + 8 < b.count else { break }
                let height = Int(b[i + 5]) << 8 | Int(b[i + 6]), width = Int(b[i + 7]) << 8 | Int(b[i + 8])
                guard width > 0, height > 0 else { throw HeaderError("JPEG frame gives a size of \(width)x\(height)") }
                return Header(format: .jpeg, width: width, height: height)
            }
            if marker == 0xD9 || marker == 0xDA { break }  // end of image, or scan data before any frame
            i += 2 + length
        }
        throw HeaderError("JPEG without a frame header in its first 64 KiB")
    }
}
