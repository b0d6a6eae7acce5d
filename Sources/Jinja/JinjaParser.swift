/// Parses lexed template pieces into statements. Anything outside the supported subset is an
/// error that names the construct and its line.
struct JinjaParser {
    typealias Token = JinjaLexer.Token

    private let pieces: [JinjaLexer.Piece]
    private var position = 0
    // The tag being parsed.
    private var tokens: [Token] = []
    private var cursor = 0
    private var line = 0
    /// Blocks and expressions open around the current one: bounded, so that a crafted template
    /// cannot exhaust the stack of the parser or the interpreter.
    private var nesting = 0
    static let maximumNesting = 256

    static func parse(_ template: String) throws -> [JinjaStatement] {
        var parser = JinjaParser(pieces: try JinjaLexer.pieces(template))
        let (body, end) = try parser.statements(until: [])
        if let end { throw JinjaError("line \(end.line): unexpected '{% \(end.keyword) %}'") }
        return body
    }

    private init(pieces: [JinjaLexer.Piece]) {
        self.pieces = pieces
    }

    private func error(_ message: String) -> JinjaError { JinjaError("line \(line): \(message)") }

    /// Enters one more level of nesting, or refuses to.
    private mutating func nest() throws {
        nesting += 1
        if nesting > Self.maximumNesting { throw error("blocks or expressions nest deeper than \(Self.maximumNesting) levels") }
    }

    // MARK: Statements

    /// Statements up to one of the `until` keywords; returns that tag (its tokens stay current).
    private mutating func statements(until: Set<String>) throws -> ([JinjaStatement], (keyword: String, line: Int)?) {
        try nest()
        defer { nesting -= 1 }
        var body: [JinjaStatement] = []
        while position < pieces.count {
            let piece = pieces[position]
            position += 1
            switch piece {
            case .text(let t):
                body.append(.text(t))
            case let .tag(kind, tagTokens, tagLine):
                tokens = tagTokens
                cursor = 0
                line = tagLine
                if kind == .output {
                    let e = try expression()
                    try expectEnd()
                    body.append(.output(e, line: tagLine))
                    continue
                }
                guard case .name(let keyword) = tokens.first else { throw error("a statement tag must start with a keyword") }
                cursor = 1
                if until.contains(keyword) { return (body, (keyword, tagLine)) }
                body.append(try statement(keyword))
            }
        }
        if !until.isEmpty {
            throw JinjaError("line \(line): missing \(until.sorted().map { "'{% \($0) %}'" }.joined(separator: " or ")) before the end of the template")
        }
        return (body, nil)
    }

