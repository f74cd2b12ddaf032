/// The sign-in page.
enum LoginPage {
    /// The text for an `?error=` code; unknown codes get a generic text, so nothing from the URL is echoed.
    static func message(for code: String) -> String {
        switch code {
        case "locked": "Too many failed attempts. Wait a minute, then try again."
        default: "That name and password do not match."
        }
    }

    static func render(error: String?) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Sign in · Store dashboard</title><style>\(Style.css)</style></head>
        <body>
        <form class="login" method="post" action="/login">
          <h1>Store dashboard</h1>
          <div class="muted">Staff sign-in</div>
          <label>Name <input id="username" name="username" autocomplete="username" required autofocus></label>
          <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
          <button id="sign-in" type="submit">Sign in</button>
          \(error.map { "<div class=\"error\" id=\"login-error\">\($0)</div>" } ?? "")
        </form>
        </body></html>
        """
    }
}
