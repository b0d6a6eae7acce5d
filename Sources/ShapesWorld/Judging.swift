import Foundation
import Interchange

/// A line of an answers file: the prompt's id and a model's answer.
public struct AnswerRecord: Codable, Equatable, Sendable {
    public var id: String
    public var answer: String

    public init(id: String, answer: String) {
        self.id = id
        self.answer = answer
    }
}

/// A line of a pairs file: the prompt's id and two answers, A shown left.
public struct AnswerPairRecord: Codable, Equatable, Sendable {
    public var id: String
    public var a: String
    public var b: String

    public init(id: String, a: String, b: String) {
        self.id = id
        self.a = a
        self.b = b
    }
}

public struct ScoredAnswer: Codable, Equatable, Sendable {
    public var id: String
    public var category: Category
    public var answer: String
    public var reference: String
    public var judgement: Judgement
}

public struct ComparedPair: Codable, Equatable, Sendable {
    public var id: String
    public var category: Category
    public var comparison: Comparison
}

/// Accuracy, mean credit and hallucination rate over a set of answers.
public struct CategorySummary: Codable, Equatable, Sendable {
    public var category: String
    public var answers: Int
    /// Share of answers that are right.
    public var accuracy: Double
    public var meanScore: Double
    /// Share of answers that claim at least one object the scene does not have.
    public var hallucinationRate: Double
    /// Objects the answers claim (`Judgement.mentions`) and how many of them are not in the scene.
    public var mentions: Int
    public var hallucinatedMentions: Int
    /// Share of mentioned objects that are hallucinated (0 when nothing is mentioned).
    public var mentionHallucinationRate: Double
    /// How often each reason tag was given.
    public var reasons: [String: Int]

    init(category: String, _ scored: [ScoredAnswer]) {
        let n = Double(max(scored.count, 1))
        self.category = category
        answers = scored.count
        accuracy = Double(scored.filter(\.judgement.correct).count) / n
        meanScore = scored.map(\.judgement.score).reduce(0, +) / n
        hallucinationRate = Double(scored.filter { $0.judgement.hallucinations > 0 }.count) / n
        mentions = scored.map(\.judgement.mentions).reduce(0, +)
        hallucinatedMentions = scored.map(\.judgement.hallucinations).reduce(0, +)
        mentionHallucinationRate = mentions > 0 ? Double(hallucinatedMentions) / Double(mentions) : 0
        reasons = Dictionary(scored.flatMap { $0.judgement.reasons.map { ($0.rawValue, 1) } }, uniquingKeysWith: +)
    }
}

public struct JudgeReport: Codable, Equatable, Sendable {
    public var answers: [ScoredAnswer]
    /// Per category present, in category order.
    public var categories: [CategorySummary]
    public var overall: CategorySummary
}

public struct PairReport: Codable, Equatable, Sendable {
    public var pairs: [ComparedPair]
    public var verdicts: [String: Int]
}

extension World {
    public func judge(_ records: [AnswerRecord], file: String) throws -> JudgeReport {
        let lookUp = lookUpPrompts
        let scored = try records.enumerated().map { i, record in
            let (prompt, scene) = try lookUp(record.id, file, i + 1)
            return ScoredAnswer(id: record.id, category: prompt.category, answer: record.answer, reference: prompt.reference,
                                judgement: Oracle.judge(record.answer, to: prompt.question, in: scene))
        }
        let categories = Category.allCases.compactMap { category -> CategorySummary? in
            let some = scored.filter { $0.category == category }
            return some.isEmpty ? nil : CategorySummary(category: category.rawValue, some)
        }
        return JudgeReport(answers: scored, categories: categories, overall: CategorySummary(category: "all", scored))
    }

    public func compare(_ records: [AnswerPairRecord], file: String) throws -> PairReport {
        let lookUp = lookUpPrompts
        let pairs = try records.enumerated().map { i, record in
            let (prompt, scene) = try lookUp(record.id, file, i + 1)
            return ComparedPair(id: record.id, category: prompt.category,
                                comparison: Oracle.compare(record.a, record.b, question: prompt.question, in: scene))
        }
        return PairReport(pairs: pairs, verdicts: Dictionary(pairs.map { ($0.comparison.verdict.rawValue, 1) }, uniquingKeysWith: +))
    }

    /// Finds a prompt and its scene by the prompt's id; an unknown id is an error at file:line.
    private var lookUpPrompts: (String, String, Int) throws -> (Prompt, Scene) {
        let prompts = Dictionary(self.prompts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let scenes = Dictionary(self.scenes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return { id, file, line in
            guard let prompt = prompts[id], let scene = scenes[prompt.sceneID] else {
                throw InputError(file: file, line: line, "unknown prompt id \"\(id)\" (not in this world's world.json)")
            }
            return (prompt, scene)
        }
    }
}
