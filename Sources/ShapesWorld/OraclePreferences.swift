import Foundation
import Interchange

extension World {
    /// Preference pairs from compared answers, as an expert would give them: a simulated
    /// reviewer reviews each comparison; "A better" and "B better" become a pair (the winner
    /// chosen), ties, both-bad and skips give none. Image paths are absolute (the world's folder).
    public func preferences(_ records: [AnswerPairRecord], compared: PairReport, reviewer: inout SimulatedReviewer,
                            worldFolder: URL) -> [PreferenceRecord] {
        let prompts = Dictionary(self.prompts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return zip(records, compared.pairs).compactMap { record, pair in
            let review = reviewer.review(pair.comparison)
            guard review.verdict == .a || review.verdict == .b, let prompt = prompts[record.id] else { return nil }
            let (chosen, rejected) = review.verdict == .a ? (record.a, record.b) : (record.b, record.a)
            let image = worldFolder.appendingPathComponent(World.imagePath(prompt.sceneID)).standardizedFileURL.path
            return PreferenceRecord(id: record.id, images: [image], prompt: [.user(image: true, prompt.text)],
                                    chosen: [.assistant(chosen)], rejected: [.assistant(rejected)])
        }
    }
}
