/// The `post_processor` of a tokenizer.json, reduced to what a single sequence needs: the special
/// ids it puts before and after the text when special tokens are added.
struct PostProcessor: Sendable {
    var prefix: [Int] = []
    var suffix: [Int] = []

    func apply(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
        addSpecialTokens ? prefix + ids + suffix : ids
    }
}
