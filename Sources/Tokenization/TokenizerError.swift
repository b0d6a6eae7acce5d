/// Every problem the Tokenization module reports: a bad or unsupported tokenizer file, a text that
/// cannot be encoded, an id that is not in the vocabulary. The message names the file and the
/// construct where there is one.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// The same problem, prefixed with the file it was found in.
    func inFile(_ path: String) -> TokenizerError {
        TokenizerError("\(path): \(message)")
    }
}
