import Evaluation
import Foundation

/// The encoder the tests share, from the folder `make minilm` installs (or $VLM_ALIGN_MINILM).
/// Missing files are a failure with the install instructions, never a skip.
enum MiniLM {
    static let encoder: Result<SentenceEncoder, Error> = Result { try SentenceEncoder(locating: nil) }

    static func load() throws -> SentenceEncoder { try encoder.get() }
}
