import Interchange

/// The oracle expert: knows the scene, so it can say exactly what is wrong with an answer.

/// One answer, judged.
public struct Judgement: Codable, Equatable, Sendable {
    /// Content credit in [0, 1]: 1 for right; partial for near counts, box IoU, list F1.
    public var score: Double
    /// Whether what it says is right (a box counts with IoU ≥ 0.5), whatever its form.
    public var correct: Bool
    public var form: AnswerForm
    /// Everything wrong with it, sorted; empty for a right answer in the grammar.
    public var reasons: [ReasonTag]
    /// How many objects it claims that the scene does not have.
    public var hallucinations: Int
    /// How many objects it claims the scene has (`hallucinations` of them are not there): a
    /// "yes" to existence, a count's number, each object of a list, a box, the object whose
    /// colour or size it gives, an answer about an absent subject other than a refusal; 0 for a
    /// refusal, a "no", a spatial yes/no (the question names the objects) and an unparseable one.
    public var mentions: Int
}

/// Two answers compared: the verdict, and the reasons the loser (or both) lost.
public struct Comparison: Codable, Equatable, Sendable {
    public var verdict: Verdict
    public var reasons: [ReasonTag]
    public var a: Judgement
    public var b: Judgement
}

public enum Oracle {
    /// A box is right when it overlaps the object's by at least this much.
    public static let boxIoUThreshold = 0.5
    /// Between two wrong answers, one is better only if its credit is higher by this much;
    /// otherwise both are bad.
    public static let clearlyBetter = 0.5
    /// Between two right answers, a credit difference up to this is no difference.
    public static let sameCredit = 0.1

    public static func judge(_ text: String, to question: Question, in scene: Scene) -> Judgement {
        let (parsed, form) = AnswerParser.parse(text, as: question.answerKind)
        guard let answer = parsed else {
            return Judgement(score: 0, correct: false, form: form, reasons: [.formatting], hallucinations: 0, mentions: 0)
        }
        var judgement = content(of: answer, to: question, in: scene)
        judgement.form = form
        if form == .freeText { judgement.reasons.append(.formatting) }
        judgement.reasons = Array(Set(judgement.reasons)).sorted()
        return judgement
    }

    /// Judges both and decides. A right answer beats a wrong one; of two right answers the one
    /// with clearly more credit (boxes), then the one in the grammar, wins; two wrong answers
    /// are both bad unless one has clearly more credit.
    public static func compare(_ a: String, _ b: String, question: Question, in scene: Scene) -> Comparison {
        let ja = judge(a, to: question, in: scene), jb = judge(b, to: question, in: scene)
        func win(_ verdict: Verdict, loser: Judgement) -> Comparison {
            Comparison(verdict: verdict, reasons: loser.reasons.isEmpty ? [.other] : loser.reasons, a: ja, b: jb)
        }
        let byCredit: Verdict = ja.score > jb.score ? .a : .b
        let difference = abs(ja.score - jb.score)
        switch (ja.correct, jb.correct) {
        case (true, false): return win(.a, loser: jb)
        case (false, true): return win(.b, loser: ja)
        case (false, false):
            if difference >= clearlyBetter { return win(byCredit, loser: byCredit == .a ? jb : ja) }
            return Comparison(verdict: .bothBad, reasons: Array(Set(ja.reasons + jb.reasons)).sorted(), a: ja, b: jb)
        case (true, true):
            if difference > sameCredit { return win(byCredit, loser: byCredit == .a ? jb : ja) }
            if ja.form != jb.form { return ja.form == .grammar ? win(.a, loser: jb) : win(.b, loser: ja) }
            return Comparison(verdict: .tie, reasons: [], a: ja, b: jb)
        }
    }

    private static func content(of answer: Answer, to question: Question, in scene: Scene) -> Judgement {
        let reference = question.reference(in: scene)
        func verdict(_ right: Bool, _ tag: ReasonTag, hallucinations: Int = 0, mentions: Int = 0) -> Judgement {
            Judgement(score: right ? 1 : 0, correct: right, form: .grammar,
                      reasons: right ? [] : (hallucinations > 0 ? [tag, .hallucinatedObject] : [tag]),
                      hallucinations: hallucinations, mentions: max(mentions, hallucinations))
        }
        if case .unanswerable(_, let subject) = question {
            guard case .refusal(let denied) = answer else {
                // a colour, size or box of an object that is not there: it was made up
                return verdict(false, .hallucinatedObject, hallucinations: 1)
            }
            // right when what it denies is about the subject and really absent
            let right = denied.map { $0.isCompatible(with: subject) && scene.objects(matching: $0).isEmpty } ?? true
            return verdict(right, .other)
        }
        if case .refusal = answer {
            // the object is there (attributes, grounding): it could have answered
            return verdict(false, .needlessRefusal)
        }
        switch (answer, reference) {
        case (.yesNo(let said), .yesNo(let truth)):
            if case .existence = question {
                // "yes" to an absent object is a hallucination; "no" to a present one a miss
                return said && !truth ? verdict(false, .hallucinatedObject, hallucinations: 1)
                    : verdict(said == truth, .other, mentions: said ? 1 : 0)
            }
            return verdict(said == truth, .spatialError)
        case (.count(let said), .count(let truth)):
            var judgement = verdict(said == truth, .wrongCount, hallucinations: truth == 0 ? said : 0, mentions: said)
            judgement.score = 1 / Double(1 + abs(said - truth))
            return judgement
        case (.colour(let said), .colour(let truth)):
            return verdict(said == truth, .attributeError, mentions: 1)
        case (.size(let said), .size(let truth)):
            return verdict(said == truth, .attributeError, mentions: 1)
        case (.box(let said), .box(let truth)):
            let iou = said.iou(truth)
            // a box that touches no object points at something that is not there
            let onNothing = scene.objects.allSatisfy { said.intersection($0.box) == 0 }
            var judgement = verdict(iou >= boxIoUThreshold, .spatialError, hallucinations: onNothing ? 1 : 0, mentions: 1)
            judgement.score = iou
            return judgement
        case (.objects(let said), .objects(let truth)):
            var excluded: ObjectDescription?
            if case .negation(let description) = question { excluded = description }
            return judgeList(said, truth: truth, excluded: excluded, in: scene)
        default:
            preconditionFailure("the parser reads \(question.answerKind) answers only")
        }
    }

