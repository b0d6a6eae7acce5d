import Dispatch
import Foundation

/// SIGINT and SIGTERM ask a run to stop after the current step (it then saves its state);
/// a second signal stops at once.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    public var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }

    public func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                let again = self.requested
                self.requested = true
                self.lock.unlock()
                if again { exit(128 + sig) }
            }
            source.resume()
            sources.append(source)
        }
    }
}
