/// sacrebleu's default BLEU tokenizer, "13a" (mteval-v13a.pl's): `<skipped>` removed, lines
/// joined, the four HTML entities unescaped, then its regular expressions — ASCII punctuation
/// and symbols split off; `.` and `,` split off unless between digits; `-` split off after a
/// digit — and the result split on Python's whitespace.
public enum Tokenizer13a {
    public static func tokenize(_ line: String) -> [String] {
        var s = PythonText.scalars(line)
        s = PythonText.replace(s, "<skipped>", "")
        s = PythonText.replace(s, "-\n", "")
        s = PythonText.replace(s, "\n", " ")
        if s.contains("&") {
            for (entity, character) in [("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")] {
                s = PythonText.replace(s, entity, character)
            }
        }
        s = [" "] + s + [" "]
        s = splitSymbols(s)
        s = pairs(s) { !PythonText.isASCIIDigit($0) && isPeriodOrComma($1) } replacement: { [$0, " ", $1, " "] }
        s = pairs(s) { isPeriodOrComma($0) && !PythonText.isASCIIDigit($1) } replacement: { [" ", $0, " ", $1] }
        s = pairs(s) { PythonText.isASCIIDigit($0) && $1 == "-" } replacement: { [$0, " ", $1, " "] }
        return PythonText.split(s).map(PythonText.string)
    }

    /// `([\{-\~\[-\` -\&\(-\+\:-\@\/])` → ` \1 `.
    private static func splitSymbols(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count * 2)
        for c in s {
            switch c.value {
            case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: out += [" ", c, " "]
            default: out.append(c)
            }
        }
        return out
    }

    private static func isPeriodOrComma(_ c: Unicode.Scalar) -> Bool { c == "." || c == "," }

    /// `re.sub` of a two-character pattern: non-overlapping matches, left to right.
    private static func pairs(
        _ s: [Unicode.Scalar], _ matches: (Unicode.Scalar, Unicode.Scalar) -> Bool,
        replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = [], i = 0
        out.reserveCapacity(s.count + s.count / 2)
        while i < s.count {
            if i + 1 < s.count && matches(s[i], s[i + 1]) {
                out += replacement(s[i], s[i + 1])
                i += 2
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }
}
