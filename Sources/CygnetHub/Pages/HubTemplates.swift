/// The hub's HTML pages, compiled in. They work without JavaScript; the little script on the form and the progress
/// page only adds live updates and the copy button.
enum HubTemplates {
    static let all: [String: String] = [
        "head": head, "foot": foot, "home": home, "spawn": spawn, "pending": pending, "message": message,
        "admin": admin, "added": added, "sync": sync,
    ]

    static let head = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        {{#refresh}}<noscript><meta http-equiv="refresh" content="{{refresh}}"></noscript>{{/refresh}}
        <title>{{title}} – Cygnet</title>
        <style>
        body{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1c2430;margin:0}
        header{background:#1d4f91;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:center}
        header a{color:#fff}
        header .who{margin-left:auto}
        main{max-width:52rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
        h1{font-size:1.5rem;margin-top:0}
        label{display:block;font-weight:600;margin-top:1rem}
        select,textarea,input[type=text]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #6b7785;border-radius:4px;margin-top:.3rem}
        textarea{font-family:ui-monospace,monospace;min-height:6rem}
        .check{font-weight:normal}
        input:focus,button:focus,a:focus,select:focus,textarea:focus{outline:3px solid #2b6cb0;outline-offset:2px}
        button,.button{display:inline-block;margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem;background:#1d4f91;color:#fff;border:0;border-radius:4px;cursor:pointer;text-decoration:none}
        button.secondary{background:#4a5563}
        .error{background:#fdecea;border-left:4px solid #b3261e;padding:.75rem;margin:1rem 0;color:#5f1410}
        .notice{background:#fff7e0;border-left:4px solid #b7791f;padding:.75rem;margin:1rem 0}
        .muted{color:#4a5563;font-size:.9rem}
        pre.log{background:#10161f;color:#d8e0ea;padding:1rem;border-radius:4px;max-height:24rem;overflow:auto;white-space:pre-wrap}
        table{border-collapse:collapse;width:100%;font-size:.9rem}
        th,td{text-align:left;border-bottom:1px solid #d6dbe1;padding:.4rem}
        td form{display:inline}
        td button{margin:0;padding:.3rem .7rem;font-size:.85rem}
        </style>
        </head>
        <body>
        <header><strong>Cygnet</strong><a href="/hub/home">Home</a><a href="/hub/sync">Files on your computer</a>{{#isAdmin}}<a href="/hub/admin">Admin</a>{{/isAdmin}}<span class="who">{{#userName}}{{userName}} · <a href="/hub/logout">Sign out</a>{{/userName}}</span></header>
        <main>
        """

    static let foot = """
        </main>
        </body>
        </html>
        """

    static let home = """
        {{> head}}
        <h1>Hello, {{userName}}</h1>
        {{#notice}}<div class="notice" role="status">{{notice}}</div>{{/notice}}
        {{#failure}}<div class="error" role="alert"><p>Your last session did not start:</p><pre class="log">{{#lines}}{{.}}
        {{/lines}}</pre></div>{{/failure}}
        {{#running}}
        <p>Your session is running: {{stack}}, {{cores}} core(s), {{memory}} MB memory, started {{started}}.</p>
        <a class="button" href="{{url}}">Open JupyterLab</a>
        <form method="post" action="/hub/stop"><input type="hidden" name="_xsrf" value="{{csrfToken}}"><button type="submit" class="secondary">Stop my session</button></form>
        {{/running}}
        {{#pending}}<p>Your session is starting. <a href="/hub/spawn-pending/{{userName}}">Follow its progress</a>.</p>{{/pending}}
        {{#stopped}}
        <p>You have no session running.</p>
        <a class="button" href="/hub/spawn">Start my session</a>
        {{#saved}}<p class="muted">It starts with your saved choices. <a href="/hub/spawn?form=1">Choose other settings</a>.</p>{{/saved}}
        {{/stopped}}
        {{> foot}}
        """

    static let spawn = """
        {{> head}}
        <h1>Start your session</h1>
        {{#hasProblems}}<div class="error" role="alert" id="form-errors"><p>Please correct these choices:</p><ul>{{#problems}}<li>{{.}}</li>{{/problems}}</ul></div>{{/hasProblems}}
        <form method="post" action="/hub/spawn" id="spawn-form">
        <input type="hidden" name="_xsrf" value="{{csrfToken}}">
        {{#open}}<input type="hidden" name="open" value="{{open}}">{{/open}}
        <label for="stack">Software stack</label>
        <select id="stack" name="stack">{{#stacks}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}} – {{description}}</option>{{/stacks}}</select>
        <label for="cores">Cores</label>
        <select id="cores" name="cores">{{#cores}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/cores}}</select>
        <label for="memory_mb">Memory</label>
        <select id="memory_mb" name="memory_mb">{{#memory}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/memory}}</select>
        <label for="startup_script">Startup script (optional)</label>
        <textarea id="startup_script" name="startup_script" aria-describedby="script-help">{{startupScript}}</textarea>
        <p class="muted" id="script-help">Shell commands run in your home folder before JupyterLab starts, e.g. <code>pip install --user tqdm</code>. If they fail, the session does not start and you see their output.</p>
        <label class="check"><input type="checkbox" name="always" value="1"{{#always}} checked{{/always}}> Always start with this configuration (skip this page next time)</label>
        <button type="submit">Start</button>
        </form>
        <h2>Launch link</h2>
        <p class="muted">Hand this link out (for example to a class): it starts a session with the choices above.</p>
        <label for="launch-link">Link for these choices</label>
        <input type="text" id="launch-link" readonly value="{{launchLink}}">
        <button type="button" id="copy-link" class="secondary">Copy link</button>
        <script>
        (function(){
          var form=document.getElementById('spawn-form'), out=document.getElementById('launch-link');
          var base={{{launchBaseJSON}}};
          function update(){var p=new URLSearchParams();['stack','cores','memory_mb','open'].forEach(function(n){var f=form.elements[n];if(f&&f.value)p.set(n,f.value);});out.value=base+'?'+p.toString();}
          form.addEventListener('change',update);update();
          document.getElementById('copy-link').addEventListener('click',function(){out.select();if(navigator.clipboard){navigator.clipboard.writeText(out.value);}else{document.execCommand('copy');}});
        })();
        </script>
        {{> foot}}
        """

    static let pending = """
        {{> head}}
        <h1>Starting your session</h1>
        <progress id="bar" max="100" value="{{progress}}" aria-label="Start-up progress">{{progress}}%</progress>
        <pre class="log" id="log" aria-live="polite">{{#lines}}{{.}}
        {{/lines}}</pre>
        <p class="muted">This page follows the start-up as it happens and opens JupyterLab when it is ready.</p>
        <noscript><p><a href="{{url}}">Open JupyterLab</a> once the log says it is ready (the page reloads every few seconds).</p></noscript>
        <script>
        (function(){
          var log=document.getElementById('log'), bar=document.getElementById('bar'), target={{{targetJSON}}};
          var source=new EventSource({{{progressJSON}}});
          log.textContent='';
          source.onmessage=function(e){
            var ev=JSON.parse(e.data); bar.value=ev.progress||0; log.textContent+=ev.message+'\\n'; log.scrollTop=log.scrollHeight;
            if(ev.ready){source.close(); window.location.href=target;}
            if(ev.failed){source.close(); bar.value=100;}
          };
          source.onerror=function(){source.close(); setTimeout(function(){window.location.reload();},2000);};
        })();
        </script>
        {{> foot}}
        """

    static let message = """
        {{> head}}
        <h1>{{heading}}</h1>
        {{#isError}}<div class="error" role="alert">{{text}}</div>{{/isError}}
        {{^isError}}<p>{{text}}</p>{{/isError}}
        {{#notice}}<div class="notice" role="status">{{notice}}</div>{{/notice}}
        {{#linkURL}}<a class="button" href="{{linkURL}}">{{linkText}}</a>{{/linkURL}}
        {{> foot}}
        """

    static let sync = """
        {{> head}}
        <h1>Your files on your computer</h1>
        {{#notice}}<div class="notice" role="status">{{notice}}</div>{{/notice}}
        {{#problem}}<div class="error" role="alert" id="sync-problem">{{problem}}</div>{{/problem}}
        {{#created}}
        <div class="notice" role="status" id="new-app-password-box">
        <p>The app password for <strong>{{label}}</strong> is</p>
        <p><code id="new-app-password" style="font-size:1.2rem">{{password}}</code></p>
        <p>Type or paste it into the sync app now: it is shown only this once. If you lose it, revoke it below and make another.</p>
        </div>
        {{/created}}
        <p>The files in your sessions can also live on your computer and stay in step both ways. Install the
        <a href="https://nextcloud.com/install/#install-clients">Nextcloud desktop app</a> (the ownCloud one works too),
        choose to log in with an app password, and enter:</p>
        <table>
        <tr><th scope="row">Server address</th><td><code id="server-address">{{serverURL}}</code></td></tr>
        <tr><th scope="row">User name</th><td><code>{{userName}}</code></td></tr>
        <tr><th scope="row">Password</th><td>an app password made on this page, not the password you sign in with</td></tr>
        </table>
        <p class="muted">Other programs that speak WebDAV (rclone, file managers) use the address <code>{{davURL}}</code> with the same user name and app password.</p>
        <h2>Make an app password</h2>
        <p class="muted">Make one for each computer or app, so you can stop one without touching the others.</p>
        <form method="post" action="/hub/sync/passwords" id="app-password-form">
        <input type="hidden" name="_xsrf" value="{{csrfToken}}">
        <label for="label">Which computer or app is it for?</label>
        <input type="text" id="label" name="label" maxlength="100" placeholder="for example: my laptop" required>
        <button type="submit">Make an app password</button>
        </form>
        <h2>Your app passwords</h2>
        {{#hasPasswords}}
        <table id="app-passwords">
        <thead><tr><th scope="col">For</th><th scope="col">Made</th><th scope="col">Last used</th><th scope="col"><span class="muted">Revoke</span></th></tr></thead>
        <tbody>
        {{#passwords}}<tr><td>{{label}}</td><td>{{created}}</td><td>{{lastUsed}}</td>
        <td><form method="post" action="/hub/sync/passwords/{{id}}/revoke"><input type="hidden" name="_xsrf" value="{{csrfToken}}"><button type="submit" class="secondary" aria-label="Revoke the app password for {{label}}">Revoke</button></form></td></tr>
        {{/passwords}}
        </tbody>
        </table>
        {{/hasPasswords}}
        {{^hasPasswords}}<p class="muted" id="no-app-passwords">You have none yet.</p>{{/hasPasswords}}
        {{> foot}}
        """

    static let added = """
        {{> head}}
        <h1>People added</h1>
        <p>Hand each person their password; it is shown only this once.</p>
        <table>
        <thead><tr><th scope="col">User name</th><th scope="col">Password</th></tr></thead>
        <tbody>
        {{#created}}<tr><td>{{name}}</td><td><code>{{password}}</code></td></tr>
        {{/created}}
        </tbody>
        </table>
        <a class="button" href="/hub/admin">Back to the admin page</a>
        {{> foot}}
        """

    static let admin = """
        {{> head}}
        <h1>Administration</h1>
        <p class="notice">{{spawnerDescription}}</p>
        <h2>Users and sessions</h2>
        <table>
        <thead><tr><th scope="col">User</th><th scope="col">Groups</th><th scope="col">Session</th><th scope="col">Started</th><th scope="col">Last activity</th><th scope="col">CPU</th><th scope="col">Memory</th><th scope="col">Actions</th></tr></thead>
        <tbody>
        {{#users}}<tr><td>{{name}}{{#admin}} (admin){{/admin}}</td><td>{{groups}}</td><td>{{state}}</td><td>{{started}}</td><td>{{lastActivity}}</td><td>{{cpu}}</td><td>{{memory}}</td>
        <td>{{#running}}<form method="post" action="/hub/admin/users/{{name}}/stop"><input type="hidden" name="_xsrf" value="{{csrfToken}}"><button type="submit" class="secondary">Stop</button></form>{{/running}}{{^running}}<form method="post" action="/hub/admin/users/{{name}}/start"><input type="hidden" name="_xsrf" value="{{csrfToken}}"><button type="submit">Start</button></form>{{/running}}</td></tr>
        {{/users}}
        </tbody>
        </table>
        <h2>Add people</h2>
        <p class="muted">One user name per line (a–z, 0–9, '.', '_', '-'). Each gets an account with a generated password, shown once on the next page. For names, e-mail addresses and several groups at once, use <code>cygnet users import class.csv</code>.</p>
        <form method="post" action="/hub/admin/users">
        <input type="hidden" name="_xsrf" value="{{csrfToken}}">
        <label for="names">User names</label>
        <textarea id="names" name="names"></textarea>
        <label for="group">Add them to the group (optional, e.g. a class)</label>
        <input type="text" id="group" name="group">
        <button type="submit">Add</button>
        </form>
        {{> foot}}
        """
}
