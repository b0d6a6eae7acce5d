/// A bad input of the user's (a file, a line of it, a folder): names where, and what is wrong.
public struct InputError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    /// 1-based, where the file is line-oriented.
    public let line: Int?
    public let problem: String

    public init(file: String, line: Int? = nil, _ problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var description: String {
        if let line { "\(file):\(line): \(problem)" } else { "\(file): \(problem)" }
    }
}