    /// Matches mentioned objects to the true ones, most specific mentions first; list credit is
    /// F1. Each mention left over is explained: it has the excluded attribute (negation error),
    /// it is an object already counted (wrong count), it is a real object that no mention
    /// matched, with one attribute wrong (attribute error; each such object explains one
    /// mention), or it is not there at all (hallucinated object). So an extra "small red
    /// square" beside a matched small red circle is an invented object, not a misnamed one.
    private static func judgeList(_ said: [ObjectDescription], truth: [ObjectDescription], excluded: ObjectDescription?,
                                  in scene: Scene) -> Judgement {
        var unmatched = truth
        var matched = 0
        var reasons: [ReasonTag] = []
        var hallucinations = 0
        var leftOver: [ObjectDescription] = []
        for mention in said.sorted(by: { $0.specificity > $1.specificity }) {
            if let i = unmatched.firstIndex(where: { truthful in mention.matches(kind: truthful) }) {
                unmatched.remove(at: i)
                matched += 1
            } else {
                leftOver.append(mention)
            }
        }
        // the scene's objects no mention matched: what a near miss may misname
        var unnamed = scene.objects.map { ObjectDescription($0.kind) }
        var stillUnmatched = unmatched
        for kind in truth {
            if let i = stillUnmatched.firstIndex(of: kind) {
                stillUnmatched.remove(at: i)
            } else if let i = unnamed.firstIndex(of: kind) {
                unnamed.remove(at: i)
            }
        }
        for mention in leftOver {
            let violatesNegation = excluded.map { mention.shares(with: $0) } ?? false
            let inScene = scene.objects.contains(where: mention.matches)
            let nearMiss = unnamed.firstIndex(where: mention.nearlyMatches(kind:)).map { unnamed.remove(at: $0) } != nil
            if violatesNegation { reasons.append(.negationError) }
            if !inScene && !nearMiss {
                hallucinations += 1
                reasons.append(.hallucinatedObject)
            } else if !violatesNegation {
                reasons.append(inScene ? .wrongCount : .attributeError)
            }
        }
        if said.count != truth.count { reasons.append(.wrongCount) }
        let score = said.isEmpty && truth.isEmpty ? 1 : 2 * Double(matched) / Double(said.count + truth.count)
        let correct = matched == truth.count && said.count == truth.count
        return Judgement(score: score, correct: correct, form: .grammar, reasons: reasons, hallucinations: hallucinations,
                         mentions: said.count)
    }
}

extension ObjectDescription {
    /// Whether this mention fits a complete description (unstated attributes fit anything).
    func matches(kind other: ObjectDescription) -> Bool {
        (size == nil || size == other.size) && (colour == nil || colour == other.colour) && (shape == nil || shape == other.shape)
    }

    /// Names the object with one attribute wrong, the others it states (at least one) right:
    /// "a large red circle" for a small red circle. In a list, a near miss of an object no
    /// other mention names is an attribute error, not a hallucinated object.
    func nearlyMatches(kind other: ObjectDescription) -> Bool {
        let stated = [size.map { $0 == other.size }, colour.map { $0 == other.colour }, shape.map { $0 == other.shape }]
            .compactMap { $0 }
        return stated.count >= 2 && stated.filter { !$0 }.count == 1
    }

    /// Whether no attribute both state differs: "star" and "blue star" are, "star" and
    /// "circle" are not.
    func isCompatible(with other: ObjectDescription) -> Bool {
        (size == nil || other.size == nil || size == other.size) && (colour == nil || other.colour == nil || colour == other.colour)
            && (shape == nil || other.shape == nil || shape == other.shape)
    }

    /// Whether it states an attribute that `excluded` states, with the same value.
    func shares(with excluded: ObjectDescription) -> Bool {
        (excluded.size != nil && size == excluded.size) || (excluded.colour != nil && colour == excluded.colour)
            || (excluded.shape != nil && shape == excluded.shape)
    }
}
