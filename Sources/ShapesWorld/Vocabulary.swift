/// The world's closed vocabulary: the special tokens, then every word and mark any prompt,
/// reference answer or chat turn of the world can contain, then the numbers up to the canvas
/// side (box coordinates and counts). Words are as the tokenizer sees them: lower-cased, split
/// at spaces, each punctuation mark on its own.
public enum Vocabulary {
    public static let endOfText = "<|endoftext|>"
    public static let imStart = "<|im_start|>"
    public static let endOfUtterance = "<end_of_utterance>"
    public static let pad = "<pad>"
    public static let unknown = "<unk>"
    public static let image = "<image>"
    public static let fakeTokenAroundImage = "<fake_token_around_image>"
    public static let globalImage = "<global-img>"

    /// Ids 0… in this order.
    public static let specialTokens = [endOfText, imStart, endOfUtterance, pad, unknown, image, fakeTokenAroundImage, globalImage]

    static let marks = ["?", ".", ",", ":", "[", "]"]
    /// The words of the prompt templates (Question.text), the grammar and the chat template.
    static let words = [
        "is", "there", "a", "an", "in", "the", "image", "how", "many", "are", "what", "which", "not",
        "give", "bounding", "box", "of", "list", "every", "object", "objects", "colour", "size",
        "left", "right", "above", "below", "yes", "no", "nothing", "and",
        "two", "three", "four", "five", "six", "user", "assistant",
    ]

    /// Tokens in id order for a world whose canvas side is at most `maxCoordinate`.
    public static func tokens(maxCoordinate: Int) -> [String] {
        let attributes = Size.allCases.map(\.rawValue) + Colour.allCases.map(\.rawValue)
            + Shape.allCases.flatMap { [$0.rawValue, $0.plural] }
        return specialTokens + marks + words + attributes + (0...maxCoordinate).map(String.init)
    }
}
