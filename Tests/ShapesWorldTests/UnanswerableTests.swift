import Foundation
import Interchange
import Testing
@testable import ShapesWorld

@Suite struct UnanswerableTests {
    /// id, text and reference of every prompt of `Fixtures.smallOptions` but the unanswerable
    /// ones, hashed: the digest was taken before the category existed.
    static func existingPromptsDigest(_ world: World) -> String {
        var hash = SHA256()
        for prompt in world.prompts where prompt.tags.first != "unanswerable" {
            hash.update("\(prompt.id)\t\(prompt.split)\t\(prompt.text)\t\(prompt.reference)\t\(prompt.tags.joined(separator: ","))\n")
        }
        return hash.hexDigest()
    }

    @Test func theExistingPromptsOfASeedAreUnchanged() {
        let world = World.generate(Fixtures.smallOptions)
        let digest = Self.existingPromptsDigest(world)
        #expect(digest == "296a95ad842dc3a02b186a3ed69b1b29a63f865485a29f3dc9d1121954e8a3eb")
    }

    /// The synthetic pairs of the existing categories keep their rejected answers too.
    @Test func theExistingPairsOfASeedAreUnchanged() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try DatasetWriter.write(World.generate(Fixtures.smallOptions), to: directory)
        let lines = try String(contentsOf: directory.appendingPathComponent("pairs/synthetic.jsonl"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.contains("-unanswerable\"") }
        var hash = SHA256()
        for line in lines { hash.update(line + "\n") }
        let digest = hash.hexDigest()
        #expect(digest == "0b721e7eb940ed4389b87851c111ad9044a8eb09c54b757a000bb8340d0cf0b7")
    }
}
