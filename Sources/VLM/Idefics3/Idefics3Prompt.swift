import Interchange
import Tokenization

/// Idefics3Processor's prompt expansion: each `<image>` placeholder in a prompt becomes the
/// tokens the model's image features replace. Without splitting (rows = cols = 0):
/// `<fake_token_around_image><global-img>` + `<image>`×n + `<fake_token_around_image>`. With an
/// R×C tiling: per tile `<fake_token_around_image><row_r_col_c>` + `<image>`×n, "\n" after each
/// row, then "\n" and the global image as above.
public enum Idefics3Prompt {
    public static let imageToken = "<image>"
    public static let fakeTokenAroundImage = "<fake_token_around_image>"
    public static let globalImageToken = "<global-img>"

    /// How the image processor cut one image: 0×0 when it did not split it.
    public struct Grid: Equatable, Sendable {
        public let rows: Int
        public let cols: Int
        public init(rows: Int, cols: Int) {
            self.rows = rows
            self.cols = cols
        }
    }

    /// The text that stands for one image (transformers' `get_image_prompt_string`).
    public static func imageText(_ grid: Grid, imageSequenceLength: Int) -> String {
        let features = String(repeating: imageToken, count: imageSequenceLength)
        let global = fakeTokenAroundImage + globalImageToken + features + fakeTokenAroundImage
        if grid.rows == 0 && grid.cols == 0 { return global }
        var text = ""
        for r in 0..<grid.rows {
            for c in 0..<grid.cols { text += fakeTokenAroundImage + "<row_\(r + 1)_col_\(c + 1)>" + features }
            text += "\n"
        }
        return text + "\n" + global
    }

    /// `prompt` with its i-th `<image>` replaced by the text of `grids[i]`. The number of
    /// placeholders must equal the number of images, as the processor requires.
    public static func expand(_ prompt: String, grids: [Grid], imageSequenceLength: Int) throws -> String {
        let parts = prompt.split(separatorString: imageToken)
        guard parts.count - 1 == grids.count else {
            throw TokenizerError("the prompt has \(parts.count - 1) \(imageToken) placeholders but \(grids.count) images were given")
        }
        guard imageSequenceLength > 0 else { throw TokenizerError("image_seq_len must be positive, got \(imageSequenceLength)") }
        if let bad = grids.first(where: { $0.rows < 0 || $0.cols < 0 || ($0.rows == 0) != ($0.cols == 0) }) {
            throw TokenizerError("an image grid must be 0×0 (not split) or at least 1×1, got \(bad.rows)×\(bad.cols)")
        }
        var text = parts[0]
        for (grid, rest) in zip(grids, parts.dropFirst()) {
            text += imageText(grid, imageSequenceLength: imageSequenceLength) + rest
        }
        return text
    }
}
