import Testing
@testable import ShapesWorld

@Suite(.timeLimit(.minutes(10))) struct AnswerGrammarTests {
    static let redCircle = ObjectDescription(size: .small, colour: .red, shape: .circle)
    static let blueSquare = ObjectDescription(size: .large, colour: .blue, shape: .square)

    @Test func canonicalForms() {
        #expect(Answer.yesNo(true).text == "yes")
        #expect(Answer.count(3).text == "3")
        #expect(Answer.box(Box(x1: 12, y1: 30, x2: 25, y2: 44)).text == "[12, 30, 25, 44]")
        #expect(Answer.objects([]).text == "nothing")
        #expect(Answer.objects([Self.redCircle]).text == "a small red circle")
        #expect(Answer.objects([Self.redCircle, Self.blueSquare]).text == "a small red circle and a large blue square")
        let orange = ObjectDescription(size: .large, colour: .orange, shape: .star)
        #expect(Answer.objects([Self.blueSquare, Self.redCircle, orange, Self.redCircle]).text
                == "a large blue square, two small red circles and a large orange star")
    }

    /// Found by `make fuzz`: a model's answer that names one object more often than there are
    /// number words crashed the judge (an index past "ten").
    @Test func answersRepeatingAMentionMoreThanTenTimesAreRead() {
        let text = Array(repeating: "a small red circle", count: 12).joined(separator: ", ")
        let (answer, form) = AnswerParser.parse(text, as: .objects)
        #expect(answer == .objects(Array(repeating: Self.redCircle, count: 12)) && form == .freeText)
        #expect(Answer.objects(Array(repeating: Self.redCircle, count: 12)).text == "12 small red circles")
    }

    static let inGrammar: [(String, AnswerKind, Answer)] = [
        ("yes", .yesNo, .yesNo(true)),
        ("No", .yesNo, .yesNo(false)),
        ("0", .count, .count(0)),
        ("12", .count, .count(12)),
        ("purple", .colour, .colour(.purple)),
        ("large", .size, .size(.large)),
        ("[12, 30, 25, 44]", .box, .box(Box(x1: 12, y1: 30, x2: 25, y2: 44))),
        ("[ 12, 30, 25, 44 ]", .box, .box(Box(x1: 12, y1: 30, x2: 25, y2: 44))),
        ("nothing", .objects, .objects([])),
        ("a small red circle and a large blue square", .objects, .objects([redCircle, blueSquare])),
        ("two small red circles", .objects, .objects([redCircle, redCircle])),
    ]

    @Test(arguments: inGrammar)
    func grammar(text: String, kind: AnswerKind, expected: Answer) {
        let (answer, form) = AnswerParser.parse(text, as: kind)
        #expect(answer == expected)
        #expect(form == .grammar)
    }

    static let freeText: [(String, AnswerKind, Answer)] = [
        ("Yes, there is.", .yesNo, .yesNo(true)),
        ("no, it is right of it", .yesNo, .yesNo(false)),
        ("There are 3 red circles.", .count, .count(3)),
        ("three", .count, .count(3)),
        ("there are none", .count, .count(0)),
        ("There are no green circles.", .count, .count(0)),
        ("It is red.", .colour, .colour(.red)),
        ("the small one", .size, .size(.small)),
        ("12, 30, 25, 44", .box, .box(Box(x1: 12, y1: 30, x2: 25, y2: 44))),
        ("The box is (12,30)-(25,44)", .box, .box(Box(x1: 12, y1: 30, x2: 25, y2: 44))),
        ("I see a small red circle.", .objects, .objects([redCircle])),
        ("a red circle", .objects, .objects([ObjectDescription(colour: .red, shape: .circle)])),
        ("3 large blue squares", .objects, .objects([blueSquare, blueSquare, blueSquare])),
        ("one small red circle, and one large blue square", .objects, .objects([redCircle, blueSquare])),
        ("there are no objects", .objects, .objects([])),
        ("none", .objects, .objects([])),
        ("a small red object", .objects, .objects([ObjectDescription(size: .small, colour: .red)])),
    ]

    @Test(arguments: freeText)
    func offGrammarButReadable(text: String, kind: AnswerKind, expected: Answer) {
        let (answer, form) = AnswerParser.parse(text, as: kind)
        #expect(answer == expected)
        #expect(form == .freeText)
    }

    static let unreadable: [(String, AnswerKind)] = [
        ("", .yesNo),
        ("maybe", .yesNo),
        ("yes and no", .yesNo),
        ("many", .count),
        ("no idea", .count),
        ("no", .count),
        ("large", .colour),
        ("red or blue", .colour),
        ("big", .size),
        ("[12, 30, 25]", .box),
        ("[1, 2, 3, 4, 5]", .box),
        ("the top left", .box),
        ("I don't know", .objects),
        ("red and blue", .objects),
    ]

    @Test(arguments: unreadable)
    func unparseable(text: String, kind: AnswerKind) {
        let (answer, form) = AnswerParser.parse(text, as: kind)
        #expect(answer == nil)
        #expect(form == .unparseable)
    }

    // MARK: refusals

    static let star = ObjectDescription(shape: .star)
    static let blueStar = ObjectDescription(colour: .blue, shape: .star)
    static let largeRedCircle = ObjectDescription(size: .large, colour: .red, shape: .circle)

    @Test func refusalsCanonicalForm() {
        #expect(Answer.refusal(Self.star).text == "there is no star")
        #expect(Answer.refusal(Self.blueStar).text == "there is no blue star")
        #expect(Answer.refusal(Self.largeRedCircle).text == "there is no large red circle")
    }

    static let refusalsInGrammar: [(String, AnswerKind, Answer)] = [
        ("there is no star", .colour, .refusal(star)),
        ("There is no blue star", .size, .refusal(blueStar)),
        ("there is no large red circle", .box, .refusal(largeRedCircle)),
    ]

    @Test(arguments: refusalsInGrammar)
    func refusalsInTheGrammar(text: String, kind: AnswerKind, expected: Answer) {
        let (answer, form) = AnswerParser.parse(text, as: kind)
        #expect(answer == expected)
        #expect(form == .grammar)
    }

    static let refusalsInFreeText: [(String, AnswerKind, Answer)] = [
        ("There is no star.", .colour, .refusal(star)),
        ("no star", .colour, .refusal(star)),
        ("there isn't a star", .size, .refusal(star)),
        ("There isn\u{2019}t a blue star in the image.", .box, .refusal(blueStar)),
        ("there's no blue star", .colour, .refusal(blueStar)),
        ("there are no stars", .colour, .refusal(star)),
        ("There is not a large red circle here!", .box, .refusal(largeRedCircle)),
        ("I don't see any stars.", .size, .refusal(star)),
        ("I see no large red circle", .box, .refusal(largeRedCircle)),
        ("No, there is no star.", .colour, .refusal(star)),
        ("the image has no blue star", .size, .refusal(blueStar)),
        ("none", .colour, .refusal(nil)),
        ("There is no such object.", .box, .refusal(nil)),
    ]

    @Test(arguments: refusalsInFreeText)
    func refusalsOffTheGrammar(text: String, kind: AnswerKind, expected: Answer) {
        let (answer, form) = AnswerParser.parse(text, as: kind)
        #expect(answer == expected)
        #expect(form == .freeText)
    }

    static let notRefusals: [(String, AnswerKind)] = [
        ("no", .colour),
        ("there is no", .size),
        ("no idea", .colour),
        ("there is no star and no circle", .colour),
        ("there is no star, it is [1, 2, 3]", .box),
        ("not sure", .box),
        ("there is no small large star", .size),
    ]

    @Test(arguments: notRefusals)
    func garbleIsStillUnparseable(text: String, kind: AnswerKind) {
        let (answer, form) = AnswerParser.parse(text, as: kind)
        #expect(answer == nil, "\(text): \(String(describing: answer))")
        #expect(form == .unparseable)
    }

    /// Only questions about one object's colour, size or box read refusals; the others read
    /// "there is no red circle" as they always did.
    @Test func otherKindsReadARefusalAsTheirOwnAnswer() {
        #expect(AnswerParser.parse("there is no red circle", as: .yesNo).answer == .yesNo(false))
        #expect(AnswerParser.parse("there is no red circle", as: .count).answer == .count(0))
        #expect(AnswerParser.parse("there is no red circle", as: .objects).answer == .objects([]))
        #expect(AnswerParser.parse("no, it is red", as: .colour).answer == .colour(.red))
        #expect(AnswerParser.parse("[12, 30, 25, 44]", as: .box).answer == .box(Box(x1: 12, y1: 30, x2: 25, y2: 44)))
    }

    @Test func everyCanonicalTextParsesBackToItself() {
        let world = World.generate(Fixtures.smallOptions)
        let scenes = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0) })
        for prompt in world.prompts {
            let truth = prompt.question.reference(in: scenes[prompt.sceneID]!)
            let (answer, form) = AnswerParser.parse(prompt.reference, as: prompt.question.answerKind)
            #expect(form == .grammar, "\(prompt.id): \(prompt.reference)")
            // lists compare as multisets: the text groups identical objects
            if case .objects(let said) = answer, case .objects(let expected) = truth {
                #expect(said.count == expected.count && said.allSatisfy { m in said.filter { $0 == m }.count == expected.filter { $0 == m }.count },
                        "\(prompt.id)")
            } else {
                #expect(answer == truth, "\(prompt.id)")
            }
        }
    }
}
