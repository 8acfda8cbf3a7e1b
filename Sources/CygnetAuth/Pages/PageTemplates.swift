/// The HTML of cygnet-auth's pages, compiled in so the binary needs no resource files beside it.
/// Pages work without JavaScript; every field has a label, errors are announced (`role="alert"`).
enum PageTemplates {
    static let all: [String: String] = [
        "layout-head": layoutHead, "layout-foot": layoutFoot, "login": login, "message": message,
    ]

    static let layoutHead = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} – Cygnet</title>
        <style>
        body{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1c2430;margin:0}
        main{max-width:26rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
        h1{font-size:1.5rem;margin-top:0}
        label{display:block;font-weight:600;margin-top:1rem}
        input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #6b7785;border-radius:4px;margin-top:.3rem}
        input:focus,button:focus,a:focus{outline:3px solid #2b6cb0;outline-offset:2px}
        button{margin-top:1.5rem;width:100%;padding:.7rem;font-size:1rem;background:#1d4f91;color:#fff;border:0;border-radius:4px;cursor:pointer}
        .error{background:#fdecea;border-left:4px solid #b3261e;padding:.75rem;margin:1rem 0;color:#5f1410}
        .muted{color:#4a5563;font-size:.9rem}
        </style>
        </head>
        <body>
        <main>
        """

    static let layoutFoot = """
        </main>
        </body>
        </html>
        """

    static let login = """
        {{> layout-head}}
        <h1>Sign in to Cygnet</h1>
        <p class="muted">{{purpose}}</p>
        {{#error}}<div class="error" role="alert" id="login-error">{{error}}</div>{{/error}}
        <form method="post" action="{{action}}">
        {{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">
        {{/fields}}<input type="hidden" name="csrf_token" value="{{csrfToken}}">
        <label for="username">Username</label>
        <input type="text" id="username" name="username" value="{{username}}" autocomplete="username" autocapitalize="none" spellcheck="false" required{{#error}} aria-describedby="login-error"{{/error}}{{^username}} autofocus{{/username}}>
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required{{#username}} autofocus{{/username}}>
        <button type="submit">Sign in</button>
        </form>
        {{> layout-foot}}
        """

    static let message = """
        {{> layout-head}}
        <h1>{{title}}</h1>
        {{#isError}}<div class="error" role="alert">{{text}}</div>{{/isError}}
        {{^isError}}<p>{{text}}</p>{{/isError}}
        {{#hint}}<p class="muted">{{hint}}</p>{{/hint}}
        {{#signOutAction}}<form method="post" action="{{signOutAction}}"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><button type="submit">Sign out</button></form>{{/signOutAction}}
        {{> layout-foot}}
        """
}
