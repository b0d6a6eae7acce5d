/// The VQA convention's answer normalisation, as the official VQA evaluation (GT-Vision-Lab's
/// vqaEval.py; mmpretrain's `evaluation/metrics/vqa.py`, `VQAAcc._process_answer`; LAVIS) does it,
/// over code points as Python's strings hold them:
///
/// 1. newlines and tabs become spaces, then `strip()`;
/// 2. punctuation: each of `; / [ ] " { } ( ) = + \ _ - > < @ ` , ? !` is deleted when it has a
///    space beside it somewhere in the answer, or when the answer has a comma between two digits
///    anywhere (then all of them are deleted) — else replaced by a space; then each "." that is
///    not followed by a digit is deleted, **at most 32 of them** (the reference passes
///    `re.UNICODE`, 32, where `re.sub` takes its count). Digits are those of Python's `\d`
///    (any script);
/// 3. words: lower-cased (`str.lower()`), split on whitespace; the number words "none", "zero" …
///    "ten" become digits, the articles "a", "an", "the" are dropped, and the reference's
///    contractions table restores apostrophes ("dont" → "don't"; its entries are kept as they
///    are, "somebody'd" → "somebodyd" and the never-matching capitalised keys included); joined
///    with single spaces.
///
/// "Two dogs." → "2 dogs", "3,000" → "3000", "1.5" stays, "a/b" → "b" (the "a" left is an
/// article). Equality afterwards is code point equality, as Python's.
extension ExactMatch {
    /// The answer normalised as the VQA evaluation does it.
    public static func vqaNormalized(_ answer: String) -> String {
        PythonText.string(vqaNormalizedScalars(answer))
    }

    /// Whether the two answers are equal once both are VQA-normalised.
    public static func vqaMatches(hypothesis: String, reference: String) -> Bool {
        vqaNormalizedScalars(hypothesis) == vqaNormalizedScalars(reference)
    }

    /// VQA exact match: the share of pairs whose VQA-normalised answers are equal (0 for none).
    /// (One reference per answer, not the VQA accuracy over ten annotators' answers.)
    public static func vqaShare(hypotheses: [String], references: [String]) -> Double {
        precondition(hypotheses.count == references.count, "VQA exact match needs one reference per hypothesis")
        guard !hypotheses.isEmpty else { return 0 }
        return Double(zip(hypotheses, references).filter { vqaMatches(hypothesis: $0, reference: $1) }.count) / Double(hypotheses.count)
    }

    static func vqaNormalized(scalars answer: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let space: Unicode.Scalar = " "
        let flattened = answer.map { $0 == "\n" || $0 == "\t" ? space : $0 }
        return VQATables.wordsProcessed(VQATables.punctuationProcessed(PythonText.strip(flattened)))
    }

    static func vqaNormalizedScalars(_ answer: String) -> [Unicode.Scalar] {
        vqaNormalized(scalars: PythonText.scalars(answer))
    }
}

/// The reference's two processing steps and their tables (transcribed from vqaEval.py as mmpretrain
/// 1.2.0 carries it).
enum VQATables {
    static let punctuation: [Unicode.Scalar] = [";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-",
                                                ">", "<", "@", "`", ",", "?", "!"]

    /// How many periods the reference's `periodStrip.sub("", text, re.UNICODE)` deletes at most.
    static let periodLimit = 32

    static func punctuationProcessed(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let space: Unicode.Scalar = " "
        // a comma between digits anywhere: every mark is deleted, not spaced
        let digitComma = text.indices.dropFirst().dropLast().contains {
            text[$0] == "," && PythonText.isDecimalDigit(text[$0 - 1]) && PythonText.isDecimalDigit(text[$0 + 1])
        }
        var out = text
        for mark in punctuation {
            // the conditions look at the answer as it came in, the replacement works on the result so far
            let delete = digitComma || PythonText.contains(text, [mark, space]) || PythonText.contains(text, [space, mark])
            out = out.flatMap { $0 == mark ? (delete ? [] : [space]) : [$0] }
        }
        // periods not followed by a digit (judged on the text before any is deleted), the first 32
        var kept: [Unicode.Scalar] = [], deleted = 0
        kept.reserveCapacity(out.count)
        for (i, s) in out.enumerated() {
            if s == ".", deleted < periodLimit, !(i + 1 < out.count && PythonText.isDecimalDigit(out[i + 1])) {
                deleted += 1
            } else {
                kept.append(s)
            }
        }
        return kept
    }

