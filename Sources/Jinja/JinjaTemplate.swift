import JSON

/// A parsed Jinja template (the subset chat templates use), rendered as Jinja2 renders with
/// `trim_blocks` and `lstrip_blocks` on.
public struct JinjaTemplate: Sendable {
    private let statements: [JinjaStatement]

    public init(source: String) throws {
        statements = try JinjaParser.parse(source)
    }

    /// The output for these variables (JSON null is Python's None).
    public func render(_ variables: [String: JSONValue]) throws -> String {
        try JinjaInterpreter(variables: variables.mapValues(JinjaValue.init)).render(statements)
    }
}

// Parsed statements hold only literal values, never the one reference type (namespaces are made
// while rendering), so sharing them across threads is safe.
extension JinjaStatement: @unchecked Sendable {}
