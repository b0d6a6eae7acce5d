import CImage
import Foundation
import Imaging
import Testing

@Suite struct RGBImageTests {
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
}
