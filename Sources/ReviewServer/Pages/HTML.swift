import Hummingbird
import Preferences

/// A server-rendered page.
struct HTML: ResponseGenerator {
    var text: String

    func response(from request: Request, context: some RequestContext) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Text made safe to put between tags or in a quoted attribute.
func escaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}

/// The frame every page shares: head, top bar (when someone is signed in) and the app's script.
enum Layout {
    static func page(_ name: String, title: String, identity: Identity?, main: String) -> HTML {
        var meta = ""
        var bar = ""
        if let identity {
            if let csrf = identity.session?.csrfToken { meta = #"<meta name="csrf-token" content="\#(escaped(csrf))">"# }
            let links = [("review", "/review", "Review")] + (identity.reviewer.role == .admin ? [("dashboard", "/admin", "Dashboard")] : [])
            bar = """
                <header class="topbar">
                  <a class="brand" href="/review">vlm-align <span>review</span></a>
                  <nav>\(links.map { #"<a href="\#($0.1)"\#($0.0 == name ? #" aria-current="page""# : "")>\#($0.2)</a>"# }.joined())</nav>
                  <div class="who"><span>\(escaped(identity.reviewer.name))</span><button type="button" id="sign-out" class="link">Sign out</button></div>
                </header>
                """
        }
        return HTML(text: """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            \(meta)
            <title>\(escaped(title)) · vlm-align</title>
            <link rel="stylesheet" href="/assets/app.css">
            <script src="/assets/app.js" defer></script>
            </head>
            <body data-page="\(name)">
            \(bar)
            \(main)
            </body>
            </html>
            """)
    }
}
