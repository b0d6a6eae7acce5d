import Interchange
import Testing
@testable import ShapesWorld

/// Hand-written cases against the fixture scene: small red circle and large blue square on
/// top, small red triangle and large green star below.
@Suite(.timeLimit(.minutes(10))) struct OracleTests {
    let scene = Fixtures.scene

    func judge(_ answer: String, _ question: Question) -> Judgement {
        Oracle.judge(answer, to: question, in: scene)
    }

    func expectJudgement(_ answer: String, _ question: Question, correct: Bool, score: Double? = nil,
                         reasons: [ReasonTag], hallucinations: Int = 0, form: AnswerForm = .grammar,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        let j = judge(answer, question)
        #expect(j.correct == correct, "\(answer)", sourceLocation: sourceLocation)
        if let score { #expect(abs(j.score - score) < 1e-9, "\(answer): score \(j.score)", sourceLocation: sourceLocation) }
        #expect(j.reasons == reasons, "\(answer)", sourceLocation: sourceLocation)
        #expect(j.hallucinations == hallucinations, "\(answer)", sourceLocation: sourceLocation)
        #expect(j.form == form, "\(answer)", sourceLocation: sourceLocation)
    }

    @Test func existence() {
        let present = Question.existence(subject: ObjectDescription(colour: .red, shape: .circle))
        let absent = Question.existence(subject: ObjectDescription(colour: .blue, shape: .circle))
        #expect(present.text == "Is there a red circle in the image?")
        expectJudgement("yes", present, correct: true, score: 1, reasons: [])
        expectJudgement("no", present, correct: false, score: 0, reasons: [.other])
        expectJudgement("no", absent, correct: true, reasons: [])
        expectJudgement("yes", absent, correct: false, reasons: [.hallucinatedObject], hallucinations: 1)
        expectJudgement("Yes, there is one.", present, correct: true, reasons: [.formatting], form: .freeText)
        expectJudgement("perhaps", present, correct: false, score: 0, reasons: [.formatting], form: .unparseable)
    }

    /// The objects an answer claims, the denominator of the mention-level hallucination rate.
    @Test func mentionsCountClaimedObjects() {
        let present = Question.existence(subject: ObjectDescription(colour: .red, shape: .circle))
        let absent = Question.existence(subject: ObjectDescription(colour: .blue, shape: .circle))
        let greenCircles = Question.counting(subject: ObjectDescription(colour: .green, shape: .circle))
        let notRed = Question.negation(excluded: ObjectDescription(colour: .red))
        let cases: [(String, Question, mentions: Int, hallucinations: Int)] = [
            ("yes", present, 1, 0), ("no", present, 0, 0), ("yes", absent, 1, 1), ("perhaps", present, 0, 0),
            ("2", greenCircles, 2, 2), ("0", greenCircles, 0, 0),
            ("a large blue square and a large green star", notRed, 2, 0),
            ("a large blue square, a large green star and a small purple diamond", notRed, 3, 1),
        ]
        for (answer, question, mentions, hallucinations) in cases {
            let j = judge(answer, question)
            #expect(j.mentions == mentions && j.hallucinations == hallucinations, "\(answer): \(j.mentions) mentions, \(j.hallucinations) hallucinated")
            #expect(j.hallucinations <= j.mentions)
        }
    }

    @Test func counting() {
        let red = Question.counting(subject: ObjectDescription(colour: .red))
        let greenCircles = Question.counting(subject: ObjectDescription(colour: .green, shape: .circle))
        #expect(red.text == "How many red objects are there?")
        expectJudgement("2", red, correct: true, score: 1, reasons: [])
        expectJudgement("3", red, correct: false, score: 0.5, reasons: [.wrongCount])
        expectJudgement("5", red, correct: false, score: 0.25, reasons: [.wrongCount])
        expectJudgement("There are two red objects.", red, correct: true, score: 1, reasons: [.formatting], form: .freeText)
        expectJudgement("0", greenCircles, correct: true, reasons: [])
        expectJudgement("2", greenCircles, correct: false, reasons: [.hallucinatedObject, .wrongCount], hallucinations: 2)
        expectJudgement("lots", red, correct: false, score: 0, reasons: [.formatting], form: .unparseable)
    }

    @Test func spatial() {
        let circle = ObjectDescription(shape: .circle), square = ObjectDescription(shape: .square)
        let leftOf = Question.spatial(subject: circle, relation: .leftOf, object: square)
        let below = Question.spatial(subject: circle, relation: .below, object: ObjectDescription(shape: .triangle))
        #expect(leftOf.text == "Is the circle left of the square?")
        expectJudgement("yes", leftOf, correct: true, reasons: [])
        expectJudgement("no", leftOf, correct: false, reasons: [.spatialError])
        expectJudgement("no", below, correct: true, reasons: [])
        expectJudgement("yes", below, correct: false, reasons: [.spatialError])
        expectJudgement("left", leftOf, correct: false, reasons: [.formatting], form: .unparseable)
    }

    @Test func attributes() {
        let colour = Question.attributes(asked: .colour, subject: ObjectDescription(shape: .star))
        let size = Question.attributes(asked: .size, subject: ObjectDescription(shape: .triangle))
        #expect(colour.text == "What colour is the star?")
        expectJudgement("green", colour, correct: true, reasons: [])
        expectJudgement("blue", colour, correct: false, reasons: [.attributeError])
        expectJudgement("small", size, correct: true, reasons: [])
        expectJudgement("large", size, correct: false, reasons: [.attributeError])
        expectJudgement("large", colour, correct: false, reasons: [.formatting], form: .unparseable)
    }

    @Test func negation() {
        let notRed = Question.negation(excluded: ObjectDescription(colour: .red))
        let notLarge = Question.negation(excluded: ObjectDescription(size: .large))
        #expect(notRed.text == "Which objects are not red?")
        #expect(Question.negation(excluded: ObjectDescription(shape: .star)).text == "Which objects are not stars?")
        expectJudgement("a large blue square and a large green star", notRed, correct: true, score: 1, reasons: [])
        // order is free: the reference lists left to right, the grammar any way
        expectJudgement("a large green star and a large blue square", notRed, correct: true, reasons: [])
        // listing a red object: the negation was ignored
        expectJudgement("a large blue square, a large green star and a small red circle", notRed, correct: false,
                        score: 0.8, reasons: [.wrongCount, .negationError])
        expectJudgement("a large blue square", notRed, correct: false, score: 2.0 / 3, reasons: [.wrongCount])
        expectJudgement("a large blue square, a large green star and a small purple diamond", notRed, correct: false,
                        reasons: [.hallucinatedObject, .wrongCount], hallucinations: 1)
        expectJudgement("a small blue square and a large green star", notRed, correct: false, score: 0.5,
                        reasons: [.attributeError])
        expectJudgement("nothing", notRed, correct: false, score: 0, reasons: [.wrongCount])
        expectJudgement("a small red circle and a small red triangle", notLarge, correct: true, reasons: [])
        expectJudgement("everything", notRed, correct: false, reasons: [.formatting], form: .unparseable)
    }

    @Test func grounding() {
        let square = Question.grounding(subject: ObjectDescription(shape: .square))
        #expect(square.text == "Give the bounding box of the square.")
        #expect(square.reference(in: scene).text == "[32, 6, 48, 22]")
        expectJudgement("[32, 6, 48, 22]", square, correct: true, score: 1, reasons: [])
        // 2 pixels off on every side: IoU 12·12 / 16·16 ≈ 0.56, still right
        expectJudgement("[34, 8, 46, 20]", square, correct: true, score: 144.0 / 256, reasons: [])
        // the circle's box: a real object, the wrong one
        expectJudgement("[7, 7, 17, 17]", square, correct: false, score: 0, reasons: [.spatialError])
        // empty space: points at something that is not there
        expectJudgement("[0, 25, 6, 31]", square, correct: false, score: 0, reasons: [.hallucinatedObject, .spatialError],
                        hallucinations: 1)
        expectJudgement("32, 6, 48, 22", square, correct: true, score: 1, reasons: [.formatting], form: .freeText)
        expectJudgement("top right", square, correct: false, reasons: [.formatting], form: .unparseable)
    }

    @Test func description() {
        let describe = Question.description
        let truth = "a small red circle, a small red triangle, a large blue square and a large green star"
        #expect(describe.reference(in: scene).text == truth)
        expectJudgement(truth, describe, correct: true, score: 1, reasons: [])
        expectJudgement("a small red circle, a small red triangle and a large blue square", describe, correct: false,
                        score: 6.0 / 7, reasons: [.wrongCount])
        expectJudgement("a large red circle, a small red triangle, a large blue square and a large green star", describe,
                        correct: false, score: 0.75, reasons: [.attributeError])
        expectJudgement(truth + " and a small yellow hexagon star", describe, correct: false,
                        reasons: [.hallucinatedObject, .wrongCount, .formatting], hallucinations: 1, form: .freeText)
        expectJudgement("two small red circles, a small red triangle, a large blue square and a large green star", describe,
                        correct: false, reasons: [.wrongCount])
        // an extra object one attribute away from a real one that is already named is invented,
        // not misnamed (a captioner's companion: a small red square beside the small red circle)
        expectJudgement("a small red circle, a small red square, a small red triangle, a large blue square and a large green star",
                        describe, correct: false, reasons: [.hallucinatedObject, .wrongCount], hallucinations: 1)
        // while a real object misnamed, and nothing else named for it, is an attribute error
        expectJudgement("a small red square, a small red triangle, a large blue square and a large green star", describe,
                        correct: false, score: 0.75, reasons: [.attributeError])
        // one real object explains one misnaming: the second is invented
        expectJudgement("a small red square, a small red star, a small red triangle, a large blue square and a large green star",
                        describe, correct: false, reasons: [.hallucinatedObject, .wrongCount, .attributeError], hallucinations: 1)
        expectJudgement("I do not know", describe, correct: false, score: 0, reasons: [.formatting], form: .unparseable)
    }

    /// Objects the fixture scene does not have: no diamond, no blue star (the star is green),
    /// no large red circle (the red circle is small).
    @Test func unanswerable() {
        let colour = Question.unanswerable(asked: .colour, subject: ObjectDescription(shape: .diamond))
        let size = Question.unanswerable(asked: .size, subject: ObjectDescription(colour: .blue, shape: .star))
        let box = Question.unanswerable(asked: .box, subject: ObjectDescription(size: .large, colour: .red, shape: .circle))
        #expect(colour.text == "What colour is the diamond?")
        #expect(size.text == "What size is the blue star?")
        #expect(box.text == "Give the bounding box of the large red circle.")
        #expect(colour.reference(in: scene).text == "there is no diamond")
        expectJudgement("there is no diamond", colour, correct: true, score: 1, reasons: [])
        expectJudgement("There is no diamond.", colour, correct: true, score: 1, reasons: [.formatting], form: .freeText)
        expectJudgement("none", colour, correct: true, score: 1, reasons: [.formatting], form: .freeText)
        // a made-up attribute of an object that is not there: an invented object
        expectJudgement("red", colour, correct: false, score: 0, reasons: [.hallucinatedObject], hallucinations: 1)
        expectJudgement("It is purple.", colour, correct: false, reasons: [.formatting, .hallucinatedObject].sorted(),
                        hallucinations: 1, form: .freeText)
        expectJudgement("there is no blue star", size, correct: true, reasons: [])
        expectJudgement("large", size, correct: false, score: 0, reasons: [.hallucinatedObject], hallucinations: 1)
        // denies the green star, which is there; denies something else than was asked
        expectJudgement("there is no star", size, correct: false, score: 0, reasons: [.other])
        expectJudgement("there is no circle", colour, correct: false, score: 0, reasons: [.other])
        expectJudgement("there is no large red circle", box, correct: true, reasons: [])
        // the small red circle's own box is still made up for the large one
        expectJudgement("[7, 7, 17, 17]", box, correct: false, score: 0, reasons: [.hallucinatedObject], hallucinations: 1)
        expectJudgement("[20, 20, 30, 30]", box, correct: false, score: 0, reasons: [.hallucinatedObject], hallucinations: 1)
        expectJudgement("maybe", box, correct: false, score: 0, reasons: [.formatting], form: .unparseable)
    }

    /// The object is there: refusing to answer is wrong, and invents nothing.
    @Test func needlessRefusal() {
        let colour = Question.attributes(asked: .colour, subject: ObjectDescription(shape: .star))
        let size = Question.attributes(asked: .size, subject: ObjectDescription(shape: .triangle))
        let square = Question.grounding(subject: ObjectDescription(shape: .square))
        expectJudgement("there is no star", colour, correct: false, score: 0, reasons: [.needlessRefusal])
        expectJudgement("There isn't a triangle.", size, correct: false, score: 0, reasons: [.needlessRefusal, .formatting],
                        form: .freeText)
        expectJudgement("there is no square", square, correct: false, score: 0, reasons: [.needlessRefusal])
        expectJudgement("none", square, correct: false, score: 0, reasons: [.needlessRefusal, .formatting], form: .freeText)
    }

    @Test func aRightRefusalBeatsAMadeUpAttribute() {
        let colour = Question.unanswerable(asked: .colour, subject: ObjectDescription(shape: .diamond))
        var c = compare("there is no diamond", "red", colour)
        #expect(c.verdict == .a && c.reasons == [.hallucinatedObject])
        c = compare("green", "There is no diamond.", colour)
        #expect(c.verdict == .b && c.reasons == [.hallucinatedObject])
        c = compare("there is no diamond", "There is no diamond.", colour)
        #expect(c.verdict == .a && c.reasons == [.formatting])
        c = compare("red", "blue", colour)
        #expect(c.verdict == .bothBad && c.reasons == [.hallucinatedObject])
        let box = Question.unanswerable(asked: .box, subject: ObjectDescription(size: .large, colour: .red, shape: .circle))
        c = compare("[7, 7, 17, 17]", "there is no large red circle", box)
        #expect(c.verdict == .b && c.reasons == [.hallucinatedObject])
        // and where the object is there, the answer beats the refusal
        let present = Question.attributes(asked: .colour, subject: ObjectDescription(shape: .star))
        c = compare("there is no star", "green", present)
        #expect(c.verdict == .b && c.reasons == [.needlessRefusal])
    }

    // MARK: verdicts

    func compare(_ a: String, _ b: String, _ question: Question) -> Comparison {
        Oracle.compare(a, b, question: question, in: scene)
    }

    @Test func verdicts() {
        let absent = Question.existence(subject: ObjectDescription(colour: .blue, shape: .circle))
        var c = compare("no", "yes", absent)
        #expect(c.verdict == .a && c.reasons == [.hallucinatedObject])
        c = compare("yes", "no", absent)
        #expect(c.verdict == .b && c.reasons == [.hallucinatedObject])
        c = compare("no", "No", absent)
        #expect(c.verdict == .tie && c.reasons.isEmpty)
        // both right, one off the grammar
        c = compare("No, there is none.", "no", absent)
        #expect(c.verdict == .b && c.reasons == [.formatting])

        let red = Question.counting(subject: ObjectDescription(colour: .red))
        // both wrong, close in credit: both bad, with every reason
        c = compare("3", "4", red)
        #expect(c.verdict == .bothBad && c.reasons == [.wrongCount])
        c = compare("3", "???", red)
        #expect(c.verdict == .a && c.reasons == [.formatting])
        c = compare("banana", "???", red)
        #expect(c.verdict == .bothBad && c.reasons == [.formatting])

        let square = Question.grounding(subject: ObjectDescription(shape: .square))
        // both right, one box clearly tighter
        c = compare("[34, 8, 46, 20]", "[32, 6, 48, 22]", square)
        #expect(c.verdict == .b && c.reasons == [.other])
        c = compare("[32, 6, 48, 22]", "[0, 25, 6, 31]", square)
        #expect(c.verdict == .a && c.reasons == [.hallucinatedObject, .spatialError])

        let notRed = Question.negation(excluded: ObjectDescription(colour: .red))
        // both wrong, one nearly right: clearly better
        c = compare("a large blue square", "nothing", notRed)
        #expect(c.verdict == .a && c.reasons == [.wrongCount])
        c = compare("a small red circle", "a large blue square and a large green star", notRed)
        #expect(c.verdict == .b && c.reasons == [.wrongCount, .negationError])

        let spatial = Question.spatial(subject: ObjectDescription(shape: .circle), relation: .leftOf,
                                       object: ObjectDescription(shape: .square))
        c = compare("no", "yes", spatial)
        #expect(c.verdict == .b && c.reasons == [.spatialError])

        let colour = Question.attributes(asked: .colour, subject: ObjectDescription(shape: .star))
        c = compare("green", "red", colour)
        #expect(c.verdict == .a && c.reasons == [.attributeError])

        c = compare("a small red circle, a small red triangle, a large blue square and a large green star",
                    "a small red circle, a small red triangle, a large blue square, a large green star and a small purple diamond",
                    .description)
        #expect(c.verdict == .a && c.reasons == [.hallucinatedObject, .wrongCount])
    }

    /// Across a generated world: the reference beats every plausible wrong answer, whichever
    /// side it is shown on, and ties with itself.
    @Test func referencesBeatWrongAnswersEverywhere() {
        let world = World.generate(Fixtures.smallOptions)
        let scenes = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0) })
        var rng = SeededGenerator(seed: 1)
        var reasonsSeen = Set<ReasonTag>()
        for prompt in world.prompts {
            let scene = scenes[prompt.sceneID]!
            let wrong = prompt.question.wrongAnswer(in: scene, using: &rng).text
            let left = Oracle.compare(prompt.reference, wrong, question: prompt.question, in: scene)
            let right = Oracle.compare(wrong, prompt.reference, question: prompt.question, in: scene)
            #expect(left.verdict == .a, "\(prompt.id): \(prompt.reference) vs \(wrong)")
            #expect(right.verdict == .b, "\(prompt.id): \(wrong) vs \(prompt.reference)")
            #expect(!left.reasons.isEmpty)
            #expect(left.a.correct && left.a.score == 1 && left.a.reasons.isEmpty, "\(prompt.id)")
            #expect(Oracle.compare(prompt.reference, prompt.reference, question: prompt.question, in: scene).verdict == .tie)
            reasonsSeen.formUnion(left.reasons)
        }
        #expect(reasonsSeen.isSuperset(of: [.hallucinatedObject, .wrongCount, .spatialError, .attributeError, .negationError]))
    }
}
