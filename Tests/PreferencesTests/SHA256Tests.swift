import Foundation
import Interchange
import Testing
@testable import Preferences

@Suite(.timeLimit(.minutes(10))) struct SHA256Tests {
    // FIPS 180-4 / NIST CAVP examples.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func knownDigests(message: String, digest: String) {
        #expect(SHA256.hex(message) == digest)
    }

    @Test func millionAsFedInUnevenPieces() {
        var hasher = SHA256()
        var fed = 0, piece = 1
        while fed < 1_000_000 {
            let count = min(piece, 1_000_000 - fed)
            hasher.update(Data(repeating: UInt8(ascii: "a"), count: count))
            fed += count
            piece = piece * 3 % 997 + 1  // piece sizes that straddle the 64-byte blocks
        }
        #expect(hasher.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func fileDigestMatchesInMemoryDigest() throws {
        let folder = try TemporaryFolder()
        let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
        let file = folder.appending("bytes.bin")
        try bytes.write(to: file)
        #expect(try SHA256.hex(fileAt: file) == SHA256.hex(bytes))
    }
}