    private mutating func statement(_ keyword: String) throws -> JinjaStatement {
        let startLine = line
        switch keyword {
        case "if":
            var branches: [(JinjaExpression, [JinjaStatement])] = []
            var condition = try expression()
            try expectEnd()
            while true {
                let (body, end) = try statements(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                switch end!.keyword {
                case "elif":
                    condition = try expression()
                    try expectEnd()
                case "else":
                    try expectEnd()
                    let (otherwise, _) = try statements(until: ["endif"])
                    try expectEnd()
                    return .conditional(branches, otherwise: otherwise, line: startLine)
                default:
                    try expectEnd()
                    return .conditional(branches, otherwise: [], line: startLine)
                }
            }
        case "for":
            var targets = [try name()]
            while accept(.symbol(",")) { targets.append(try name()) }
            try expectKeyword("in")
            let iterable = try orExpression()
            var filter: JinjaExpression?
            if acceptKeyword("if") { filter = try expression() }
            if acceptKeyword("recursive") { throw error("unsupported construct: recursive for-loop") }
            try expectEnd()
            let (body, end) = try statements(until: ["else", "endfor"])
            var otherwise: [JinjaStatement] = []
            try expectEnd()
            if end!.keyword == "else" {
                (otherwise, _) = try statements(until: ["endfor"])
                try expectEnd()
            }
            return .loop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: startLine)
        case "set":
            let first = try name()
            var target = JinjaSetTarget.names([first])
            if accept(.symbol(".")) {
                target = .attribute(first, try name())
            } else {
                var names = [first]
                while accept(.symbol(",")) { names.append(try name()) }
                target = .names(names)
            }
            if accept(.symbol("=")) {
                let value = try expression()
                try expectEnd()
                return .set(target, value, line: startLine)
            }
            guard case .names(let names) = target, names.count == 1 else { throw error("a block set assigns one name") }
            if accept(.symbol("|")) { throw error("unsupported construct: filtered block set") }
            try expectEnd()
            let (body, _) = try statements(until: ["endset"])
            try expectEnd()
            return .setBlock(names[0], body: body, line: startLine)
        case "macro":
            let macroName = try name()
            try expect(.symbol("("))
            var parameters: [(String, JinjaExpression?)] = []
            while !accept(.symbol(")")) {
                let p = try name()
                parameters.append((p, accept(.symbol("=")) ? try expression() : nil))
                if !accept(.symbol(",")) {
                    try expect(.symbol(")"))
                    break
                }
            }
            try expectEnd()
            let (body, _) = try statements(until: ["endmacro"])
            try expectEnd()
            return .macro(JinjaMacro(name: macroName, parameters: parameters, body: body))
        case "break":
            try expectEnd()
            return .loopBreak(line: startLine)
        case "continue":
            try expectEnd()
            return .loopContinue(line: startLine)
        case "generation":
            try expectEnd()
            let (body, _) = try statements(until: ["endgeneration"])
            try expectEnd()
            return .generation(body)
        case "elif", "else", "endif", "endfor", "endset", "endmacro", "endgeneration":
            throw error("unexpected '{% \(keyword) %}'")
        default:
            throw error("unsupported construct: '{% \(keyword) %}' statement")
        }
    }

    // MARK: Token helpers

    private var current: Token? { cursor < tokens.count ? tokens[cursor] : nil }

    private mutating func accept(_ token: Token) -> Bool {
        guard current == token else { return false }
        cursor += 1
        return true
    }

    private mutating func acceptKeyword(_ word: String) -> Bool { accept(.name(word)) }

    private mutating func expect(_ token: Token) throws {
        guard accept(token) else { throw error("expected \(describe(token)), found \(current.map(describe) ?? "the end of the tag")") }
    }

    private mutating func expectKeyword(_ word: String) throws { try expect(.name(word)) }

    private func expectEnd() throws {
        if let t = current { throw error("unexpected \(describe(t)) in a tag") }
    }

    private mutating func name() throws -> String {
        guard case .name(let n) = current else { throw error("expected a name, found \(current.map(describe) ?? "the end of the tag")") }
        cursor += 1
        return n
    }

    private func describe(_ t: Token) -> String {
        switch t {
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string \(JinjaValue.pythonStringRepr(s))"
        case .int(let i): return "number \(i)"
        case .double(let d): return "number \(d)"
        case .symbol(let s): return "'\(s)'"
        }
    }

    // MARK: Expressions (Jinja's precedence, lowest first)

    private mutating func expression() throws -> JinjaExpression {
        try nest()
        defer { nesting -= 1 }
        let value = try orExpression()
        if acceptKeyword("if") {
            let condition = try orExpression()
            let otherwise = acceptKeyword("else") ? try expression() : nil
            return .conditional(value, condition: condition, otherwise: otherwise)
        }
        return value
    }

    private mutating func orExpression() throws -> JinjaExpression {
        var left = try andExpression()
        while acceptKeyword("or") { left = .binary("or", left, try andExpression()) }
        return left
    }

    private mutating func andExpression() throws -> JinjaExpression {
        var left = try notExpression()
        while acceptKeyword("and") { left = .binary("and", left, try notExpression()) }
        return left
    }

