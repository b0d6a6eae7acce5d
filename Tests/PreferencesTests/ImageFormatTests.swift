import Foundation
@testable import Preferences
import Testing

@Suite(.timeLimit(.minutes(10))) struct ImageFormatTests {
    @Test func pngHeaderGivesSize() throws {
        let header = try ImageFormat.header(of: Fixtures.png(width: 37, height: 5, seed: 1))
        #expect(header == ImageFormat.Header(format: .png, width: 37, height: 5))
    }

    @Test func jpegHeaderGivesSizeFromTheFrameMarker() throws {
        let header = try ImageFormat.header(of: Fixtures.jpegHeader(width: 640, height: 480))
        #expect(header == ImageFormat.Header(format: .jpeg, width: 640, height: 480))
    }

    @Test(arguments: [
        (Data("GIF89a......".utf8), "not a PNG or JPEG image"),
        (Data(), "not a PNG or JPEG image"),
        (Fixtures.png(width: 2, height: 2, seed: 0).prefix(20), "truncated PNG header"),
        (Data([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x00, 0x00]), "JPEG without a frame header in its first 64 KiB"),
    ])
    func badImagesSayWhatIsWrong(bytes: Data, problem: String) {
        #expect(throws: ImageFormat.HeaderError(problem)) { try ImageFormat.header(of: bytes) }
    }
}
