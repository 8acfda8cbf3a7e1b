/// The pages a public link opens in a browser: the folder's files, or the password form. No JavaScript.
enum LinkPageTemplates {
    static let all: [String: String] = [
        "head": head, "foot": foot, "listing": listing, "password": password, "gone": gone,
    ]

    static let head = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} – shared with Cygnet</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:0;background:#f7f8fa;color:#1c2430}
        .bar{background:#1d4f91;color:#fff;padding:.6rem 1.2rem;font-weight:600}
        .page{max-width:50rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px}
        table{width:100%;border-collapse:collapse}
        td,th{padding:.45rem;border-bottom:1px solid #dde2e8;text-align:left}
        td.size,td.when{color:#4a5563;white-space:nowrap}
        input{padding:.5rem;font-size:1rem;border:1px solid #6b7785;border-radius:4px}
        button{padding:.55rem 1.1rem;font-size:1rem;background:#1d4f91;color:#fff;border:0;border-radius:4px}
        .problem{background:#fdecea;border-left:4px solid #b3261e;padding:.7rem}
        a:focus,button:focus,input:focus{outline:3px solid #2b6cb0;outline-offset:2px}
        </style>
        </head>
        <body><div class="bar">Cygnet{{#owner}} · shared by {{owner}}{{/owner}}</div><div class="page">
        """

    static let foot = """
        </div></body>
        </html>
        """

    static let listing = """
        {{> head}}
        <h1>{{title}}</h1>
        {{#up}}<p><a href="{{up}}">↑ Up</a></p>{{/up}}
        <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col">Changed</th></tr></thead>
        <tbody>
        {{#entries}}<tr><td><a href="{{href}}">{{name}}{{#folder}}/{{/folder}}</a></td><td class="size">{{size}}</td><td class="when">{{modified}}</td></tr>
        {{/entries}}
        </tbody>
        </table>
        {{^entries}}<p>This folder is empty.</p>{{/entries}}
        {{> foot}}
        """

    static let password = """
        {{> head}}
        <h1>{{title}}</h1>
        <p>This link is protected by a password. Ask the person who shared it.</p>
        {{#wrong}}<p class="problem" role="alert">That password is not right; try again.</p>{{/wrong}}
        <form method="post" action="{{action}}">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="off" required autofocus>
        <button type="submit">Open</button>
        </form>
        {{> foot}}
        """

    static let gone = """
        {{> head}}
        <h1>{{title}}</h1>
        <p>{{text}}</p>
        {{> foot}}
        """
}
