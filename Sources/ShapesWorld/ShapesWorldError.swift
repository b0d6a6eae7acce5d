/// A bad input: names the file (and line) and says what is wrong with it.
public struct ShapesWorldError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String?
    public let line: Int?
    public let problem: String

    public init(file: String? = nil, line: Int? = nil, _ problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var description: String {
        switch (file, line) {
        case (let file?, let line?): "\(file):\(line): \(problem)"
        case (let file?, nil): "\(file): \(problem)"
        default: problem
        }
    }
}
