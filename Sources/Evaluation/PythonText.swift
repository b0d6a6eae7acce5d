/// The pieces of Python's `str` that the reference metrics (sacrebleu, rouge-score, SQuAD's
/// script, bert-score) lean on, over Unicode code points as Python's strings hold them.
enum PythonText {
    /// `str.isspace()`: what `str.split()` with no argument splits on and `str.strip()` removes
    /// (bidirectional classes WS, B, S and category Zs; U+200B is not among them).
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// `str.split()`: runs of non-whitespace.
    static func split(_ text: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = [], word: [Unicode.Scalar] = []
        for s in text {
            if isSpace(s) {
                if !word.isEmpty { words.append(word); word = [] }
            } else {
                word.append(s)
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// `str.strip()`.
    static func strip(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else { return [] }
        return Array(text[first...last])
    }

    /// `str.rstrip()`.
    static func rstrip(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let last = text.lastIndex(where: { !isSpace($0) }) else { return [] }
        return Array(text[...last])
    }

    /// `str.replace(old, new)`: every non-overlapping occurrence, left to right.
    static func replace(_ text: [Unicode.Scalar], _ old: String, _ new: String) -> [Unicode.Scalar] {
        let o = Array(old.unicodeScalars), n = Array(new.unicodeScalars)
        guard !o.isEmpty, text.count >= o.count else { return text }
        var out: [Unicode.Scalar] = [], i = 0
        out.reserveCapacity(text.count)
        while i < text.count {
            if i + o.count <= text.count && text[i..<i + o.count].elementsEqual(o) {
                out += n
                i += o.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// `str.lower()`: each code point's full lower-case mapping (U+0130 → "i̇"), and Σ as
    /// Python maps it — final "ς" when a cased letter precedes it and none follows it (case-ignorable
    /// code points skipped on both sides), "σ" otherwise. Swift's `lowercased()` gives "σ" always.
    static func lower(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for (i, s) in text.enumerated() {
            guard s.value == 0x03A3 else {
                out += s.properties.lowercaseMapping.unicodeScalars
                continue
            }
            let before = text[..<i].last { !$0.properties.isCaseIgnorable }
            let after = text[(i + 1)...].first { !$0.properties.isCaseIgnorable }
            let final = before?.properties.isCased == true && after?.properties.isCased != true
            out.append(final ? "\u{3C2}" : "\u{3C3}")
        }
        return out
    }

    /// `needle in text`, code point by code point.
    static func contains(_ text: [Unicode.Scalar], _ needle: [Unicode.Scalar]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard text.count >= needle.count else { return false }
        return (0...(text.count - needle.count)).contains { text[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// `\d` of Python's `re` on a `str`: a decimal digit of any script (category Nd), not only 0-9.
    static func isDecimalDigit(_ s: Unicode.Scalar) -> Bool { s.properties.numericType == .decimal }

    static func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

    static func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        return String(s)
    }

    static func isASCIIDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 0x30 && s.value <= 0x39 }
}
