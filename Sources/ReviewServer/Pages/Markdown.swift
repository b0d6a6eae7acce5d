import Foundation

/// The review guidelines' Markdown as HTML: headings (with IDs reason tags link to), paragraphs,
/// lists, fenced code, block quotes, and inline `**strong**`, `*emphasis*`, code and links (http,
/// https and in-page only; `_` is a letter, as in reason tag IDs). Everything else is text: the source is escaped before any markup is made, so
/// no HTML in it reaches the page.
enum Markdown {
    /// The ID of the heading with this text: `g-` and its lowercased letters and digits, runs of
    /// anything else as one `-` ("Wrong count" → `g-wrong-count`).
    static func anchor(_ heading: String) -> String {
        var slug = ""
        for character in heading.lowercased() {
            if character.isLetter || character.isNumber {
                slug.append(character)
            } else if !slug.isEmpty, slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.last == "-" { slug.removeLast() }
        return "g-" + slug
    }

    static func html(_ source: String) -> String {
        var out: [String] = []
        var paragraph: [String] = []
        var list: (tag: String, items: [String])?
        var quote: [String] = []
        var code: [String]?

        func flush() {
            if !paragraph.isEmpty { out.append("<p>" + inline(paragraph.joined(separator: " ")) + "</p>") }
            paragraph = []
            if let open = list { out.append("<\(open.tag)>" + open.items.map { "<li>\(inline($0))</li>" }.joined() + "</\(open.tag)>") }
            list = nil
            if !quote.isEmpty { out.append("<blockquote>" + inline(quote.joined(separator: " ")) + "</blockquote>") }
            quote = []
        }

        for raw in source.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var lines = code {
                if trimmed.hasPrefix("```") {
                    out.append("<pre><code>" + escaped(lines.joined(separator: "\n")) + "</code></pre>")
                    code = nil
                } else {
                    lines.append(line)
                    code = lines
                }
                continue
            }
            if trimmed.hasPrefix("```") {
                flush()
                code = []
            } else if trimmed.isEmpty {
                flush()
            } else if let level = headingLevel(trimmed) {
                flush()
                let text = trimmed.dropFirst(level).trimmingCharacters(in: .whitespaces)
                let tag = "h\(min(level + 2, 6))"
                out.append(#"<\#(tag) id="\#(escaped(anchor(text)))">\#(inline(text))</\#(tag)>"#)
            } else if let item = listItem(trimmed) {
                if !paragraph.isEmpty || !quote.isEmpty || (list != nil && list!.tag != item.tag) { flush() }
                list = (item.tag, (list?.items ?? []) + [item.text])
            } else if trimmed.hasPrefix(">") {
                if !paragraph.isEmpty || list != nil { flush() }
                quote.append(trimmed.dropFirst().trimmingCharacters(in: .whitespaces))
            } else if var open = list, line.hasPrefix(" ") || line.hasPrefix("\t") {
                open.items[open.items.count - 1] += " " + trimmed
                list = open
            } else {
                if list != nil || !quote.isEmpty { flush() }
                paragraph.append(trimmed)
            }
        }
        if let lines = code { out.append("<pre><code>" + escaped(lines.joined(separator: "\n")) + "</code></pre>") }
        flush()
        return out.joined(separator: "\n")
    }

    /// 1–6 for `# ` … `###### `.
    private static func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return hashes
    }

    /// `- item`, `* item` or `+ item` (ul); `1. item` or `1) item` (ol).
    private static func listItem(_ line: String) -> (tag: String, text: String)? {
        if let first = line.first, "-*+".contains(first), line.dropFirst().first == " " {
            return ("ul", line.dropFirst(2).trimmingCharacters(in: .whitespaces))
        }
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        let rest = line.dropFirst(digits.count)
        guard !digits.isEmpty, digits.count <= 9, let mark = rest.first, mark == "." || mark == ")", rest.dropFirst().first == " " else { return nil }
        return ("ol", rest.dropFirst(2).trimmingCharacters(in: .whitespaces))
    }

    /// Escapes the text, then makes code spans, links, strong and emphasis of its markers.
    static func inline(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let tick = rest.firstIndex(of: "`") {
            let after = rest[rest.index(after: tick)...]
            guard let close = after.firstIndex(of: "`") else { break }
            out += spans(String(rest[..<tick])) + "<code>" + escaped(String(after[..<close])) + "</code>"
            rest = after[after.index(after: close)...]
        }
        return out + spans(String(rest))
    }

    // Regex is not Sendable, but these are never changed after they are made.
    nonisolated(unsafe) private static let link = try! Regex(#"\[([^\]]+)\]\(((?:https?://|#)[^)\s"]*)\)"#)
    nonisolated(unsafe) private static let strong = try! Regex(#"\*\*([^*]+)\*\*"#)
    nonisolated(unsafe) private static let emphasis = try! Regex(#"\*([^*\s](?:[^*]*[^*\s])?)\*"#)

    /// Links, strong and emphasis in text without code spans; everything else escaped.
    private static func spans(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let match = rest.firstMatch(of: link) {
            let label = match.output[1].substring.map(String.init) ?? ""
            let target = match.output[2].substring.map(String.init) ?? ""
            let external = !target.hasPrefix("#")
            out += emphasised(String(rest[..<match.range.lowerBound]))
                + #"<a href="\#(escaped(target))"\#(external ? #" rel="noopener noreferrer" target="_blank""# : "")>\#(emphasised(label))</a>"#
            rest = rest[match.range.upperBound...]
        }
        return out + emphasised(String(rest))
    }

    private static func emphasised(_ text: String) -> String {
        var html = escaped(text)
        html = html.replacing(strong) { "<strong>" + String($0.output[1].substring ?? "") + "</strong>" }
        html = html.replacing(emphasis) { "<em>" + String($0.output[1].substring ?? "") + "</em>" }
        return html
    }
}
