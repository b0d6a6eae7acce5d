/// The answer grammar. Canonical forms:
///
///     yes-no   := "yes" | "no"
///     count    := digits                                   "3"
///     colour   := red | orange | yellow | green | blue | purple
///     size     := small | large
///     box      := "[" int ", " int ", " int ", " int "]"  "[12, 30, 25, 44]"
///     objects  := "nothing" | group ("," group)* " and " group
///     group    := ("a" | "an" | two … six) size colour shape(s)
///                                      "two small red circles and a large blue square"
///     refusal  := "there is no " phrase                     "there is no blue star"
///     phrase   := [size] [colour] shape                     (the subject as asked)
///
/// A refusal is read only where a question asks for one object's colour, size or box (the
/// attributes, grounding and unanswerable categories); elsewhere "there is no star" reads as
/// the kind asked for ("no", a count of 0, an empty list), as it always did.
///
/// Case and spacing are not part of the grammar ("[ 12, 30, 25, 44 ]" and "Yes" are in it).

public enum AnswerKind: String, Codable, Sendable {
    case yesNo = "yes_no", count, colour, size, box, objects
}

public enum Answer: Equatable, Sendable {
    case yesNo(Bool)
    case count(Int)
    case colour(Colour)
    case size(Size)
    case box(Box)
    /// One entry per object, in order; identical neighbours-in-kind are grouped when written.
    case objects([ObjectDescription])
    /// "There is no blue star": the object asked about is not in the image. Nil when the text
    /// says so without naming it ("none", "no such object"), never in the grammar.
    case refusal(ObjectDescription?)

    /// Whether every object mention states size, colour and shape, as the grammar requires.
    var isComplete: Bool {
        if case .objects(let mentions) = self { return mentions.allSatisfy { $0.specificity == 3 } }
        if case .refusal(nil) = self { return false }
        return true
    }

    /// The canonical text.
    public var text: String {
        switch self {
        case .yesNo(let yes): return yes ? "yes" : "no"
        case .count(let n): return String(n)
        case .colour(let colour): return colour.rawValue
        case .size(let size): return size.rawValue
        case .box(let box): return box.description
        case .refusal(let subject): return "there is no " + (subject?.phrase ?? "such object")
        case .objects(let mentions):
            guard !mentions.isEmpty else { return "nothing" }
            var groups: [(ObjectDescription, Int)] = []
            for mention in mentions {
                if let i = groups.firstIndex(where: { $0.0 == mention }) { groups[i].1 += 1 } else { groups.append((mention, 1)) }
            }
            let phrases = groups.map { mention, n in
                // a model's answer may repeat a mention more often than there are number words
                n == 1 ? mention.withArticle
                    : "\(n < AnswerParser.numberWords.count ? AnswerParser.numberWords[n] : String(n)) \(mention.pluralPhrase)"
            }
            return phrases.count == 1
                ? phrases[0] : phrases.dropLast().joined(separator: ", ") + " and " + phrases.last!
        }
    }
}

/// How an answer's text relates to the grammar.
public enum AnswerForm: String, Codable, Sendable {
    /// Exactly the canonical form of what it says (up to case and spacing).
    case grammar
    /// Off the grammar, but what it says could be read: "Yes, there is.", "3 circles".
    case freeText = "free_text"
    /// Nothing of the expected kind could be read, or it contradicts itself.
    case unparseable
}

