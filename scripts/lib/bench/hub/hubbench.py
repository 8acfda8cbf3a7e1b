#!/usr/bin/env python3
"""hubbench: measure a JupyterHub-like hub the way a person with a browser meets it.

Figures (one subcommand each):
  login-to-lab  time from the first login request until JupyterLab is ready for one user (several runs)
  class         N users log in and start within a few seconds; time until the last is ready, failed requests
  memory        RSS of the hub (+ proxy) processes with the registered users and M running sessions

"Ready" means: GET /user/<name>/lab, following redirects (including the single-user server's OAuth round trip
through the hub), answers 200 with JupyterLab's page (it contains `jupyter-config-data`), AND
GET /user/<name>/api/kernelspecs with the session's cookies answers 200.

--flavor only decides how login and spawn are done:
  jupyterhub  login form at /hub/login (PAM etc.), GET /hub/spawn (no options form)
  cygnet      /hub/login redirects to the identity provider's login form; POST /hub/spawn with an options form
Everything after (progress stream, lab, kernelspecs, stopping a server) is the same for both.

Results are JSON lines on stdout; a human summary goes to stderr. Requires httpx.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit

import httpx

# Headers a browser sends. JupyterHub decides whether a cookie-authenticated request needs an XSRF token from
# Sec-Fetch-Mode: page navigations don't, fetch()/EventSource requests ("cors") do. Without these headers it
# skips the check and logs a warning per request, which is neither what a browser causes nor free.
NAVIGATE = {
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Site": "same-origin",
    "Sec-Fetch-Dest": "document",
}
FETCH = {
    "Accept": "application/json",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "same-origin",
    "Sec-Fetch-Dest": "empty",
}
EVENT_STREAM = {**FETCH, "Accept": "text/event-stream"}
USER_AGENT = "hubbench/1.0 (httpx)"

DEFAULT_EXCLUDE_CMD = r"jupyterhub-singleuser|jupyter-lab|jupyter-server|ipykernel"


class FlowError(Exception):
    """A step of the browser flow did not get the answer a working hub gives."""


# --------------------------------------------------------------------------------------------------------------
# HTML forms


@dataclass
class Form:
    action: str | None
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # name/value pairs a browser would submit
    types: dict[str, str] = field(default_factory=dict)  # input name -> type

    def has_password(self) -> bool:
        return "password" in self.types.values()


class FormParser(HTMLParser):
    """Collects the forms of a page with the values a browser would submit without user input."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None  # name of the <select> being read
        self._select_value: str | None = None
        self._option_value: str | None = None
        self._option_text: list[str] | None = None
        self._option_selected = False
        self._textarea: str | None = None
        self._textarea_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action"), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            self._form.types[a["name"]] = kind
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.fields.append((a["name"], a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and a.get("name"):
            self._select, self._select_value = a["name"], None
            self._form.types[a["name"]] = "select"
        elif tag == "option" and self._select is not None:
            self._option_value = a.get("value")
            self._option_text = []
            self._option_selected = "selected" in a
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._textarea_text = a["name"], []
            self._form.types[a["name"]] = "textarea"

    def handle_data(self, data):
        if self._option_text is not None:
            self._option_text.append(data)
        if self._textarea is not None:
            self._textarea_text.append(data)

    def _end_option(self):
        if self._option_text is None:
            return
        value = self._option_value if self._option_value is not None else "".join(self._option_text).strip()
        # A browser submits the selected option, else the first one.
        if self._select_value is None or self._option_selected:
            self._select_value = value
        self._option_text = None

    def handle_endtag(self, tag):
        if tag == "option":
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            if self._form is not None and self._select_value is not None:
                self._form.fields.append((self._select, self._select_value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form.fields.append((self._textarea, "".join(self._textarea_text)))
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse_forms(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def fill(form: Form, values: dict[str, str]) -> list[tuple[str, str]]:
    """The form's fields with `values` put in (replacing or adding), in the form's order."""
    out, done = [], set()
    for name, value in form.fields:
        if name in values:
            if name not in done:
                out.append((name, values[name]))
                done.add(name)
        else:
            out.append((name, value))
    out += [(k, v) for k, v in values.items() if k not in done]
    return out


# --------------------------------------------------------------------------------------------------------------
# One browser


@dataclass
class RequestTally:
    """Requests sent and how many failed: HTTP status >= 400, or no answer at all (refused, reset, timeout)."""

    requests: int = 0
    http_errors: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    timings: list[tuple[float, str]] = field(default_factory=list)  # (seconds, "METHOD path -> status") per hop

    def slowest(self, n: int = 3) -> list[str]:
        return [f"{what} {seconds:.2f}s" for seconds, what in sorted(self.timings, reverse=True)[:n]]

    @property
    def failed(self) -> int:
        return len(self.http_errors) + len(self.transport_errors)

    def add(self, other: "RequestTally"):
        self.requests += other.requests
        self.http_errors += other.http_errors
        self.transport_errors += other.transport_errors
        self.timings += other.timings


class Browser:
    """A user's cookie jar and the flow of pages a browser goes through, for one flavor of hub."""

    def __init__(self, args, username: str, password: str):
        self.args = args
        self.base = args.base_url.rstrip("/")
        self.flavor = args.flavor
        self.username = username
        self.password = password
        self.tally = RequestTally()
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(args.request_timeout, connect=30.0),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            # Each user is a separate browser; a handful of connections is what one uses.
            limits=httpx.Limits(max_connections=6),
        )

    async def close(self):
        await self.client.aclose()

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def user_prefix(self) -> str:
        return f"/user/{quote(self.username)}"

    def cookie(self, name: str, path_prefix: str) -> str | None:
        """Value of cookie `name` whose path lies under `path_prefix` (the most specific one if several)."""
        best = None
        for c in self.client.cookies.jar:
            if c.name == name and (c.path.startswith(path_prefix) or path_prefix.startswith(c.path)):
                if best is None or len(c.path) > len(best.path):
                    best = c
        return best.value if best else None

    async def send(self, method: str, url: str, *, headers=None, follow=False, ok=None, form=None,
                   **kw) -> httpx.Response:
        """One request (with its redirects when `follow`), counted in the tally; FlowError if not in `ok`.
        `form`: name/value pairs sent as application/x-www-form-urlencoded, in order, repeats allowed."""
        if url.startswith("/"):
            url = self.url(url)
        headers = dict(headers or NAVIGATE)
        if form is not None:
            kw["content"] = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            r = await self.client.request(method, url, headers=headers, follow_redirects=follow, **kw)
        except httpx.HTTPError as e:
            self.tally.requests += 1
            self.tally.transport_errors.append(f"{method} {urlsplit(url).path}: {type(e).__name__}: {e}")
            raise FlowError(f"{method} {urlsplit(url).path}: {type(e).__name__}: {e}") from None
        for step in [*r.history, r]:
            self.tally.requests += 1
            if step.status_code >= 400:
                self.tally.http_errors.append(f"{step.request.method} {step.url.path}: {step.status_code}")
            # elapsed: from sending the request until its whole answer was read, per redirect hop.
            self.tally.timings.append((step.elapsed.total_seconds(),
                                       f"{step.request.method} {step.url.path} -> {step.status_code}"))
        if ok is not None and r.status_code not in ok:
            raise FlowError(f"{method} {urlsplit(url).path} -> {r.status_code} at {r.url.path}: {r.text[:200]!r}")
        return r

    # --- login ------------------------------------------------------------------------------------------------

    async def login(self):
        if self.flavor == "jupyterhub":
            await self._login_jupyterhub()
        else:
            await self._login_cygnet()

    def _login_form(self, r: httpx.Response) -> tuple[str, list[tuple[str, str]]]:
        """(absolute action URL, fields) of the page's login form: the form with a password field."""
        forms = [f for f in parse_forms(r.text) if f.has_password()]
        if not forms:
            raise FlowError(f"no login form (with a password field) at {r.url}")
        form = forms[0]
        password_field = next(n for n, t in form.types.items() if t == "password")
        user_field = "username" if "username" in form.types else next(
            (n for n, t in form.types.items() if t in ("text", "email")), "username")
        # A form without action posts to the page itself (query included).
        action = urljoin(str(r.url), form.action) if form.action else str(r.url)
        return action, fill(form, {user_field: self.username, password_field: self.password})

    async def _login_jupyterhub(self):
        r = await self.send("GET", "/hub/login", follow=True, ok=(200,))
        action, fields = self._login_form(r)  # hidden `_xsrf` included
        # Not following the redirect: it leads to /hub/ -> /hub/spawn, which is the next, separately timed step.
        r = await self.send("POST", action, form=fields, ok=(302, 303))
        if "/hub/login" in r.headers.get("location", ""):
            raise FlowError(f"login refused for {self.username} (redirected back to the login page)")

    async def _login_cygnet(self):
        # /hub/login -> 302 /auth/authorize?... -> the identity provider's login page
        r = await self.send("GET", "/hub/login", follow=True, ok=(200,))
        action, fields = self._login_form(r)  # hidden fields include csrf_token and the authorize parameters
        # -> 302 back to /hub/oauth_callback?code=... -> onward to the hub's page
        r = await self.send("POST", action, form=fields, follow=True, ok=(200,))
        if parse_forms(r.text) and any(f.has_password() for f in parse_forms(r.text)):
            raise FlowError(f"login refused for {self.username} (login form shown again at {r.url.path})")
        self._after_login_page = r

    # --- spawn ------------------------------------------------------------------------------------------------

    async def spawn(self):
        if self.flavor == "jupyterhub":
            await self._spawn_jupyterhub()
        else:
            await self._spawn_cygnet()

    async def _spawn_jupyterhub(self):
        # No options form: the GET starts the spawn, waits up to 1 s and redirects to /hub/spawn-pending/<name>
        # (or straight to /user/<name>/… if the server was already up).
        r = await self.send("GET", "/hub/spawn", ok=(302, 303))
        await self._open_pending(r)

    async def _spawn_cygnet(self):
        values = dict(self.args.spawn_option or [])
        # The options form may be on the page the login ended on, or on GET /hub/spawn; without one, POST the
        # given fields (plus an `_xsrf` cookie value if the hub set one).
        form, page = None, getattr(self, "_after_login_page", None)
        for attempt in range(2):
            if page is not None and page.status_code == 200:
                for f in parse_forms(page.text):
                    target = urljoin(str(page.url), f.action) if f.action else str(page.url)
                    if f.method == "post" and urlsplit(target).path.rstrip("/").endswith("/hub/spawn"):
                        form = (target, f)
                        break
            if form or attempt:
                break
            page = await self.send("GET", "/hub/spawn", ok=None)
            if page.status_code in (302, 303) and "spawn-pending" in page.headers.get("location", ""):
                await self._open_pending(page)  # the GET started it (no form on this hub)
                return
        if form:
            target, f = form
            fields = fill(f, values)
        else:
            target, fields = self.url("/hub/spawn"), list(values.items())
            xsrf = self.cookie("_xsrf", "/hub/")
            if xsrf:
                fields.append(("_xsrf", xsrf))
        r = await self.send("POST", target, form=fields, ok=(302, 303))
        await self._open_pending(r)

    async def _open_pending(self, r: httpx.Response):
        """Load the spawn-pending page a spawn redirected to, as the browser would (it also refreshes cookies)."""
        location = r.headers.get("location", "")
        if "spawn-pending" in location:
            await self.send("GET", urljoin(str(r.url), location), ok=(200, 302, 303))

    # --- wait, open, stop ---------------------------------------------------------------------------------------

    def _xsrf_headers(self, headers: dict, path_prefix: str) -> dict:
        token = self.cookie("_xsrf", path_prefix)
        return {**headers, "X-XSRFToken": token} if token else dict(headers)

    async def wait_ready(self) -> list[dict]:
        """Follow the progress event stream until `ready` (returns the events) or `failed` (FlowError)."""
        path = f"/hub/api/users/{quote(self.username)}/server/progress"
        events = []
        headers = self._xsrf_headers(EVENT_STREAM, "/hub/")
        self.tally.requests += 1
        try:
            async with self.client.stream("GET", self.url(path), headers=headers,
                                          timeout=httpx.Timeout(self.args.timeout, connect=30.0)) as r:
                if r.status_code != 200:
                    body = (await r.aread())[:200]
                    self.tally.http_errors.append(f"GET {path}: {r.status_code}")
                    raise FlowError(f"GET {path} -> {r.status_code}: {body!r}")
                async for line in r.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    event = json.loads(line[5:].strip())
                    events.append(event)
                    if event.get("failed"):
                        raise FlowError(f"spawn failed: {event.get('message', event)}")
                    if event.get("ready"):
                        return events
        except httpx.HTTPError as e:
            self.tally.transport_errors.append(f"GET {path}: {type(e).__name__}: {e}")
            raise FlowError(f"GET {path}: {type(e).__name__}: {e}") from None
        raise FlowError(f"progress stream ended without ready/failed (last event: {events[-1] if events else None})")

    async def open_lab(self):
        """JupyterLab's page (through the single-user server's OAuth round trip), then the kernelspecs API."""
        r = await self.send("GET", self.user_prefix + "/lab", follow=True, ok=(200,))
        if "jupyter-config-data" not in r.text:
            raise FlowError(f"GET {self.user_prefix}/lab ended at {r.url.path} without JupyterLab's page")
        headers = self._xsrf_headers(FETCH, self.user_prefix + "/")
        r = await self.send("GET", self.user_prefix + "/api/kernelspecs", headers=headers, ok=(200,))
        if "kernelspecs" not in r.json():
            raise FlowError("kernelspecs answer has no 'kernelspecs'")

    async def stop_server(self, timeout: float = 120.0):
        """Stop this user's server with the user's own session, and wait until the hub says it is stopped."""
        user_api = f"/hub/api/users/{quote(self.username)}"
        r = await self.send("DELETE", user_api + "/server", headers=self._xsrf_headers(FETCH, "/hub/"))
        if r.status_code == 204:
            return
        if r.status_code not in (200, 202):
            raise FlowError(f"DELETE {user_api}/server -> {r.status_code}: {r.text[:200]!r}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = await self.send("GET", user_api, headers=self._xsrf_headers(FETCH, "/hub/"), ok=(200,))
            model = r.json()
            if not model.get("server") and not model.get("pending") and not model.get("servers"):
                return
            await asyncio.sleep(0.5)
        raise FlowError(f"server of {self.username} still not stopped after {timeout:.0f} s")


# --------------------------------------------------------------------------------------------------------------
# Flows


@dataclass
class FlowResult:
    user: str
    ok: bool = False
    start: float = 0.0  # time.monotonic() of the first login request
    end: float | None = None  # ... of the moment JupyterLab was ready
    marks: dict[str, float] = field(default_factory=dict)  # phase -> seconds since start
    error: str | None = None
    failed_at: str | None = None
    tally: RequestTally = field(default_factory=RequestTally)

    @property
    def seconds(self) -> float | None:
        return None if self.end is None else self.end - self.start

    def as_json(self, **extra) -> dict:
        return {
            "user": self.user,
            "ok": self.ok,
            "seconds": _r(self.seconds),
            "phases": {k: _r(v) for k, v in self.marks.items()},
            "requests": self.tally.requests,
            "failed_requests": self.tally.failed,
            "http_errors": self.tally.http_errors,
            "transport_errors": self.tally.transport_errors,
            "slowest_requests": self.tally.slowest(),
            "error": self.error,
            "failed_at": self.failed_at,
            **extra,
        }


def _r(x, digits=3):
    return None if x is None else round(x, digits)


async def login_to_lab(args, username: str, password: str) -> tuple[FlowResult, Browser]:
    """The timed flow: login, spawn, wait for ready, open JupyterLab. Returns the still open browser."""
    browser = Browser(args, username, password)
    result = FlowResult(user=username, tally=browser.tally)
    result.start = time.monotonic()
    phase = "login"
    try:
        async def steps():
            nonlocal phase
            for phase, step in (("login", browser.login), ("spawn", browser.spawn),
                                ("ready", browser.wait_ready), ("lab", browser.open_lab)):
                await step()
                result.marks[phase] = time.monotonic() - result.start

        await asyncio.wait_for(steps(), args.timeout)
        result.end = time.monotonic()
        result.ok = True
    except asyncio.TimeoutError:
        result.error, result.failed_at = f"timed out after {args.timeout:.0f} s", phase
    except FlowError as e:
        result.error, result.failed_at = str(e), phase
    except Exception as e:  # noqa: BLE001 - a surprise (or a harness bug) fails this user, not the whole figure
        result.error, result.failed_at = f"{type(e).__name__}: {e}", phase
    return result, browser


async def with_session(args, username: str, password: str, action: str):
    """Untimed housekeeping with a fresh login: action 'stop' stops the user's server."""
    browser = Browser(args, username, password)
    try:
        await browser.login()
        if action == "stop":
            await browser.stop_server()
    finally:
        await browser.close()


async def for_each(names, limit: int, make):
    """Run make(name) for every name, at most `limit` at a time; returns the exceptions (name -> error)."""
    semaphore = asyncio.Semaphore(limit)
    errors = {}

    async def one(name):
        async with semaphore:
            try:
                await make(name)
            except Exception as e:  # noqa: BLE001 - reported, housekeeping goes on for the others
                errors[name] = f"{type(e).__name__}: {e}"

    await asyncio.gather(*(one(n) for n in names))
    return errors


async def stop_servers(args, users: list[str], passwords: dict[str, str], why: str):
    errors = await for_each(users, args.housekeeping_concurrency,
                            lambda u: with_session(args, u, passwords[u], "stop"))
    for user, error in errors.items():
        say(f"  could not stop the server of {user} ({why}): {error}")
    return errors


# --------------------------------------------------------------------------------------------------------------
# Subcommands


async def cmd_login_to_lab(args, users, passwords):
    results = []
    for i in range(args.warmup + args.runs):
        user = users[i % len(users)]
        warmup = i < args.warmup
        if not args.no_prepare:
            await stop_servers(args, [user], passwords, "before the run")
        busy = await wait_quiet(args)
        result, browser = await login_to_lab(args, user, passwords[user])
        await browser.close()
        label = "warm-up" if warmup else f"run {i - args.warmup + 1}/{args.runs}"
        say(f"  {label}: {user} " + (f"ready after {result.seconds:.2f} s" if result.ok
                                     else f"FAILED in {result.failed_at}: {result.error}"))
        emit({"figure": "login-to-lab", "kind": "run", "flavor": args.flavor, "warmup": warmup,
              "run": i - args.warmup + 1, "cpu_busy_before_pct": busy, **result.as_json()})
        if not warmup:
            results.append(result)
        if not args.keep_running:
            await stop_servers(args, [user], passwords, "after the run")
        if i + 1 < args.warmup + args.runs and args.pause:
            await asyncio.sleep(args.pause)
    times = [r.seconds for r in results if r.ok]
    summary = {
        "figure": "login-to-lab", "kind": "summary", "flavor": args.flavor, "base_url": args.base_url,
        "runs": len(results), "ok": len(times),
        "median_s": _r(statistics.median(times)) if times else None,
        "min_s": _r(min(times)) if times else None, "max_s": _r(max(times)) if times else None,
        "seconds": [_r(t) for t in times],
        "failed_requests": sum(r.tally.failed for r in results), **machine_state(),
    }
    emit(summary)
    say(f"login → ready JupyterLab ({args.flavor}): median {summary['median_s']} s over {len(times)} of "
        f"{len(results)} runs (min {summary['min_s']}, max {summary['max_s']}); "
        f"failed requests {summary['failed_requests']}")
    return 0 if len(times) == len(results) else 1


async def cmd_class(args, users, passwords):
    n = len(users)
    if not args.no_prepare:
        say(f"  making sure none of the {n} users has a server running …")
        await stop_servers(args, users, passwords, "before the class")
    busy = await wait_quiet(args)
    say(f"  {n} users arrive within {args.window:g} s …")
    cpu_before = cpu_times()
    start = time.monotonic()
    results: list[FlowResult] = [None] * n  # type: ignore[list-item]
    browsers: list[Browser | None] = [None] * n

    async def arrive(i, user):
        # Evenly spread: user i begins i*window/n seconds after the first, the last one before `window` ends.
        await asyncio.sleep(max(0.0, start + i * args.window / n - time.monotonic()))
        results[i], browsers[i] = await login_to_lab(args, user, passwords[user])

    await asyncio.gather(*(arrive(i, u) for i, u in enumerate(users)))
    cpu_after = cpu_times()
    # Average over the whole class: near 100 means the figure is bound by CPU (servers starting).
    cpu_during = round(100.0 * (cpu_after[0] - cpu_before[0]) / max(1, cpu_after[1] - cpu_before[1]), 1)
    for b in browsers:
        if b:
            await b.close()
    ok = [r for r in results if r.ok]
    for r in sorted(results, key=lambda r: r.start):
        emit({"figure": "class", "kind": "user", "flavor": args.flavor,
              **r.as_json(began_s=_r(r.start - start), ready_at_s=_r(None if r.end is None else r.end - start))})
    tally = RequestTally()
    for r in results:
        tally.add(r.tally)
    per_user = [r.seconds for r in ok]
    summary = {
        "figure": "class", "kind": "summary", "flavor": args.flavor, "base_url": args.base_url,
        "users": n, "window_s": args.window, "ready": len(ok), "failed_users": n - len(ok),
        # Until the last user that got there; with failures this is not "everyone", see failed_users.
        "last_ready_s": _r(max(r.end for r in ok) - start) if ok else None,
        "per_user_median_s": _r(statistics.median(per_user)) if per_user else None,
        "per_user_max_s": _r(max(per_user)) if per_user else None,
        "requests": tally.requests, "failed_requests": tally.failed,
        "http_errors": len(tally.http_errors), "transport_errors": len(tally.transport_errors),
        "errors": sorted({r.error for r in results if r.error}), "cpu_busy_before_pct": busy,
        "cpu_busy_during_pct": cpu_during,
        **machine_state(),
    }
    emit(summary)
    say(f"class of {n} within {args.window:g} s ({args.flavor}): {len(ok)}/{n} ready, the last after "
        f"{summary['last_ready_s']} s (per user median {summary['per_user_median_s']} s, max "
        f"{summary['per_user_max_s']} s); failed requests {tally.failed} of {tally.requests} "
        f"({len(tally.http_errors)} HTTP errors, {len(tally.transport_errors)} refused/no answer); "
        f"CPUs {cpu_during:.0f}% busy meanwhile")
    for e in summary["errors"]:
        say(f"  error: {e}")
    if not args.keep_running:
        say("  stopping the class's servers …")
        await stop_servers(args, users, passwords, "after the class")
    return 0 if len(ok) == n else 1


# --- memory -------------------------------------------------------------------------------------------------


def read_pid_file(path: str) -> int | None:
    try:
        return int(open(path).read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def proc_children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    return children


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def memory_of(pid: int) -> dict | None:
    """VmRSS and PSS (kB) of one process, None if it is gone."""
    out = {"pid": pid, "cmd": cmdline(pid)[:120]}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss_kb"] = int(line.split()[1])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    out["pss_kb"] = int(line.split()[1])
    except OSError:
        return None
    return out if "rss_kb" in out else None


def measured_pids(args) -> list[int]:
    """The hub's (and proxy's) processes: --pid, --pid-file, optionally their descendants (but never the
    single-user servers, matched by --exclude-cmd)."""
    pids = list(args.pid or [])
    for path in args.pid_file or []:
        pid = read_pid_file(path)
        if pid is None:
            raise SystemExit(f"no pid in {path}")
        pids.append(pid)
    if args.with_children:
        children, todo = proc_children(), list(pids)
        exclude = re.compile(args.exclude_cmd)
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in pids and not exclude.search(cmdline(child)):
                    pids.append(child)
                    todo.append(child)
    return sorted(set(pids))


def sample_memory(pids: list[int]) -> dict:
    procs = [m for m in (memory_of(p) for p in pids) if m]
    return {"rss_kb": sum(p["rss_kb"] for p in procs), "pss_kb": sum(p.get("pss_kb", 0) for p in procs),
            "processes": procs}


async def sample_series(pids, count: int, interval: float) -> dict:
    samples = []
    for i in range(count):
        samples.append(sample_memory(pids))
        if i + 1 < count:
            await asyncio.sleep(interval)
    rss = [s["rss_kb"] for s in samples]
    return {"rss_mib_median": _r(statistics.median(rss) / 1024, 1), "rss_mib_max": _r(max(rss) / 1024, 1),
            "pss_mib_median": _r(statistics.median(s["pss_kb"] for s in samples) / 1024, 1),
            "processes": samples[-1]["processes"]}


async def registered_users(args) -> int | None:
    """Count of users the hub knows (JupyterHub's REST API with an admin token), None if not available."""
    if not args.api_token:
        return None
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.get(args.base_url.rstrip("/") + "/hub/api/users", params={"limit": 1},
                             headers={"Authorization": f"token {args.api_token}",
                                      "Accept": "application/jupyterhub-pagination+json"})
        if r.status_code != 200:
            say(f"  could not count registered users: HTTP {r.status_code}")
            return None
        body = r.json()
        return body["_pagination"]["total"] if isinstance(body, dict) else len(body)


async def cmd_memory(args, users, passwords):
    pids = measured_pids(args)
    if not pids:
        raise SystemExit("memory: name the hub's processes with --pid/--pid-file (or --env-file)")
    say(f"  measuring processes {pids}: " + "; ".join(cmdline(p)[:60] for p in pids))
    registered = await registered_users(args)
    # "Idle" is taken before anything logs in (on a freshly started hub: registered users, no sessions).
    idle = await sample_series(pids, 3, 1.0)
    if not args.no_prepare:
        await stop_servers(args, users, passwords, "before measuring")
    say(f"  {len(users)} sessions starting ({args.concurrency} at a time) …")
    sessions: list[FlowResult] = []

    async def start_one(user):
        result, browser = await login_to_lab(args, user, passwords[user])
        await browser.close()
        sessions.append(result)
        if not result.ok:
            raise FlowError(result.error)

    errors = await for_each(users, args.concurrency, start_one)
    running = len(users) - len(errors)
    for user, error in errors.items():
        say(f"  session of {user} failed: {error}")
    pids = measured_pids(args)  # a hub might have started helpers meanwhile
    say(f"  {running} sessions running; settling {args.settle:g} s, then {args.samples} samples")
    await asyncio.sleep(args.settle)
    busy = await sample_series(pids, args.samples, args.sample_interval)
    summary = {
        "figure": "memory", "kind": "summary", "flavor": args.flavor, "base_url": args.base_url,
        "registered_users": registered, "running_sessions": running, "failed_sessions": len(errors),
        "rss_mib": busy["rss_mib_median"], "rss_mib_max": busy["rss_mib_max"], "pss_mib": busy["pss_mib_median"],
        "idle_rss_mib": idle["rss_mib_median"], "idle_pss_mib": idle["pss_mib_median"],
        "processes": busy["processes"], "failed_requests": sum(s.tally.failed for s in sessions),
        **machine_state(),
    }
    emit(summary)
    say(f"memory ({args.flavor}): hub+proxy RSS {summary['rss_mib']} MiB (PSS {summary['pss_mib']} MiB) with "
        f"{registered if registered is not None else '?'} registered users and {running} running sessions; "
        f"before the sessions {summary['idle_rss_mib']} MiB")
    for p in busy["processes"]:
        say(f"    pid {p['pid']:>7}  RSS {p['rss_kb'] / 1024:7.1f} MiB  PSS {p.get('pss_kb', 0) / 1024:7.1f} MiB  "
            f"{p['cmd'][:80]}")
    if not args.keep_running:
        say("  stopping the sessions …")
        await stop_servers(args, users, passwords, "after measuring")
    return 0 if not errors else 1


# --------------------------------------------------------------------------------------------------------------
# Plumbing


def emit(record: dict):
    print(json.dumps(record), flush=True)


def say(text: str):
    print(text, file=sys.stderr, flush=True)


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


async def wait_quiet(args) -> float | None:
    """Wait (at most --quiet-wait s) until the machine's CPUs are less than --quiet-below % busy over 5 s,
    so another job on a shared machine does not end up in a timed figure. Returns the last busy %."""
    if args.quiet_wait <= 0:
        return None
    deadline = time.monotonic() + args.quiet_wait
    while True:
        b0, t0 = cpu_times()
        await asyncio.sleep(5)
        b1, t1 = cpu_times()
        busy = 100.0 * (b1 - b0) / max(1, t1 - t0)
        if busy < args.quiet_below:
            return round(busy, 1)
        if time.monotonic() > deadline:
            say(f"  machine still {busy:.0f}% busy after waiting {args.quiet_wait:g} s; measuring anyway")
            return round(busy, 1)
        say(f"  machine {busy:.0f}% busy (another job?); waiting for it to calm down …")


def machine_state() -> dict:
    """Context for reading a figure later: load on the machine when it was taken."""
    return {"loadavg": [float(x) for x in open("/proc/loadavg").read().split()[:3]], "cpus": os.cpu_count(),
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def expand_users(spec: str) -> list[str]:
    """'benchu{01..30}' (zero padding kept), 'a,b,c', or a mix: 'admin,benchu{1..3}'."""
    names = []
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(.*)\{(\d+)\.\.(\d+)\}(.*)", part)
        if m:
            first, last = m.group(2), m.group(3)
            width = len(first) if first.startswith("0") else 0
            names += [f"{m.group(1)}{i:0{width}d}{m.group(4)}" for i in range(int(first), int(last) + 1)]
        elif part:
            names.append(part)
    return names


def read_env_file(path: str) -> dict[str, str]:
    env = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value.strip().strip("'\"")
    return env


def parse_args(argv=None):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--base-url", help="the hub's public address, e.g. http://127.0.0.1:8000")
    common.add_argument("--flavor", choices=("jupyterhub", "cygnet"), default="jupyterhub",
                        help="how login and spawn are done (default jupyterhub)")
    common.add_argument("--env-file", help="KEY=VALUE file written by run-jupyterhub.sh (or alike): HUB_URL, "
                                           "PASSWORD, API_TOKEN, MEMORY_PID_FILES give defaults")
    common.add_argument("--users", help="user names: 'benchu{01..30}' or 'a,b,c' (default depends on figure)")
    common.add_argument("--password", help="the password of every user")
    common.add_argument("--credentials", help="file with one 'user:password' per line (overrides --users)")
    common.add_argument("--spawn-option", action="append", type=lambda s: tuple(s.split("=", 1)),
                        metavar="KEY=VALUE", help="cygnet: a spawn form field (stack, cores, memory); repeatable")
    common.add_argument("--timeout", type=float, default=600, help="limit for one user's whole flow (s)")
    common.add_argument("--request-timeout", type=float, default=120, help="limit for one request (s)")
    common.add_argument("--no-prepare", action="store_true",
                        help="don't stop the users' servers before measuring (they must be stopped already)")
    common.add_argument("--keep-running", action="store_true", help="leave the servers running afterwards")
    common.add_argument("--quiet-wait", type=float, default=0,
                        help="before timing, wait up to this many seconds for the CPUs to be idle (shared machine)")
    common.add_argument("--quiet-below", type=float, default=20, help="'idle' means below this %% busy")
    common.add_argument("--housekeeping-concurrency", type=int, default=5,
                        help="users stopped at once before/after measuring")

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("login-to-lab", parents=[common], help="login → ready JupyterLab, one user, several runs")
    s.add_argument("--runs", type=int, default=5)
    s.add_argument("--warmup", type=int, default=0, help="extra runs first, reported but not counted")
    s.add_argument("--pause", type=float, default=2.0, help="seconds between runs")
    s = sub.add_parser("class", parents=[common], help="N users arriving within a window")
    s.add_argument("--window", type=float, default=5.0, help="all users begin within this many seconds")
    s.add_argument("--runs", type=int, default=1, help="accepted for symmetry; one class per invocation")
    s = sub.add_parser("memory", parents=[common], help="hub+proxy RSS with M running sessions")
    s.add_argument("--pid", type=int, action="append", help="a hub/proxy process id; repeatable")
    s.add_argument("--pid-file", action="append", help="a file holding a hub/proxy process id; repeatable")
    s.add_argument("--with-children", action="store_true",
                   help="also count descendants of those processes, except single-user servers (--exclude-cmd)")
    s.add_argument("--exclude-cmd", default=DEFAULT_EXCLUDE_CMD, help="regex of command lines never counted")
    s.add_argument("--api-token", help="admin API token, to report how many users are registered")
    s.add_argument("--concurrency", type=int, default=4, help="sessions started at once")
    s.add_argument("--settle", type=float, default=15.0, help="seconds to wait after the last session started")
    s.add_argument("--samples", type=int, default=5)
    s.add_argument("--sample-interval", type=float, default=2.0)
    s.add_argument("--runs", type=int, default=1, help="accepted for symmetry; one measurement per invocation")
    args = p.parse_args(argv)

    env = read_env_file(args.env_file) if args.env_file else {}
    args.base_url = args.base_url or env.get("HUB_URL")
    if not args.base_url:
        p.error("--base-url (or --env-file with HUB_URL) is required")
    args.password = args.password or env.get("PASSWORD")
    if args.command == "memory":
        args.api_token = args.api_token or env.get("API_TOKEN")
        if not args.pid and not args.pid_file and env.get("MEMORY_PID_FILES"):
            args.pid_file = env["MEMORY_PID_FILES"].split()
    if args.credentials:
        pairs = [line.rstrip("\n").split(":", 1) for line in open(args.credentials) if ":" in line]
        users, passwords = [u for u, _ in pairs], dict(pairs)
    else:
        default = {"login-to-lab": "benchu01", "class": "benchu{01..30}", "memory": "benchu{01..20}"}
        users = expand_users(args.users or default[args.command])
        if not args.password:
            p.error("--password (or --credentials, or --env-file with PASSWORD) is required")
        passwords = {u: args.password for u in users}
    if not users:
        p.error("no users")
    return args, users, passwords


def main(argv=None) -> int:
    args, users, passwords = parse_args(argv)
    say(f"hubbench {args.command} against {args.base_url} (flavor {args.flavor}), users "
        f"{users[0]}{'…' + users[-1] if len(users) > 1 else ''} ({len(users)})")
    command = {"login-to-lab": cmd_login_to_lab, "class": cmd_class, "memory": cmd_memory}[args.command]
    return asyncio.run(command(args, users, passwords))


if __name__ == "__main__":
    sys.exit(main())
