import Foundation
import Interchange

/// The filters, tests, methods and global functions chat templates use, with Jinja's and
/// Python's behaviour (and transformers' `tojson`, `raise_exception`, `strftime_now`).
enum JinjaBuiltins {
    // MARK: Arguments

    /// Positional-or-keyword argument `index`/`name`, or nil.
    private static func argument(_ args: [JinjaValue], _ kwargs: [(String, JinjaValue)], _ index: Int, _ name: String) -> JinjaValue? {
        if index < args.count { return args[index] }
        return kwargs.first(where: { $0.0 == name })?.1
    }

    private static func string(_ v: JinjaValue, _ what: String) throws -> String {
        guard case .string(let s) = v else { throw JinjaError("\(what) expects a string, got \(v.typeName)") }
        return s
    }

    private static func pythonStrip(_ s: String, _ chars: JinjaValue?, left: Bool, right: Bool) throws -> String {
        var scalars = Array(s.unicodeScalars)
        let strip: (Unicode.Scalar) -> Bool
        if let chars, case .string(let set) = chars {
            let members = Set(set.unicodeScalars)
            strip = { members.contains($0) }
        } else {
            strip = { $0.properties.isWhitespace }
        }
        if right { while let last = scalars.last, strip(last) { scalars.removeLast() } }
        if left { scalars = Array(scalars.drop(while: strip)) }
        return String(String.UnicodeScalarView(scalars))
    }

