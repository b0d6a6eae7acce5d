import Foundation
import Testing

/// The built `vlm-align` executable, run as a user would run it.
enum CLI {
    /// Beside the test bundle: `swift build --build-tests` and `swift test` build both.
    static let executable: URL = {
        #if os(Linux)
        let testBinary = URL(filePath: "/proc/self/exe").resolvingSymlinksInPath()
        #else
        let testBinary = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }!.bundleURL
        #endif
        return testBinary.deletingLastPathComponent().appending(path: "vlm-align")
    }()

    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    static func process(_ arguments: [String], in folder: URL? = nil) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw StoreTestError("no vlm-align executable at \(executable.path); build the package first")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        return process
    }

    /// Runs `vlm-align ARGUMENTS` to the end and returns its exit status and output.
    @discardableResult
    static func run(_ arguments: [String], in folder: URL? = nil) throws -> Result {
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
}

struct StoreTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
