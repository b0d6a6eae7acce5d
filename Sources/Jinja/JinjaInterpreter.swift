import Foundation

/// What one rendering may take: a template is input, and a crafted one must end with an error,
/// not exhaust the stack, the memory or the time.
enum JinjaLimits {
    /// Nested macro calls (a recursive macro stops here).
    static let depth = 64
    /// Statements run and loop iterations, in all.
    static let steps = 1_000_000
    /// Characters of output, and of any string or list one operation builds.
    static let size = 1 << 24
}

/// Renders parsed template statements with Python/Jinja semantics for the supported subset.
final class JinjaInterpreter {
    private enum Flow { case normal, breakLoop, continueLoop }

    /// Innermost scope last. The first holds the template's variables; loops and macros push one.
    private var scopes: [[String: JinjaValue]]
    private var output = ""
    private var steps = 0
    private var depth = 0

    init(variables: [String: JinjaValue]) {
        scopes = [variables]
    }

    func render(_ statements: [JinjaStatement]) throws -> String {
        output = ""
        _ = try run(statements)
        return output
    }

    // MARK: Statements

    private func run(_ statements: [JinjaStatement]) throws -> Flow {
        for statement in statements {
            try step()
            let flow = try execute(statement)
            if output.utf8.count > JinjaLimits.size { throw JinjaError("the output is over \(JinjaLimits.size) bytes") }
            if flow != .normal { return flow }
        }
        return .normal
    }

    /// Counts a statement or a loop iteration against the budget.
    private func step() throws {
        steps += 1
        if steps > JinjaLimits.steps { throw JinjaError("the template takes more than \(JinjaLimits.steps) steps") }
    }

    private func atLine<T>(_ line: Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as JinjaError where !error.message.hasPrefix("line ") {
            throw JinjaError("line \(line): \(error.message)")
        }
    }

    private func execute(_ statement: JinjaStatement) throws -> Flow {
        switch statement {
        case .text(let t):
            output += t
        case let .output(expression, line):
            output += try atLine(line) { try evaluate(expression).text }
        case let .conditional(branches, otherwise, line):
            for (condition, body) in branches where try atLine(line, { try evaluate(condition).isTruthy }) {
                return try run(body)
            }
            return try run(otherwise)
        case let .loop(targets, iterable, filter, body, otherwise, line):
            return try atLine(line) { try loop(targets, iterable, filter, body, otherwise) }
        case let .set(target, expression, line):
            try atLine(line) {
                let value = try evaluate(expression)
                switch target {
                case .names(let names):
                    if names.count == 1 {
                        scopes[scopes.count - 1][names[0]] = value
                    } else {
                        let items = try unpack(value, count: names.count)
                        for (n, v) in zip(names, items) { scopes[scopes.count - 1][n] = v }
                    }
                case let .attribute(object, attribute):
                    guard case .namespace(let ns) = lookup(object) else {
                        throw JinjaError("cannot set '\(attribute)' on '\(object)': only namespace objects take attribute assignment")
                    }
                    ns[attribute] = value
                }
            }
        case let .setBlock(name, body, _):
            let saved = output
            output = ""
            _ = try run(body)
            let captured = output
            output = saved
            scopes[scopes.count - 1][name] = .string(captured)
        case .macro(let macro):
            scopes[scopes.count - 1][macro.name] = .macro(macro)
        case .loopBreak:
            return .breakLoop
        case .loopContinue:
            return .continueLoop
        case .generation(let body):
            return try run(body)
        }
        return .normal
    }

    private func unpack(_ value: JinjaValue, count: Int) throws -> [JinjaValue] {
        let items = try iterate(value)
        guard items.count == count else {
            throw JinjaError(items.count > count ? "too many values to unpack (expected \(count))"
                                                 : "not enough values to unpack (expected \(count), got \(items.count))")
        }
        return items
    }