    private mutating func notExpression() throws -> JinjaExpression {
        try nest()
        defer { nesting -= 1 }
        if acceptKeyword("not") { return .unary("not", try notExpression()) }
        return try comparison()
    }

    private mutating func comparison() throws -> JinjaExpression {
        let first = try additive()
        var chain: [(String, JinjaExpression)] = []
        while true {
            if case .symbol(let s) = current, ["==", "!=", "<", "<=", ">", ">="].contains(s) {
                cursor += 1
                chain.append((s, try additive()))
            } else if acceptKeyword("in") {
                chain.append(("in", try additive()))
            } else if current == .name("not"), cursor + 1 < tokens.count, tokens[cursor + 1] == .name("in") {
                cursor += 2
                chain.append(("not in", try additive()))
            } else {
                return chain.isEmpty ? first : .comparison(first, chain)
            }
        }
    }

    private mutating func additive() throws -> JinjaExpression {
        var left = try concatenation()
        while case .symbol(let s) = current, s == "+" || s == "-" {
            cursor += 1
            left = .binary(s, left, try concatenation())
        }
        return left
    }

    private mutating func concatenation() throws -> JinjaExpression {
        var left = try multiplicative()
        while accept(.symbol("~")) { left = .binary("~", left, try multiplicative()) }
        return left
    }

    private mutating func multiplicative() throws -> JinjaExpression {
        var left = try power()
        while case .symbol(let s) = current, ["*", "/", "//", "%"].contains(s) {
            cursor += 1
            left = .binary(s, left, try power())
        }
        return left
    }

    private mutating func power() throws -> JinjaExpression {
        var left = try unary()
        while accept(.symbol("**")) { left = .binary("**", left, try unary()) }
        return left
    }

    private mutating func unary() throws -> JinjaExpression {
        if accept(.symbol("-")) { return try filtersAndTests(.unary("-", try unary(withFilters: false))) }
        if accept(.symbol("+")) { return try filtersAndTests(.unary("+", try unary(withFilters: false))) }
        return try unary(withFilters: true)
    }

    private mutating func unary(withFilters: Bool) throws -> JinjaExpression {
        try nest()
        defer { nesting -= 1 }
        if accept(.symbol("-")) { return .unary("-", try unary(withFilters: false)) }
        let node = try postfix(try primary())
        return withFilters ? try filtersAndTests(node) : node
    }

    private mutating func primary() throws -> JinjaExpression {
        guard let t = current else { throw error("expected an expression, found the end of the tag") }
        cursor += 1
        switch t {
        case .string(var s):
            // Adjacent literals concatenate, as in Python.
            while case .string(let more) = current { s += more; cursor += 1 }
            return .literal(.string(s))
        case .int(let i): return .literal(.int(i))
        case .double(let d): return .literal(.double(d))
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .symbol("("):
            if accept(.symbol(")")) { return .list([]) }
            let first = try expression()
            if accept(.symbol(")")) { return first }
            var items = [first]
            while accept(.symbol(",")) {
                if current == .symbol(")") { break }
                items.append(try expression())
            }
            try expect(.symbol(")"))
            return .list(items)
        case .symbol("["):
            var items: [JinjaExpression] = []
            while !accept(.symbol("]")) {
                items.append(try expression())
                if !accept(.symbol(",")) {
                    try expect(.symbol("]"))
                    break
                }
            }
            return .list(items)
        case .symbol("{"):
            var members: [(JinjaExpression, JinjaExpression)] = []
            while !accept(.symbol("}")) {
                let key = try expression()
                try expect(.symbol(":"))
                members.append((key, try expression()))
                if !accept(.symbol(",")) {
                    try expect(.symbol("}"))
                    break
                }
            }
            return .dict(members)
        default:
            throw error("unexpected \(describe(t)) in an expression")
        }
    }