    private static func mapCase(_ s: String, upper: Bool) -> String {
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            out.append(contentsOf: (upper ? c.properties.uppercaseMapping : c.properties.lowercaseMapping).unicodeScalars)
        }
        return String(out)
    }

    /// Python's `str.capitalize`: the first character in title case, the rest lower case.
    private static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return first.properties.titlecaseMapping + mapCase(String(String.UnicodeScalarView(s.unicodeScalars.dropFirst())), upper: false)
    }

    /// Python's `str.title`: words (runs of cased letters) start upper case, continue lower case.
    private static func title(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var previousCased = false
        for c in s.unicodeScalars {
            let mapped = previousCased ? c.properties.lowercaseMapping : c.properties.titlecaseMapping
            out.append(contentsOf: mapped.unicodeScalars)
            previousCased = c.properties.isCased
        }
        return String(out)
    }

    private static func length(_ v: JinjaValue) throws -> Int {
        switch v {
        case .string(let s): return s.unicodeScalars.count
        case .list(let l): return l.count
        case .dict(let d): return d.count
        case .undefined: return 0
        default: throw JinjaError("object of type '\(v.typeName)' has no len()")
        }
    }

    /// The value of `attribute` (dotted path allowed) of an element, as Jinja's attribute filters read it.
    private static func attributePath(_ v: JinjaValue, _ path: String, _ interpreter: JinjaInterpreter) throws -> JinjaValue {
        var current = v
        for part in path.split(separator: ".") {
            if let i = Int(part) { current = try interpreter.item(current, .int(i)) } else {
                if current.isUndefined { return current }
                current = try interpreter.attribute(current, String(part))
            }
        }
        return current
    }

    // MARK: Filters

    static func filter(_ name: String, _ value: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)],
                       _ interpreter: JinjaInterpreter) throws -> JinjaValue {
        switch name {
        case "trim":
            return .string(try pythonStrip(value.text, argument(args, kwargs, 0, "chars"), left: true, right: true))
        case "upper": return .string(mapCase(value.text, upper: true))
        case "lower": return .string(mapCase(value.text, upper: false))
        case "capitalize": return .string(capitalize(value.text))
        case "title": return .string(title(value.text))
        case "length", "count": return .int(try length(value))
        case "string": return .string(value.text)
        case "safe": return value
        case "tojson":
            let indent = argument(args, kwargs, 0, "indent")?.integer
            var itemSeparator: String?, keySeparator = ": "
            if let separators = argument(args, kwargs, 2, "separators"), case .list(let pair) = separators, pair.count == 2 {
                itemSeparator = pair[0].text
                keySeparator = pair[1].text
            }
            let sortKeys = argument(args, kwargs, 3, "sort_keys")?.isTruthy ?? false
            return .string(try value.json(indent: indent, itemSeparator: itemSeparator, keySeparator: keySeparator, sortKeys: sortKeys))
        case "default", "d":
            let fallback = argument(args, kwargs, 0, "default_value") ?? .string("")
            let boolean = argument(args, kwargs, 1, "boolean")?.isTruthy ?? false
            return value.isUndefined || (boolean && !value.isTruthy) ? fallback : value
        case "join":
            let separator = argument(args, kwargs, 0, "d")?.text ?? ""
            var items = try interpreter.iterate(value)
            if let attribute = argument(args, kwargs, 1, "attribute") {
                items = try items.map { try attributePath($0, attribute.text, interpreter) }
            }
            return .string(items.map(\.text).joined(separator: separator))
        case "first":
            return try interpreter.iterate(value).first ?? .undefined("first of an empty sequence")
        case "last":
            return try interpreter.iterate(value).last ?? .undefined("last of an empty sequence")
        case "list": return .list(try interpreter.iterate(value))
        case "reverse":
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .list(try interpreter.iterate(value).reversed())
        case "unique":
            var seen: [JinjaValue] = []
            for item in try interpreter.iterate(value) where !seen.contains(where: { $0.equals(item) }) { seen.append(item) }
            return .list(seen)
        case "sort":
            let reverse = argument(args, kwargs, 0, "reverse")?.isTruthy ?? false
            let attribute = argument(args, kwargs, 2, "attribute")?.text
            let items = try interpreter.iterate(value)
            let keys = try items.map { item in try attribute.map { try attributePath(item, $0, interpreter) } ?? item }
            var order = Array(items.indices)
            var failure: Error?
            order.sort { a, b in
                do { return try JinjaOperators.compare(keys[a], keys[b]) < 0 } catch { failure = error; return false }
            }
            if let failure { throw failure }
            if reverse { order.reverse() }
            return .list(order.map { items[$0] })
        case "items":
            guard case .dict(let d) = value else {
                if value.isUndefined { return .list([]) }
                throw JinjaError("'items' filter expects a dict, got \(value.typeName)")
            }
            return .list(d.map { .list([.string($0.0), $0.1]) })
        case "selectattr", "rejectattr":
            guard let attribute = args.first?.text else { throw JinjaError("\(name) needs an attribute name") }
            let keep = name == "selectattr"
            return .list(try interpreter.iterate(value).filter { item in
                let v = try attributePath(item, attribute, interpreter)
                let passed = args.count > 1 ? try test(args[1].text, v, Array(args.dropFirst(2)), interpreter) : v.isTruthy
                return passed == keep
            })
        case "select", "reject":
            let keep = name == "select"
            return .list(try interpreter.iterate(value).filter { item in
                let passed = args.isEmpty ? item.isTruthy : try test(args[0].text, item, Array(args.dropFirst()), interpreter)
                return passed == keep
            })
        case "map":
            let items = try interpreter.iterate(value)
            if let attribute = kwargs.first(where: { $0.0 == "attribute" })?.1.text {
                let fallback = kwargs.first(where: { $0.0 == "default" })?.1
                return .list(try items.map { item in
                    let v = try attributePath(item, attribute, interpreter)
                    return v.isUndefined ? (fallback ?? v) : v
                })
            }
            guard let filterName = args.first?.text else { throw JinjaError("map needs a filter name or attribute=") }
            return .list(try items.map { try filter(filterName, $0, Array(args.dropFirst()), [], interpreter) })
        case "replace":
            guard args.count >= 2 else { throw JinjaError("replace needs the old and the new text") }
            return .string(try replace(value.text, args[0].text, args[1].text, count: args.count > 2 ? args[2].integer : nil))
        case "int":
            let fallback = argument(args, kwargs, 0, "default") ?? .int(0)
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .int(Int(d.rounded(.towardZero)))
            case .string(let s):
                let t = s.trimmingCharacters(in: .whitespaces)
                if let i = Int(t) { return .int(i) }
                if let d = Double(t) { return .int(Int(d.rounded(.towardZero))) }
                return fallback
            default: return fallback
            }
        case "float":
            let fallback = argument(args, kwargs, 0, "default") ?? .double(0)
            if let d = value.numeric { return .double(d) }
            if case .string(let s) = value, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
            return fallback
        case "abs":
            if case .int(let i) = value { return .int(abs(i)) }
            guard let d = value.numeric else { throw JinjaError("bad operand type for abs(): '\(value.typeName)'") }
            return .double(abs(d))
        case "round":
            let precision = argument(args, kwargs, 0, "precision")?.integer ?? 0
            let method = argument(args, kwargs, 1, "method")?.text ?? "common"
            guard let d = value.numeric else { throw JinjaError("round expects a number") }
            let scale = Foundation.pow(10.0, Double(precision))
            let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrAwayFromZero
            return .double((d * scale).rounded(rule) / scale)
        case "indent":
            let width = argument(args, kwargs, 0, "width")
            let first = argument(args, kwargs, 1, "first")?.isTruthy ?? false
            let blank = argument(args, kwargs, 2, "blank")?.isTruthy ?? false
            let pad: String
            if case .string(let s) = width { pad = s } else { pad = String(repeating: " ", count: try JinjaOperators.repeats(width?.integer ?? 4, of: 1)) }
            let lines = value.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            return .string(lines.enumerated().map { i, line in
                (i == 0 && !first) || (line.isEmpty && !blank) ? line : pad + line
            }.joined(separator: "\n"))
        case "escape", "e":
            var out = ""
            for c in value.text.unicodeScalars {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.unicodeScalars.append(c)
                }
            }
            return .string(out)
        default:
            throw JinjaError("unsupported filter '\(name)'")
        }
    }

    /// Python's `str.replace`, comparing code points.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int?) throws -> String {
        let limit = count.flatMap { $0 < 0 ? nil : $0 } ?? Int.max
        let h = Array(s.unicodeScalars), o = Array(old.unicodeScalars), n = Array(new.unicodeScalars)
        var out: [Unicode.Scalar] = []
        var done = 0
        var i = 0
        if o.isEmpty {
            // Python inserts the replacement between every character and at both ends.
            for c in h {
                if done < limit { out += n; done += 1 }
                out.append(c)
            }
            if done < limit { out += n }
            return String(String.UnicodeScalarView(out))
        }
        while i < h.count {
            if done < limit, i + o.count <= h.count, Array(h[i..<(i + o.count)]) == o {
                out += n
                i += o.count
                done += 1
            } else {
                out.append(h[i])
                i += 1
            }
        }
        return String(String.UnicodeScalarView(out))
    }

    // MARK: Tests

    static func test(_ name: String, _ value: JinjaValue, _ args: [JinjaValue], _ interpreter: JinjaInterpreter) throws -> Bool {
        func operand() throws -> JinjaValue {
            guard let a = args.first else { throw JinjaError("test '\(name)' needs an argument") }
            return a
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number":
            switch value {
            case .int, .double, .bool: return true
            default: return false
            }
        case "mapping":
            switch value {
            case .dict: return true
            default: return false
            }
        case "iterable", "sequence":
            switch value {
            case .list, .dict, .string: return true
            default: return false
            }
        case "callable": if case .macro = value { return true } else { return false }
        case "odd", "even":
            guard let i = value.integer else { throw JinjaError("test '\(name)' needs an integer") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let i = value.integer, let d = try operand().integer, d != 0 else { throw JinjaError("divisibleby needs non-zero integers") }
            return i % d == 0
        case "eq", "equalto", "==": return value.equals(try operand())
        case "ne", "!=": return !value.equals(try operand())
        case "lt", "lessthan", "<": return try JinjaOperators.compare(value, try operand()) < 0
        case "le", "<=": return try JinjaOperators.compare(value, try operand()) <= 0
        case "gt", "greaterthan", ">": return try JinjaOperators.compare(value, try operand()) > 0
        case "ge", ">=": return try JinjaOperators.compare(value, try operand()) >= 0
        case "in": return try JinjaOperators.contains(try operand(), value)
        case "sameas":
            let other = try operand()
            switch (value, other) {
            case (.none, .none): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.namespace(a), .namespace(b)): return a === b
            default: return false
            }
        case "lower": return value.text == mapCase(value.text, upper: false)
        case "upper": return value.text == mapCase(value.text, upper: true)
        default: throw JinjaError("unsupported test '\(name)'")
        }
    }

    // MARK: Methods

    static func method(_ name: String, on value: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        switch value {
        case .string(let s):
            switch name {
            case "upper": return .string(mapCase(s, upper: true))
            case "lower": return .string(mapCase(s, upper: false))
            case "strip": return .string(try pythonStrip(s, args.first, left: true, right: true))
            case "lstrip": return .string(try pythonStrip(s, args.first, left: true, right: false))
            case "rstrip": return .string(try pythonStrip(s, args.first, left: false, right: true))
            case "title": return .string(title(s))
            case "capitalize": return .string(capitalize(s))
            case "startswith", "endswith":
                guard let a = args.first else { throw JinjaError("\(name) needs an argument") }
                let candidates: [JinjaValue]
                if case .list(let l) = a { candidates = l } else { candidates = [a] }
                return .bool(try candidates.contains { c in
                    let t = Array(try string(c, name).unicodeScalars), h = Array(s.unicodeScalars)
                    guard t.count <= h.count else { return false }
                    return name == "startswith" ? Array(h.prefix(t.count)) == t : Array(h.suffix(t.count)) == t
                })
            case "replace":
                guard args.count >= 2 else { throw JinjaError("replace needs the old and the new text") }
                return .string(try replace(s, try string(args[0], "replace"), try string(args[1], "replace"),
                                           count: args.count > 2 ? args[2].integer : nil))
            case "split":
                let separator = argument(args, kwargs, 0, "sep")
                let maxSplit = argument(args, kwargs, 1, "maxsplit")?.integer ?? -1
                return .list(try split(s, separator: separator.flatMap { $0.equals(.none) ? nil : $0 }, maxSplit: maxSplit).map { .string($0) })
            case "join":
                guard let a = args.first, case .list(let items) = a else { throw JinjaError("join needs a list") }
                return .string(items.map(\.text).joined(separator: s))
            case "count":
                guard let a = args.first else { throw JinjaError("count needs an argument") }
                let needle = try string(a, "count")
                if needle.isEmpty { return .int(s.unicodeScalars.count + 1) }
                return .int(s.split(separatorString: needle).count - 1)
            case "isdigit": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
            case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isWhitespace })
            default: break
            }
        case .dict(let members):
            switch name {
            case "items": return .list(members.map { .list([.string($0.0), $0.1]) })
            case "keys": return .list(members.map { .string($0.0) })
            case "values": return .list(members.map(\.1))
            case "get":
                guard let key = args.first else { throw JinjaError("get needs a key") }
                return members.last(where: { JinjaValue.string($0.0).equals(key) })?.1 ?? (args.count > 1 ? args[1] : .none)
            default: break
            }
        case .undefined:
            throw JinjaError("'\(name)' called on an undefined value (\(value.repr.isEmpty ? "undefined" : value.repr))")
        default: break
        }
        throw JinjaError("unsupported method '\(name)' on a \(value.typeName) value")
    }

    /// Python's `str.split`.
    private static func split(_ s: String, separator: JinjaValue?, maxSplit: Int) throws -> [String] {
        let scalars = Array(s.unicodeScalars)
        var parts: [String] = []
        let limit = maxSplit < 0 ? Int.max : maxSplit
        guard let separator else {
            // Runs of whitespace separate; leading and trailing whitespace gives no empty parts.
            var i = 0
            while i < scalars.count {
                while i < scalars.count, scalars[i].properties.isWhitespace { i += 1 }
                guard i < scalars.count else { break }
                if parts.count == limit {
                    var rest = Array(scalars[i...])
                    while let last = rest.last, last.properties.isWhitespace { rest.removeLast() }
                    parts.append(String(String.UnicodeScalarView(rest)))
                    break
                }
                let start = i
                while i < scalars.count, !scalars[i].properties.isWhitespace { i += 1 }
                parts.append(String(String.UnicodeScalarView(scalars[start..<i])))
            }
            return parts
        }
        let sep = Array(try string(separator, "split").unicodeScalars)
        guard !sep.isEmpty else { throw JinjaError("empty separator") }
        var start = 0, i = 0
        while i + sep.count <= scalars.count, parts.count < limit {
            if Array(scalars[i..<(i + sep.count)]) == sep {
                parts.append(String(String.UnicodeScalarView(scalars[start..<i])))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(String.UnicodeScalarView(scalars[start...])))
        return parts
    }

    // MARK: Global functions

    static func function(_ name: String, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        switch name {
        case "raise_exception":
            throw JinjaError("the template raised an error: \(args.first?.text ?? "")")
        case "namespace":
            var members: [(String, JinjaValue)] = []
            if let first = args.first, case .dict(let d) = first { members = d }
            for (k, v) in kwargs {
                if let i = members.firstIndex(where: { $0.0 == k }) { members[i].1 = v } else { members.append((k, v)) }
            }
            return .namespace(JinjaNamespace(members))
        case "dict":
            var members: [(String, JinjaValue)] = []
            if let first = args.first, case .dict(let d) = first { members = d }
            for (k, v) in kwargs {
                if let i = members.firstIndex(where: { $0.0 == k }) { members[i].1 = v } else { members.append((k, v)) }
            }
            return .dict(members)
        case "range":
            let ints = args.compactMap(\.integer)
            guard ints.count == args.count, (1...3).contains(ints.count) else { throw JinjaError("range expects 1 to 3 integers") }
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
            guard step != 0 else { throw JinjaError("range() arg 3 must not be zero") }
            guard abs((stop - start) / step) <= 100_000 else { throw JinjaError("range is too large") }
            return .list(stride(from: start, to: stop, by: step).map { .int($0) })
        case "strftime_now":
            guard let format = args.first?.text else { throw JinjaError("strftime_now needs a format") }
            var now = time(nil)
            var parts = tm()
            localtime_r(&now, &parts)
            var buffer = [Int8](repeating: 0, count: 256)
            let count = strftime(&buffer, buffer.count, format, &parts)
            return .string(String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default:
            throw JinjaError("'\(name)' is undefined or an unsupported function")
        }
    }
}
