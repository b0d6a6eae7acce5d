import Foundation

/// The built `vlm-align` executable, run as a user would run it: the one way tests drive the
/// command line.
public enum CLI {
    /// Beside the test bundle: `swift build --build-tests` and `swift test` build both.
    public static let executable: URL = {
        #if os(Linux)
        let testBinary = URL(filePath: "/proc/self/exe").resolvingSymlinksInPath()
        #else
        let testBinary = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }!.bundleURL
        #endif
        return testBinary.deletingLastPathComponent().appending(path: "vlm-align")
    }()

    public struct Result {
        public var status: Int32
        public var output: String
        public var errors: String
    }

    /// `vlm-align ARGUMENTS`, not started yet, in `folder` when given.
    public static func process(_ arguments: [String], in folder: URL? = nil) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw CLIError("no vlm-align executable at \(executable.path); build the package first")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        return process
    }

    /// Runs `vlm-align ARGUMENTS` to the end and returns its exit status and output.
    @discardableResult
    public static func run(_ arguments: [String], in folder: URL? = nil) throws -> Result {
        let process = try process(arguments, in: folder)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read before waiting, so a full pipe cannot stall the child.
        let out = output.fileHandleForReading.readDataToEndOfFile(), err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    /// Starts `vlm-align ARGUMENTS` (output discarded) and hands back the process and its
    /// standard error, for tests that signal or kill it.
    public static func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = try process(arguments)
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    /// A new empty folder under the system's temporary folder.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-align-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
