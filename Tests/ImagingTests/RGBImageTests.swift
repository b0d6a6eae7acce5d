import CImage
import Foundation
import Imaging
import Interchange
import Testing

@Suite(.timeLimit(.minutes(10))) struct RGBImageTests {
    static func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height, fill: (0, 0, 0))
        for y in 0..<height {
            for x in 0..<width { image[x, y] = (UInt8(x * 255 / max(width - 1, 1)), UInt8(y * 7 % 256), UInt8((x + y) % 256)) }
        }
        return image
    }

    @Test(arguments: [(1, 1), (7, 3), (64, 64), (33, 200)])
    func pngRoundTripIsExact(width: Int, height: Int) throws {
        let image = Self.gradient(width: width, height: height)
        let decoded = try RGBImage(decoding: try image.pngData(), source: "memory")
        #expect(decoded == image)
    }

    /// Encodes raw 8-bit pixels of 1, 2 or 4 channels straight through the C shim.
    static func png(_ pixels: [UInt8], width: Int, height: Int, channels: Int) -> Data {
        var out: UnsafeMutablePointer<UInt8>?
        var length = 0
        var message = [CChar](repeating: 0, count: 64)
        let status = cimage_encode_png(pixels, Int32(width), Int32(height), Int32(channels), &out, &length, &message, 64)
        precondition(status == 0)
        defer { cimage_free(out) }
        return Data(bytes: out!, count: length)
    }

    @Test func grayIsReplicatedAndAlphaCompositedOverWhite() throws {
        let gray = try RGBImage(decoding: Self.png([0, 128, 255], width: 3, height: 1, channels: 1), source: "gray")
        #expect(gray.pixels == [0, 0, 0, 128, 128, 128, 255, 255, 255])
        // opaque red, transparent red, half-transparent blue
        let rgba = try RGBImage(decoding: Self.png([255, 0, 0, 255, 255, 0, 0, 0, 0, 0, 255, 128], width: 3, height: 1, channels: 4),
                                source: "rgba")
        #expect(rgba.pixels == [255, 0, 0, 255, 255, 255, 127, 127, 255])
    }

    @Test func badInputsNameTheFileAndTheProblem() throws {
        let png = try Self.gradient(width: 16, height: 16).pngData()
        let cases: [(Data, String)] = [
            (Data(), "empty file"),
            (Data("hello, world".utf8), "not a PNG or JPEG"),
            (png.prefix(png.count / 2), "unreadable image"),
            (Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 16]), "unreadable image"),
        ]
        for (data, problem) in cases {
            #expect {
                try RGBImage(decoding: data, source: "photos/cat.png")
            } throws: { error in
                let text = String(describing: error)
                return text.hasPrefix("photos/cat.png: ") && text.contains(problem)
            }
        }
        let missing = URL(fileURLWithPath: "/nonexistent/dir/image.png")
        #expect(throws: ImageError.self) { try RGBImage(contentsOf: missing) }
    }

    static let jpeg = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/tall.jpg")

    /// A JPEG cut short decodes to gray fill in libjpeg with only a warning: it is an error.
    @Test func truncatedJPEGIsAnError() throws {
        let whole = try Data(contentsOf: Self.jpeg)
        #expect(try RGBImage(decoding: whole, source: "tall.jpg").width == 41)
        #expect {
            try RGBImage(decoding: whole.prefix(whole.count * 6 / 10), source: "cut.jpg")
        } throws: { error in "\(error)".hasPrefix("cut.jpg: ") && "\(error)".contains("damaged JPEG data") }
    }

    /// A small file that claims a huge size is refused from its header, before the decoder
    /// allocates the pixels (a 65500×65500 JPEG would take 12.9 GB).
    @Test func imagesOverThePixelBudgetAreRefusedFromTheirHeaders() throws {
        var jpeg = [UInt8](try Data(contentsOf: Self.jpeg))
        let frame = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange((frame + 5)...(frame + 8), with: [0xFF, 0xDC, 0xFF, 0xDC])  // 65500 × 65500
        #expect {
            try RGBImage(decoding: Data(jpeg), source: "bomb.jpg")
        } throws: { error in "\(error)" == "bomb.jpg: unreadable image: the image is 65500x65500 = 4290250000 pixels, over the limit of \(ImageLimits.pixelBudget)" }

        // a PNG whose header says 30000 × 30000 (within any per-side limit), its CRC made right
        var png = [UInt8](try Self.gradient(width: 4, height: 4).pngData())
        let size: [UInt8] = [0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30]
        png.replaceSubrange(16..<24, with: size)
        let crc = Self.crc32(Array(png[12..<29]))
        png.replaceSubrange(29..<33, with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) })
        #expect {
            try RGBImage(decoding: Data(png), source: "bomb.png")
        } throws: { error in "\(error)".contains("30000x30000 = 900000000 pixels, over the limit") }

        // the budget is the caller's to set
        let image = try Self.gradient(width: 100, height: 100).pngData()
        #expect(throws: ImageError.self) { try RGBImage(decoding: image, source: "small.png", maxPixels: 9999) }
        #expect(try RGBImage(decoding: image, source: "small.png", maxPixels: 10000).width == 100)
    }

    /// CRC-32 (ISO 3309), as PNG chunks carry it.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
