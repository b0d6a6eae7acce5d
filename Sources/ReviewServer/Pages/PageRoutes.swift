import Hummingbird
import Preferences

/// The HTML pages and the two files they load.
struct PageRoutes {
    let store: Store
    let configuration: ServerConfiguration

    /// The sign-in page and the stylesheet and script, which hold no data.
    func addPublic(to router: Router<ReviewContext>) {
        router.get("/login") { request, context in
            context.identity == nil ? LoginPage.render().response(from: request, context: context) : Response.redirect(to: "/")
        }
        router.get("/assets/app.css") { _, _ in Self.asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/app.js") { _, _ in Self.asset(Assets.javascript, type: "text/javascript; charset=utf-8") }
    }

    func addSignedIn(to group: RouterGroup<ReviewContext>) {
        group.get("/") { _, context in
            Response.redirect(to: try context.reviewer.role == .admin ? "/admin" : "/review")
        }
        group.get("/review") { _, context in
            let (vocabulary, guidelines) = try await store.run { (try $0.reviewVocabulary(), try $0.reviewGuidelines()) }
            return ReviewPage.render(identity: context.identity!, vocabulary: vocabulary, guidelines: guidelines)
        }
    }

    func addAdmin(to group: RouterGroup<ReviewContext>) {
        let overlap = configuration.overlap
        group.get("/admin") { request, context in
            let policy = try AdminRoutes.policy(request)
            let dashboard = try await store.run { workspace in try workspace.readReview { try Dashboard($0, overlap: overlap, policy: policy) } }
            return DashboardPage.render(dashboard, identity: context.identity!)
        }
    }

    private static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
