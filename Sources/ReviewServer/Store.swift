import Dispatch
import Hummingbird
import Preferences

/// The workspace as request handlers use it. Store calls block (SQLite), so they run on
/// Dispatch's threads, not on the threads that serve connections. The store's refusals and
/// missing records become HTTP errors with their message; anything else is the server's
/// problem, left for `SecurityHeadersMiddleware` to report.
struct Store: Sendable {
    let workspace: Workspace

    func run<T: Sendable>(_ body: @escaping @Sendable (Workspace) throws -> T) async throws -> T {
        let workspace = workspace
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Result { try body(workspace) }) }
        }
        do {
            return try result.get()
        } catch let error as StoreError {
            switch error {
            case .notFound, .notNamed: throw HTTPError(.notFound, message: error.description)
            case .refused: throw HTTPError(.conflict, message: error.description)
            default: throw error
            }
        }
    }
}
