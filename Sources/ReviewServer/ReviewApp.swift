import Hummingbird
import Preferences

/// The reviewers' web app on a workspace: pages, JSON API and the middleware that guards them.
public enum ReviewApp {
    /// The application, ready to run. `onRunning` gets the port it listens on (useful with port 0).
    public static func make(workspace: Workspace, configuration: ServerConfiguration,
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        make(workspace: workspace, configuration: configuration, errorLog: .standardError, onRunning: onRunning)
    }

    /// The application, with the details of unexpected errors going to `errorLog`.
    static func make(workspace: Workspace, configuration: ServerConfiguration, errorLog: ErrorLog,
                     onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        Application(
            router: router(store: Store(workspace: workspace), configuration: configuration, errorLog: errorLog),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "vlm-align"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) })
    }

    /// Routes in three tiers: public (sign-in page, its files, `POST /api/login`), signed-in
    /// (session cookie with CSRF token on writes, or bearer token), and admin.
    static func router(store: Store, configuration: ServerConfiguration, errorLog: ErrorLog) -> Router<ReviewContext> {
        let router = Router(context: ReviewContext.self)
        router.add(middleware: SecurityHeadersMiddleware(log: errorLog))
        router.add(middleware: BodyLimitMiddleware())
        router.add(middleware: AuthenticationMiddleware(store: store, configuration: configuration))

        let pages = PageRoutes(store: store, configuration: configuration)
        let sessions = SessionRoutes(store: store, configuration: configuration)
        pages.addPublic(to: router)
        sessions.addPublic(to: router)

        let signedIn = router.group().add(middleware: RequireSignInMiddleware()).add(middleware: CSRFMiddleware())
        pages.addSignedIn(to: signedIn)
        sessions.addSignedIn(to: signedIn)
        ReviewRoutes(store: store, configuration: configuration).add(to: signedIn)

        let admin = signedIn.group().add(middleware: RequireAdminMiddleware())
        pages.addAdmin(to: admin)
        AdminRoutes(store: store, configuration: configuration).add(to: admin)
        return router
    }
}