    static func wordsProcessed(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let words = PythonText.split(PythonText.lower(text))
            .map { numberWords[$0] ?? $0 }
            .filter { !articles.contains($0) }
            .map { contractions[$0] ?? $0 }
        let space: Unicode.Scalar = " "
        return Array(words.joined(separator: [space]))
    }

    static let articles = Set(["a", "an", "the"].map(PythonText.scalars))

    /// The reference's `manualMap`.
    static let numberWords = table([
        "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
        "eight": "8", "nine": "9", "ten": "10",
    ])

    /// The reference's `contractions`, all 120 entries, as they are.
    static let contractions = table([
        "aint": "ain't", "arent": "aren't", "cant": "can't", "couldve": "could've", "couldnt": "couldn't",
        "couldn'tve": "couldn't've", "couldnt've": "couldn't've", "didnt": "didn't", "doesnt": "doesn't",
        "dont": "don't", "hadnt": "hadn't", "hadnt've": "hadn't've", "hadn'tve": "hadn't've", "hasnt": "hasn't",
        "havent": "haven't", "hed": "he'd", "hed've": "he'd've", "he'dve": "he'd've", "hes": "he's", "howd": "how'd",
        "howll": "how'll", "hows": "how's", "Id've": "I'd've", "I'dve": "I'd've", "Im": "I'm", "Ive": "I've",
        "isnt": "isn't", "itd": "it'd", "itd've": "it'd've", "it'dve": "it'd've", "itll": "it'll", "let's": "let's",
        "maam": "ma'am", "mightnt": "mightn't", "mightnt've": "mightn't've", "mightn'tve": "mightn't've",
        "mightve": "might've", "mustnt": "mustn't", "mustve": "must've", "neednt": "needn't", "notve": "not've",
        "oclock": "o'clock", "oughtnt": "oughtn't", "ow's'at": "'ow's'at", "'ows'at": "'ow's'at",
        "'ow'sat": "'ow's'at", "shant": "shan't", "shed've": "she'd've", "she'dve": "she'd've", "she's": "she's",
        "shouldve": "should've", "shouldnt": "shouldn't", "shouldnt've": "shouldn't've", "shouldn'tve": "shouldn't've",
        "somebody'd": "somebodyd", "somebodyd've": "somebody'd've", "somebody'dve": "somebody'd've",
        "somebodyll": "somebody'll", "somebodys": "somebody's", "someoned": "someone'd", "someoned've": "someone'd've",
        "someone'dve": "someone'd've", "someonell": "someone'll", "someones": "someone's", "somethingd": "something'd",
        "somethingd've": "something'd've", "something'dve": "something'd've", "somethingll": "something'll",
        "thats": "that's", "thered": "there'd", "thered've": "there'd've", "there'dve": "there'd've",
        "therere": "there're", "theres": "there's", "theyd": "they'd", "theyd've": "they'd've",
        "they'dve": "they'd've", "theyll": "they'll", "theyre": "they're", "theyve": "they've", "twas": "'twas",
        "wasnt": "wasn't", "wed've": "we'd've", "we'dve": "we'd've", "weve": "we've", "werent": "weren't",
        "whatll": "what'll", "whatre": "what're", "whats": "what's", "whatve": "what've", "whens": "when's",
        "whered": "where'd", "wheres": "where's", "whereve": "where've", "whod": "who'd", "whod've": "who'd've",
        "who'dve": "who'd've", "wholl": "who'll", "whos": "who's", "whove": "who've", "whyll": "why'll",
        "whyre": "why're", "whys": "why's", "wont": "won't", "wouldve": "would've", "wouldnt": "wouldn't",
        "wouldnt've": "wouldn't've", "wouldn'tve": "wouldn't've", "yall": "y'all", "yall'll": "y'all'll",
        "y'allll": "y'all'll", "yall'd've": "y'all'd've", "y'alld've": "y'all'd've", "y'all'dve": "y'all'd've",
        "youd": "you'd", "youd've": "you'd've", "you'dve": "you'd've", "youll": "you'll", "youre": "you're",
        "youve": "you've",
    ])

    /// Keyed by code points, so a lookup is Python's (Swift's `String` equality would let U+037E
    /// stand for ";").
    private static func table(_ entries: [String: String]) -> [[Unicode.Scalar]: [Unicode.Scalar]] {
        Dictionary(uniqueKeysWithValues: entries.map { (PythonText.scalars($0.key), PythonText.scalars($0.value)) })
    }
}