    /// The elements a for-loop visits: list items, dict keys, string characters.
    func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
        switch value {
        case .list(let l): return l
        case .dict(let d): return d.map { .string($0.0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw JinjaError("'\(value.typeName)' object is not iterable")
        }
    }

    private func loop(_ targets: [String], _ iterable: JinjaExpression, _ filter: JinjaExpression?,
                      _ body: [JinjaStatement], _ otherwise: [JinjaStatement]) throws -> Flow {
        var items = try iterate(try evaluate(iterable))
        scopes.append([:])
        defer { scopes.removeLast() }
        func bind(_ item: JinjaValue) throws {
            if targets.count == 1 {
                scopes[scopes.count - 1][targets[0]] = item
            } else {
                for (n, v) in zip(targets, try unpack(item, count: targets.count)) { scopes[scopes.count - 1][n] = v }
            }
        }
        if let filter {
            items = try items.filter { item in
                try bind(item)
                return try evaluate(filter).isTruthy
            }
        }
        if items.isEmpty { return try run(otherwise) }
        for (i, item) in items.enumerated() {
            try step()
            try bind(item)
            let n = items.count
            scopes[scopes.count - 1]["loop"] = .dict([
                ("index", .int(i + 1)), ("index0", .int(i)), ("revindex", .int(n - i)), ("revindex0", .int(n - i - 1)),
                ("first", .bool(i == 0)), ("last", .bool(i == n - 1)), ("length", .int(n)),
                ("previtem", i > 0 ? items[i - 1] : .undefined("loop.previtem")),
                ("nextitem", i + 1 < n ? items[i + 1] : .undefined("loop.nextitem")),
            ])
            if try run(body) == .breakLoop { break }
        }
        return .normal
    }

    // MARK: Expressions

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let v = scope[name] { return v }
        }
        return .undefined(name)
    }

    func evaluate(_ expression: JinjaExpression) throws -> JinjaValue {
        switch expression {
        case .literal(let v):
            return v
        case .name(let n):
            return lookup(n)
        case .list(let items):
            return .list(try items.map(evaluate))
        case .dict(let members):
            return .dict(try members.map { key, value in
                guard case .string(let k) = try evaluate(key) else { throw JinjaError("only string keys are supported in dict literals") }
                return (k, try evaluate(value))
            })
        case let .attribute(base, name):
            return try attribute(try evaluate(base), name)
        case let .item(base, index):
            return try item(try evaluate(base), try evaluate(index))
        case let .slice(base, start, stop, step):
            return try slice(try evaluate(base), try start.map(evaluate), try stop.map(evaluate), try step.map(evaluate))
        case let .call(callee, arguments, keywords):
            let args = try arguments.map(evaluate)
            let kwargs = try keywords.map { ($0, try evaluate($1)) }
            return try call(callee, args, kwargs)
        case let .filter(base, name, arguments, keywords):
            let value = try evaluate(base)
            return try JinjaBuiltins.filter(name, value, try arguments.map(evaluate), try keywords.map { ($0, try evaluate($1)) }, self)
        case let .test(base, name, arguments, negated):
            let result = try JinjaBuiltins.test(name, try evaluate(base), try arguments.map(evaluate), self)
            return .bool(result != negated)
        case let .unary(op, operand):
            let v = try evaluate(operand)
            switch op {
            case "not": return .bool(!v.isTruthy)
            case "-":
                if case .int(let i) = v { return .int(-i) }
                if let d = v.numeric { return .double(-d) }
                throw JinjaError("bad operand type for unary -: '\(v.typeName)'")
            default:
                guard v.numeric != nil else { throw JinjaError("bad operand type for unary +: '\(v.typeName)'") }
                return v
            }
        case let .binary(op, left, right):
            if op == "and" {
                let l = try evaluate(left)
                return l.isTruthy ? try evaluate(right) : l
            }
            if op == "or" {
                let l = try evaluate(left)
                return l.isTruthy ? l : try evaluate(right)
            }
            return try JinjaOperators.apply(op, try evaluate(left), try evaluate(right))
        case let .comparison(first, chain):
            var left = try evaluate(first)
            for (op, operand) in chain {
                let right = try evaluate(operand)
                guard try JinjaOperators.apply(op, left, right).isTruthy else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case let .conditional(value, condition, otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(value) }
            return try otherwise.map(evaluate) ?? .undefined("conditional expression without else")
        }
    }

    private func describeMissing(_ base: JinjaValue) -> String {
        if case .undefined(let what) = base { return "'\(what)' is undefined" }
        return "'\(base.typeName)' object"
    }

    func attribute(_ base: JinjaValue, _ name: String) throws -> JinjaValue {
        switch base {
        case .dict(let members):
            return members.last(where: { $0.0 == name })?.1 ?? .undefined("\(name)")
        case .namespace(let ns):
            return ns[name] ?? .undefined(name)
        case .undefined:
            throw JinjaError("\(describeMissing(base)) has no attribute '\(name)'")
        default:
            return .undefined(name)
        }
    }

    func item(_ base: JinjaValue, _ index: JinjaValue) throws -> JinjaValue {
        switch (base, index) {
        case let (.dict(members), .string(key)):
            return members.last(where: { $0.0 == key })?.1 ?? .undefined(key)
        // Jinja falls back to an undefined value where Python would raise (`'text'['type']`).
        case let (.list(items), _):
            guard let i = index.integer else { return .undefined("item \(index.repr)") }
            let j = i < 0 ? items.count + i : i
            return items.indices.contains(j) ? items[j] : .undefined("index \(i)")
        case let (.string(s), _):
            guard let i = index.integer else { return .undefined("item \(index.repr)") }
            let scalars = Array(s.unicodeScalars)
            let j = i < 0 ? scalars.count + i : i
            return scalars.indices.contains(j) ? .string(String(scalars[j])) : .undefined("index \(i)")
        case (.namespace(let ns), .string(let key)):
            return ns[key] ?? .undefined(key)
        case (.undefined, _):
            throw JinjaError("\(describeMissing(base)) is not subscriptable")
        default:
            return .undefined("item \(index.repr)")
        }
    }

    private func slice(_ base: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> JinjaValue {
        func bound(_ v: JinjaValue?) throws -> Int? {
            guard let v, !(v.isUndefined), !(v.equals(.none)) else { return nil }
            guard let i = v.integer else { throw JinjaError("slice indices must be integers or None") }
            return i
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw JinjaError("slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ defaultValue: Int) -> Int {
                guard var i else { return defaultValue }
                if i < 0 { i += count }
                return stepValue > 0 ? min(max(i, 0), count) : min(max(i, -1), count - 1)
            }
            let lower = clamp(try bound(start), stepValue > 0 ? 0 : count - 1)
            let upper = clamp(try bound(stop), stepValue > 0 ? count : -1)
            return Array(stride(from: lower, to: upper, by: stepValue))
        }
        switch base {
        case .list(let items): return .list(try indices(items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            return .string(String(String.UnicodeScalarView(try indices(scalars.count).map { scalars[$0] })))
        default: throw JinjaError("'\(base.typeName)' object is not subscriptable")
        }
    }

    private func call(_ callee: JinjaExpression, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        if case let .attribute(baseExpression, method) = callee {
            let base = try evaluate(baseExpression)
            if case .dict(let members) = base, let member = members.last(where: { $0.0 == method })?.1, case .macro = member {
                return try callMacro(member, args, kwargs)
            }
            return try JinjaBuiltins.method(method, on: base, args, kwargs)
        }
        if case .name(let name) = callee {
            let value = lookup(name)
            if case .undefined = value { return try JinjaBuiltins.function(name, args, kwargs) }
            return try callMacro(value, args, kwargs)
        }
        return try callMacro(try evaluate(callee), args, kwargs)
    }

    func callMacro(_ value: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        guard case .macro(let macro) = value else { throw JinjaError("'\(value.typeName)' object is not callable") }
        guard args.count <= macro.parameters.count else {
            throw JinjaError("macro '\(macro.name)' takes \(macro.parameters.count) arguments, \(args.count) given")
        }
        var scope: [String: JinjaValue] = [:]
        for (i, (parameter, defaultValue)) in macro.parameters.enumerated() {
            if i < args.count {
                scope[parameter] = args[i]
            } else if let given = kwargs.first(where: { $0.0 == parameter }) {
                scope[parameter] = given.1
            } else {
                scope[parameter] = try defaultValue.map(evaluate) ?? .undefined(parameter)
            }
        }
        if let unknown = kwargs.first(where: { k in !macro.parameters.contains { $0.0 == k.0 } }) {
            throw JinjaError("macro '\(macro.name)' has no parameter '\(unknown.0)'")
        }
        guard depth < JinjaLimits.depth else { throw JinjaError("macro '\(macro.name)' nests deeper than \(JinjaLimits.depth) calls") }
        // A macro sees the template's variables and its own, not the caller's loop variables.
        let savedScopes = scopes, savedOutput = output
        scopes = [scopes[0], scope]
        output = ""
        depth += 1
        defer {
            scopes = savedScopes
            output = savedOutput
            depth -= 1
        }
        _ = try run(macro.body)
        return .string(output)
    }
}

/// Binary operators with Python's rules.
enum JinjaOperators {
    static func apply(_ op: String, _ l: JinjaValue, _ r: JinjaValue) throws -> JinjaValue {
        switch op {
        case "==": return .bool(l.equals(r))
        case "!=": return .bool(!l.equals(r))
        case "<", "<=", ">", ">=":
            let order = try compare(l, r, op)
            switch op {
            case "<": return .bool(order < 0)
            case "<=": return .bool(order <= 0)
            case ">": return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case "in": return .bool(try contains(r, l))
        case "not in": return .bool(!(try contains(r, l)))
        case "~": return .string(l.text + r.text)
        case "+":
            switch (l, r) {
            case let (.string(a), .string(b)): return .string(a + b)
            case let (.list(a), .list(b)): return .list(a + b)
            default: return try arithmetic(op, l, r, { $0.addingReportingOverflow($1) }, +)
            }
        case "-": return try arithmetic(op, l, r, { $0.subtractingReportingOverflow($1) }, -)
        case "*":
            if case .string(let s) = l, let n = r.integer { return .string(String(repeating: s, count: try repeats(n, of: s.utf8.count))) }
            if case .string(let s) = r, let n = l.integer { return .string(String(repeating: s, count: try repeats(n, of: s.utf8.count))) }
            if case .list(let a) = l, let n = r.integer { return .list(Array(repeating: a, count: try repeats(n, of: a.count)).flatMap { $0 }) }
            return try arithmetic(op, l, r, { $0.multipliedReportingOverflow(by: $1) }, *)
        case "/":
            guard let a = l.numeric, let b = r.numeric else { throw unsupported(op, l, r) }
            guard b != 0 else { throw JinjaError("division by zero") }
            return .double(a / b)
        case "//", "%":
            if let a = l.integer, let b = r.integer {
                guard b != 0 else { throw JinjaError("integer division or modulo by zero") }
                let q = Int((Double(a) / Double(b)).rounded(.down))
                return op == "//" ? .int(q) : .int(a - q * b)
            }
            guard let a = l.numeric, let b = r.numeric else { throw unsupported(op, l, r) }
            guard b != 0 else { throw JinjaError("float division or modulo by zero") }
            let q = (a / b).rounded(.down)
            return op == "//" ? .double(q) : .double(a - q * b)
        case "**":
            if let a = l.integer, let b = r.integer, b >= 0, let power = power(a, b) { return .int(power) }
            guard let a = l.numeric, let b = r.numeric else { throw unsupported(op, l, r) }
            return .double(Foundation.pow(a, b))
        default:
            throw JinjaError("unsupported operator '\(op)'")
        }
    }

    /// a^b by squaring; nil when it overflows 64 bits (then it is computed as a float, as the
    /// other operators do).
    private static func power(_ a: Int, _ b: Int) -> Int? {
        var result = 1, base = a, exponent = b
        while exponent > 0 {
            if exponent & 1 == 1 {
                let (product, overflow) = result.multipliedReportingOverflow(by: base)
                if overflow { return nil }
                result = product
            }
            exponent >>= 1
            if exponent > 0 {
                let (square, overflow) = base.multipliedReportingOverflow(by: base)
                if overflow { return nil }
                base = square
            }
        }
        return result
    }

    /// How many copies `n` asks for (Python: none when negative), refused when the result would
    /// be over the size limit.
    static func repeats(_ n: Int, of length: Int) throws -> Int {
        let count = max(n, 0)
        let (total, overflow) = count.multipliedReportingOverflow(by: length)
        guard !overflow, total <= JinjaLimits.size else { throw JinjaError("repeating \(length) by \(n) is over \(JinjaLimits.size) items") }
        return count
    }

    private static func unsupported(_ op: String, _ l: JinjaValue, _ r: JinjaValue) -> JinjaError {
        JinjaError("unsupported operand type(s) for \(op): '\(l.typeName)' and '\(r.typeName)'")
    }

    private static func arithmetic(_ op: String, _ l: JinjaValue, _ r: JinjaValue,
                                   _ integer: (Int, Int) -> (partialValue: Int, overflow: Bool),
                                   _ real: (Double, Double) -> Double) throws -> JinjaValue {
        if let a = l.integer, let b = r.integer {
            let (value, overflow) = integer(a, b)
            if !overflow { return .int(value) }
        }
        guard let a = l.numeric, let b = r.numeric else { throw unsupported(op, l, r) }
        return .double(real(a, b))
    }

    /// -1, 0 or 1, for numbers and for strings (by code point, as Python compares them).
    static func compare(_ l: JinjaValue, _ r: JinjaValue, _ op: String = "<") throws -> Int {
        if let a = l.numeric, let b = r.numeric { return a < b ? -1 : a > b ? 1 : 0 }
        if case .string(let a) = l, case .string(let b) = r {
            if a.unicodeScalars.elementsEqual(b.unicodeScalars) { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        }
        throw JinjaError("'\(op)' not supported between instances of '\(l.typeName)' and '\(r.typeName)'")
    }

    static func contains(_ container: JinjaValue, _ element: JinjaValue) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let needle) = element else {
                throw JinjaError("'in <string>' requires string as left operand, not \(element.typeName)")
            }
            return needle.isEmpty || s.unicodeScalars.containsSubsequence(needle.unicodeScalars)
        case .list(let items): return items.contains { $0.equals(element) }
        case .dict(let members):
            guard case .string(let key) = element else { return false }
            return members.contains { $0.0 == key }
        case .namespace(let ns):
            guard case .string(let key) = element else { return false }
            return ns[key] != nil
        case .undefined: throw JinjaError("argument of type 'Undefined' is not iterable")
        default: throw JinjaError("argument of type '\(container.typeName)' is not iterable")
        }
    }
}

extension String.UnicodeScalarView {
    func containsSubsequence(_ needle: String.UnicodeScalarView) -> Bool {
        let h = Array(self), n = Array(needle)
        guard n.count <= h.count else { return false }
        for i in 0...(h.count - n.count) where h[i] == n[0] && Array(h[i..<(i + n.count)]) == n { return true }
        return false
    }
}
