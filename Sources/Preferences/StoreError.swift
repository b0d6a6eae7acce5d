import Foundation
import Interchange

/// What the store refuses, worded for the person who gave the input: each case names the file,
/// line or ID at fault and the problem.
public enum StoreError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// Bad content in a file the user gave; `line` is 1-based where the file is line-oriented.
    case badInput(file: String, line: Int?, problem: String)
    /// No record of this kind with this ID.
    case notFound(kind: String, id: String)
    /// No record of this kind with this name.
    case notNamed(kind: String, name: String)
    case notAWorkspace(path: String)
    case alreadyAWorkspace(path: String)
    /// The database was written by a newer vlm-align whose migrations this build does not know.
    case newerSchema(path: String)
    /// A request the store's rules forbid (a disabled reviewer voting, an empty freeze, …).
    case refused(String)

    public var description: String {
        switch self {
        case let .badInput(file, line?, problem): "\(file):\(line): \(problem)"
        case let .badInput(file, nil, problem): "\(file): \(problem)"
        case let .notFound(kind, id): "no \(kind) with ID \(id)"
        case let .notNamed(kind, name): "no \(kind) named \"\(name)\""
        case let .notAWorkspace(path):
            "\(path) is not a vlm-align workspace (no \(Workspace.databaseName)); create one with `vlm-align init`"
        case let .alreadyAWorkspace(path): "\(path) is already a vlm-align workspace"
        case let .newerSchema(path):
            "\(path) was written by a newer vlm-align (unknown schema migrations); upgrade vlm-align to open it"
        case let .refused(reason): reason
        }
    }

    public var errorDescription: String? { description }
}

extension StoreError {
    /// A bad input, as the store reports it.
    public init(_ error: InputError) { self = .badInput(file: error.file, line: error.line, problem: error.problem) }
}
