import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Test-only: lets a test interrupt a process at a named moment instead of racing it with a
/// timer. With `VLM_ALIGN_TEST_PAUSE_AT=POINT:N` in its environment (say `step:8`), the process
/// stops itself with SIGSTOP the N-th time it passes `TestPause.pass(POINT)`; the test sees it
/// stopped, then kills or signals it (and sends SIGCONT to let a signal be handled). Without the
/// variable, as in every real use, `pass` does nothing.
public enum TestPause {
    public static let variable = "VLM_ALIGN_TEST_PAUSE_AT"

    /// The moments a test can pause at; each is passed once what it names is on disk.
    public enum Point: String, CaseIterable, Sendable {
        /// A training step: its metrics line written and, on a save step, its checkpoint.
        case trainingStep = "step"
        /// A training checkpoint's files written and synced in their staging folder.
        case checkpointStaged = "checkpoint-staged"
        /// The staged checkpoint renamed into place; `latest` still names the one before.
        case checkpointMoved = "checkpoint-moved"
        /// `latest` names the new checkpoint; older ones not yet removed.
        case checkpointNamed = "checkpoint-named"
        /// An import's image written to the blob store (before the import's transaction).
        case importBlob = "import-blob"
    }

    /// The value that pauses at the `count`-th pass of `point`.
    public static func value(_ point: Point, _ count: Int) -> String { "\(point.rawValue):\(count)" }

    /// Called at each point; stops the process at the pass the variable names.
    public static func pass(_ point: Point) {
        guard let target, target.point == point, passes.next(point) == target.count else { return }
        kill(getpid(), SIGSTOP)
    }

    private static let target: (point: Point, count: Int)? = {
        guard let value = ProcessInfo.processInfo.environment[variable] else { return nil }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let point = Point(rawValue: String(parts[0])), let count = Int(parts[1]), count > 0 else {
            let points = Point.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("\(variable)=\(value): expected POINT:N with N ≥ 1 and POINT one of \(points)\n".utf8))
            exit(2)
        }
        return (point, count)
    }()

    private static let passes = Passes()

    /// How many times each point has been passed in this process.
    private final class Passes: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [Point: Int] = [:]

        func next(_ point: Point) -> Int {
            lock.lock()
            defer { lock.unlock() }
            counts[point, default: 0] += 1
            return counts[point]!
        }
    }
}