public enum AnswerParser {
    static let numberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]

    /// Reads `text` as an answer of `kind`: in the grammar, as free text, or not at all.
    public static func parse(_ text: String, as kind: AnswerKind) -> (answer: Answer?, form: AnswerForm) {
        let tokens = tokenize(text)
        let refusal = [.colour, .size, .box].contains(kind) ? readRefusal(tokens) : nil
        guard let answer = refusal ?? read(tokens, as: kind) else { return (nil, .unparseable) }
        return (answer, answer.isComplete && tokenize(answer.text) == tokens ? .grammar : .freeText)
    }

    /// Lower-cased words, digit runs, and single punctuation marks; spacing dropped.
    static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var currentIsDigits = false
        func flush() {
            if !current.isEmpty { tokens.append(current) }
            current = ""
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                let isDigit = character.isASCII && character.isNumber
                if !current.isEmpty && isDigit != currentIsDigits { flush() }
                currentIsDigits = isDigit
                current.append(character)
            } else {
                flush()
                if !character.isWhitespace { tokens.append(String(character)) }
            }
        }
        flush()
        return tokens
    }

    private static func read(_ tokens: [String], as kind: AnswerKind) -> Answer? {
        switch kind {
        case .yesNo:
            let said = Set(tokens.filter { $0 == "yes" || $0 == "no" })
            return said.count == 1 ? .yesNo(said.first == "yes") : nil
        case .count:
            if let n = tokens.lazy.compactMap(number).first { return .count(n) }
            // "none", "there are no circles"; but not "no idea"
            if case .objects(let mentions)? = readObjects(tokens), mentions.isEmpty { return .count(0) }
            return nil
        case .colour:
            let said = Set(tokens.compactMap(Colour.init(rawValue:)))
            return said.count == 1 ? .colour(said.first!) : nil
        case .size:
            let said = Set(tokens.compactMap(Size.init(rawValue:)))
            return said.count == 1 ? .size(said.first!) : nil
        case .box:
            let numbers = tokens.compactMap { $0.first!.isNumber ? Int($0) : nil }
            return numbers.count == 4 ? .box(Box(x1: numbers[0], y1: numbers[1], x2: numbers[2], y2: numbers[3])) : nil
        case .objects:
            return readObjects(tokens)
        }
    }

    /// How a refusal may begin: "there is no", "there isn't a", "I don't see any", "no", …
    /// (apostrophes are tokens of their own: "isn't" is "isn", "'", "t").
    static let refusalOpenings: [[String]] = [
        ["there", "is", "no"], ["there", "are", "no"], ["there", "'", "s", "no"],
        ["there", "is", "not"], ["there", "are", "not"], ["there", "isn", "'", "t"], ["there", "aren", "'", "t"],
        ["i", "see", "no"], ["i", "do", "not", "see"], ["i", "don", "'", "t", "see"], ["i", "cannot", "see"],
        ["i", "can", "'", "t", "see"], ["the", "image", "has", "no"], ["no"],
    ]
    /// Where a refusal may end: "… in the image", "… here".
    static let refusalEndings: [[String]] = [["in", "the", "image"], ["in", "this", "image"], ["in", "the", "picture"], ["here"]]

    /// A refusal, the whole text: an opening, "a"/"an"/"any", then a phrase ([size] [colour]
    /// noun, a shape or "object") or "such object", then perhaps an ending and a full stop;
    /// or "none", "nothing", "there is none". "No, there is no star." too; "no, it is red" not.
    private static func readRefusal(_ tokens: [String]) -> Answer? {
        var rest = tokens.map { $0 == "\u{2019}" ? "'" : $0 }
        while let last = rest.last, [".", "!"].contains(last) { rest.removeLast() }
        if rest.starts(with: ["no", ","]) && rest.count > 2 { rest.removeFirst(2) }
        if [["none"], ["nothing"], ["there", "is", "none"], ["there", "is", "nothing"]].contains(rest) { return .refusal(nil) }
        for ending in refusalEndings where rest.count > ending.count && Array(rest.suffix(ending.count)) == ending {
            rest.removeLast(ending.count)
            break
        }
        guard let opening = refusalOpenings.first(where: { rest.starts(with: $0) }) else { return nil }
        rest.removeFirst(opening.count)
        if let first = rest.first, ["a", "an", "any"].contains(first) { rest.removeFirst() }
        if rest.count == 2 && rest[0] == "such" && noun(rest[1]) != nil { return .refusal(nil) }
        var phrase = ObjectDescription()
        if let first = rest.first, let size = Size(rawValue: first) { phrase.size = size; rest.removeFirst() }
        if let first = rest.first, let colour = Colour(rawValue: first) { phrase.colour = colour; rest.removeFirst() }
        guard rest.count == 1, let shape = noun(rest[0]) else { return nil }
        phrase.shape = shape
        return .refusal(phrase)
    }

    /// A digit run or a number word.
    private static func number(_ token: String) -> Int? {
        if token.first!.isNumber { return Int(token) }
        return numberWords.firstIndex(of: token)
    }

    /// Noun phrases "[quantity] [size] [colour] noun", anywhere in the text; other words are
    /// skipped. Nouns: a shape, singular or plural, or "object(s)"/"shape(s)" (any shape).
    private static func readObjects(_ tokens: [String]) -> Answer? {
        var mentions: [ObjectDescription] = []
        var quantity: Int?
        var adjectives = ObjectDescription()
        var sawNone = false
        for token in tokens {
            if let size = Size(rawValue: token) {
                adjectives.size = size
            } else if let colour = Colour(rawValue: token) {
                adjectives.colour = colour
            } else if let noun = noun(token) {
                var mention = adjectives
                mention.shape = noun
                // "no red circles" names nothing; a bare plural names at least one
                let n = min(quantity ?? 1, 10)
                mentions += Array(repeating: mention, count: n)
                if n == 0 { sawNone = true }
                (quantity, adjectives) = (nil, ObjectDescription())
            } else if token == "a" || token == "an" {
                (quantity, adjectives) = (1, ObjectDescription())
            } else if token == "no" {
                (quantity, adjectives) = (0, ObjectDescription())
            } else if let n = number(token) {
                (quantity, adjectives) = (n, ObjectDescription())
            } else if token == "nothing" || token == "none" {
                sawNone = true
            }
        }
        if mentions.isEmpty && !sawNone { return nil }
        return .objects(mentions)
    }

    /// The shape a noun names (nil inside: "object" names any shape); nil outside for no noun.
    private static func noun(_ token: String) -> Shape?? {
        for shape in Shape.allCases where token == shape.rawValue || token == shape.plural {
            return .some(shape)
        }
        return ["object", "objects", "shape", "shapes"].contains(token) ? .some(nil) : nil
    }
}