    private mutating func postfix(_ base: JinjaExpression) throws -> JinjaExpression {
        var node = base
        while true {
            if accept(.symbol(".")) {
                if case .int(let i) = current {
                    cursor += 1
                    node = .item(node, .literal(.int(i)))
                } else {
                    node = .attribute(node, try name())
                }
            } else if accept(.symbol("[")) {
                node = try subscriptOrSlice(node)
            } else if current == .symbol("(") {
                cursor += 1
                let (arguments, keywords) = try callArguments()
                node = .call(node, arguments: arguments, keywords: keywords)
            } else {
                return node
            }
        }
    }

    private mutating func subscriptOrSlice(_ base: JinjaExpression) throws -> JinjaExpression {
        var parts: [JinjaExpression?] = [nil]
        var isSlice = false
        while !accept(.symbol("]")) {
            if accept(.symbol(":")) {
                isSlice = true
                parts.append(nil)
                continue
            }
            guard parts[parts.count - 1] == nil else { throw error("expected ':' or ']' in a subscript") }
            parts[parts.count - 1] = try expression()
        }
        if !isSlice {
            guard let index = parts[0] else { throw error("empty subscript") }
            return .item(base, index)
        }
        guard parts.count <= 3 else { throw error("a slice has at most three parts") }
        return .slice(base, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil)
    }

    /// After the '(': positional and keyword arguments up to the ')'.
    private mutating func callArguments() throws -> ([JinjaExpression], [(String, JinjaExpression)]) {
        var arguments: [JinjaExpression] = []
        var keywords: [(String, JinjaExpression)] = []
        while !accept(.symbol(")")) {
            if case .name(let n) = current, cursor + 1 < tokens.count, tokens[cursor + 1] == .symbol("=") {
                cursor += 2
                keywords.append((n, try expression()))
            } else {
                if current == .symbol("*") || current == .symbol("**") { throw error("unsupported construct: argument unpacking") }
                arguments.append(try expression())
            }
            if !accept(.symbol(",")) {
                try expect(.symbol(")"))
                break
            }
        }
        return (arguments, keywords)
    }

    private mutating func filtersAndTests(_ base: JinjaExpression) throws -> JinjaExpression {
        var node = base
        while true {
            if accept(.symbol("|")) {
                let filterName = try name()
                var arguments: [JinjaExpression] = [], keywords: [(String, JinjaExpression)] = []
                if accept(.symbol("(")) { (arguments, keywords) = try callArguments() }
                node = .filter(node, name: filterName, arguments: arguments, keywords: keywords)
                node = try postfix(node)
            } else if acceptKeyword("is") {
                let negated = acceptKeyword("not")
                var testName: String
                switch current {
                case .name(let n): testName = n
                case .symbol(let s) where ["==", "!=", "<", "<=", ">", ">="].contains(s): testName = s
                default: throw error("expected a test name after 'is'")
                }
                cursor += 1
                if testName == "none" || testName == "None" { testName = "none" }
                if testName == "true" || testName == "True" { testName = "true" }
                if testName == "false" || testName == "False" { testName = "false" }
                var arguments: [JinjaExpression] = []
                if accept(.symbol("(")) {
                    let (a, k) = try callArguments()
                    guard k.isEmpty else { throw error("tests take no keyword arguments") }
                    arguments = a
                } else if let t = current, Self.startsTestArgument(t) {
                    // `x is divisibleby 3`, `x is sameas none`: one argument without parentheses.
                    arguments = [try postfix(try primary())]
                }
                node = .test(node, name: testName, arguments: arguments, negated: negated)
            } else {
                return node
            }
        }
    }

    private static func startsTestArgument(_ t: Token) -> Bool {
        switch t {
        case .string, .int, .double: return true
        case .name(let n): return !["and", "or", "if", "else", "in", "not", "is"].contains(n)
        case .symbol(let s): return s == "[" || s == "{"
        }
    }
}
