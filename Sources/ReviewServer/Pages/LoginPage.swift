/// Sign-in with the token `vlm-align reviewers add` printed.
enum LoginPage {
    static func render() -> HTML {
        Layout.page("login", title: "Sign in", identity: nil, main: """
            <main class="login">
              <form id="login-form" class="card">
                <h1>vlm-align <span>review</span></h1>
                <p>Paste the access token you were given.</p>
                <label for="token">Access token</label>
                <input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false" required autofocus>
                <button type="submit" class="primary">Sign in</button>
                <p id="login-error" class="error" role="alert" hidden></p>
              </form>
            </main>
            """)
    }
}
