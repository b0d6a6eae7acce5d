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

    /// The longest one command may run before `run` kills it: a hung command fails its test
    /// instead of hanging the suite (a time limit cannot stop a test blocked in a wait). The
    /// slowest command of the suite takes seconds.
    public static let timeLimit: TimeInterval = 300

    /// `vlm-align ARGUMENTS`, not started yet, in `folder` when given, with `environment` added
    /// to this process's.
    public static func process(_ arguments: [String], in folder: URL? = nil, environment: [String: String] = [:]) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw CLIError("no vlm-align executable at \(executable.path); build the package first")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        return process
    }

    /// Runs `vlm-align ARGUMENTS` to the end, `input` on its standard input, `environment` added
    /// to this process's, and returns its exit status and output; one that runs past `timeLimit`
    /// is killed and the run throws.
    @discardableResult
    public static func run(_ arguments: [String], in folder: URL? = nil, input: String? = nil,
                           environment: [String: String] = [:]) throws -> Result {
        let process = try process(arguments, in: folder, environment: environment)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        let started = Date()
        try process.run()
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: watchdog)
        if let stdin, let input {
            // written from another thread, so a child that writes before it reads cannot stall on a full pipe
            DispatchQueue.global().async {
                try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
                try? stdin.fileHandleForWriting.close()
            }
        }
        // Read before waiting, so a full pipe cannot stall the child.
        let out = output.fileHandleForReading.readDataToEndOfFile(), err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL && Date().timeIntervalSince(started) >= timeLimit {
            throw CLIError("vlm-align \(arguments.joined(separator: " ")) ran past \(Int(timeLimit)) s and was killed")
        }
        return Result(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    /// Starts `vlm-align ARGUMENTS` (output discarded) and hands back the process and its
    /// standard error, for tests that signal or kill it.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe) {
        let process = try process(arguments, environment: environment)
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    /// Waits until `process`, started with `VLM_ALIGN_TEST_PAUSE_AT` (see `TestPause`), has
    /// stopped itself at that point; throws if it ends first or `limit` seconds pass. Reads the
    /// process's state from /proc (Linux).
    public static func waitUntilPaused(_ process: Process, limit: TimeInterval = timeLimit) throws {
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            guard process.isRunning else {
                throw CLIError("vlm-align ended (status \(process.terminationStatus)) before it reached its pause point")
            }
            // /proc/PID/stat: "PID (NAME) STATE …", the name in parentheses possibly holding spaces
            let stat = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)) ?? ""
            if let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].split(separator: " ").first == "T" { return }
            usleep(5_000)
        }
        kill(process.processIdentifier, SIGKILL)
        throw CLIError("vlm-align did not reach its pause point in \(Int(limit)) s; killed")
    }

    /// Waits until `process` ends; one still running after `limit` seconds is killed and the
    /// wait throws.
    public static func waitForExit(_ process: Process, limit: TimeInterval = timeLimit) throws {
        let deadline = Date().addingTimeInterval(limit)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        guard process.isRunning else { return process.waitUntilExit() }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw CLIError("vlm-align did not end in \(Int(limit)) s; killed")
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
