extension String {
    /// The pieces between occurrences of `separator`, compared by code point (n occurrences
    /// give n+1 pieces), as Python's `str.split(sep)` does; Swift's own comparison of strings
    /// would match canonically equivalent text too.
    public func split(separatorString separator: String) -> [String] {
        let s = Array(unicodeScalars), sep = Array(separator.unicodeScalars)
        var parts: [String] = []
        var start = 0, i = 0
        while i + sep.count <= s.count {
            if s[i] == sep[0], Array(s[i..<(i + sep.count)]) == sep {
                parts.append(String(String.UnicodeScalarView(s[start..<i])))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(String.UnicodeScalarView(s[start...])))
        return parts
    }
}
