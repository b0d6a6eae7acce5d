import Foundation
import Testing
import Tokenization
import VLM

/// Idefics3Processor's `<image>` expansion and the ids of the expanded prompt, against
/// transformers (Fixtures/idefics3_prompts.json).
@Suite(.timeLimit(.minutes(10))) struct Idefics3PromptTests {
    static let fixture = Fixtures.load("idefics3_prompts.json")

    @Test func expansionAndIdsMatchTheProcessor() throws {
        let tokenizer = try Tokenizer(directory: Fixtures.url("bpe"))
        let cases = Self.fixture["cases"]!.arrayValue!
        #expect(cases.count >= 20)
        var sawSplit = false, sawSingle = false
        for c in cases {
            let rows = c["rows"]!.ints, cols = c["cols"]!.ints
            let grids = zip(rows, cols).map { Idefics3Prompt.Grid(rows: $0, cols: $1) }
            sawSplit = sawSplit || grids.contains { $0.rows > 1 || $0.cols > 1 }
            sawSingle = sawSingle || grids.contains { $0.rows == 0 }
            let prompt = c["prompt"]!.stringValue!
            let expanded = try Idefics3Prompt.expand(prompt, grids: grids, imageSequenceLength: c["image_seq_len"]!.intValue!)
            #expect(expanded == c["expanded"]!.stringValue!, "\(quoted(prompt)) \(grids)")
            let diff = difference(try tokenizer.encode(expanded, addSpecialTokens: false), c["ids"]!.ints)
            #expect(diff.isEmpty, "\(quoted(prompt)) \(grids): \(diff)")
        }
        #expect(sawSplit && sawSingle)
    }

    @Test func singleImageLayout() {
        let text = Idefics3Prompt.imageText(.init(rows: 0, cols: 0), imageSequenceLength: 2)
        #expect(text == "<fake_token_around_image><global-img><image><image><fake_token_around_image>")
        let split = Idefics3Prompt.imageText(.init(rows: 1, cols: 2), imageSequenceLength: 1)
        #expect(split == "<fake_token_around_image><row_1_col_1><image><fake_token_around_image><row_1_col_2><image>\n"
                + "\n<fake_token_around_image><global-img><image><fake_token_around_image>")
    }

    @Test func placeholderCountMustMatchTheImages() {
        #expect(throws: TokenizerError.self) {
            try Idefics3Prompt.expand("<image> and <image>", grids: [.init(rows: 0, cols: 0)], imageSequenceLength: 4)
        }
        #expect(throws: TokenizerError.self) {
            try Idefics3Prompt.expand("no image", grids: [.init(rows: 0, cols: 0)], imageSequenceLength: 4)
        }
        #expect(throws: TokenizerError.self) {
            try Idefics3Prompt.expand("<image>", grids: [.init(rows: 2, cols: 0)], imageSequenceLength: 4)
        }
    }
}
