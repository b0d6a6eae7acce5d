import Foundation
import JSON

/// A namespace object (`namespace(count=0)`): the one mutable value templates have, shared by
/// reference so that `{% set ns.count = … %}` inside a loop is seen after it.
final class JinjaNamespace {
    var members: [(String, JinjaValue)]
    init(_ members: [(String, JinjaValue)]) { self.members = members }

    subscript(name: String) -> JinjaValue? {
        get { members.first(where: { $0.0 == name })?.1 }
        set {
            if let i = members.firstIndex(where: { $0.0 == name }) {
                if let newValue { members[i].1 = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((name, newValue))
            }
        }
    }
}

/// A macro defined by `{% macro name(a, b=1) %}…{% endmacro %}`.
struct JinjaMacro {
    let name: String
    let parameters: [(String, JinjaExpression?)]
    let body: [JinjaStatement]
}

/// A value inside a template, with Python's behaviour where Jinja borrows it (truthiness,
/// `str()`, comparison).
indirect enum JinjaValue {
    /// A missing variable, attribute or key; it renders as "" and is false, as Jinja's default
    /// `Undefined` does. The text says what was missing, for errors.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JinjaValue])
    case dict([(String, JinjaValue)])
    case namespace(JinjaNamespace)
    case macro(JinjaMacro)

    init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(JinjaValue.init))
        case .object(let o): self = .dict(o.map { ($0, JinjaValue($1)) })
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l): return !l.isEmpty
        case .dict(let d): return !d.isEmpty
        case .namespace, .macro: return true
        }
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        }
    }

    /// `str(value)` in Python, which `{{ … }}` prints.
    var text: String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return repr
        }
    }

    /// `repr(value)` in Python, which lists and dicts use for their elements.
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return Self.pythonFloat(d)
        case .string(let s): return Self.pythonStringRepr(s)
        case .list(let l): return "[" + l.map(\.repr).joined(separator: ", ") + "]"
        case .dict(let d): return "{" + d.map { "\(Self.pythonStringRepr($0)): \($1.repr)" }.joined(separator: ", ") + "}"
        case .namespace(let n): return "<Namespace \(n.members.map { "\($0)=\($1.repr)" }.joined(separator: ", "))>"
        case .macro(let m): return "<Macro '\(m.name)'>"
        }
    }

    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    static func pythonStringRepr(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(c) == quote {
                    out += "\\\(quote)"
                } else if c.value < 0x20 || c.value == 0x7F {
                    out += String(format: "\\x%02x", c.value)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// `json.dumps(value, ensure_ascii=False)` with Python's default separators, or the ones given.
    func json(indent: Int?, itemSeparator: String? = nil, keySeparator: String = ": ", sortKeys: Bool = false,
              level: Int = 0) throws -> String {
        let itemSep = itemSeparator ?? (indent == nil ? ", " : ",")
        // Python repeats " " indent times: a negative indent is none
        let width = try indent.map { try JinjaOperators.repeats($0, of: level + 1) }
        let newline = width.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) } ?? ""
        let closing = width.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        switch self {
        case .none, .undefined: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
            return Self.pythonFloat(d)
        case .string(let s): return Self.jsonString(s)
        case .list(let l):
            if l.isEmpty { return "[]" }
            let items = try l.map { try $0.json(indent: indent, itemSeparator: itemSeparator, keySeparator: keySeparator, sortKeys: sortKeys, level: level + 1) }
            return "[" + newline + items.joined(separator: itemSep + newline) + closing + "]"
        case .dict(let d):
            if d.isEmpty { return "{}" }
            let members = sortKeys ? d.sorted { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) } : d
            let items = try members.map {
                Self.jsonString($0) + keySeparator
                    + (try $1.json(indent: indent, itemSeparator: itemSeparator, keySeparator: keySeparator, sortKeys: sortKeys, level: level + 1))
            }
            return "{" + newline + items.joined(separator: itemSep + newline) + closing + "}"
        case .namespace, .macro:
            throw JinjaError("Object of type \(typeName) is not JSON serializable")
        }
    }

    static func jsonString(_ s: String) -> String { JSONValue.string(s).serialized(indent: 0) }

    /// Python's `==`: numbers compare by value across int/float/bool, containers element-wise.
    func equals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case let (.list(a), .list(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case let (.dict(a), .dict(b)):
            return a.count == b.count && a.allSatisfy { key, value in
                b.first(where: { $0.0 == key }).map { $0.1.equals(value) } ?? false
            }
        case let (.namespace(a), .namespace(b)): return a === b
        default:
            if let x = numeric, let y = other.numeric { return x == y }
            return false
        }
    }

    /// The value as a number, for arithmetic and comparison (bools count, as in Python).
    var numeric: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    var integer: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
}

/// A problem in a chat template: a construct outside the supported subset, an error while
/// rendering, or `raise_exception` called by the template itself.
public struct JinjaError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
