"""Helpers for the hub's end-to-end tests: a person signing in through cygnet-auth, filling in the session
form, following the spawn progress, opening JupyterLab through the proxy and running code on a kernel over
its WebSocket, as JupyterLab itself does. Also used by scripts/bench (the `hub` benchmark): no pytest here."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
import websocket

from cygnet_e2e import Page, is_redirect, submit_login

SPAWN_TIMEOUT = 180.0


class HubError(AssertionError):
    pass


@dataclass
class Progress:
    events: list[dict]

    @property
    def ready(self) -> bool:
        return bool(self.events) and bool(self.events[-1].get("ready"))

    @property
    def failed(self) -> bool:
        return bool(self.events) and bool(self.events[-1].get("failed"))

    @property
    def messages(self) -> list[str]:
        return [event.get("message", "") for event in self.events]


class HubBrowser:
    """One person's browser: a cookie jar that follows redirects by hand where the test looks at them."""

    def __init__(self, base_url: str, username: str):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- signing in ------------------------------------------------------------------------------

    def login(self, password: str, next_path: str = "/hub/") -> requests.Response:
        """GET /hub/login → cygnet-auth's login page → back to the hub; returns the hub page reached."""
        response = self.session.get(self.url("/hub/login?next=" + next_path), allow_redirects=False, timeout=30)
        hops = 0
        while is_redirect(response) and hops < 10:
            response = self.session.get(urljoin(response.url, response.headers["Location"]), allow_redirects=False, timeout=30)
            hops += 1
        if Page.of(response).login_form() is not None:
            response = submit_login(self.session, response, self.username, password)
        while is_redirect(response) and hops < 20:
            response = self.session.get(urljoin(response.url, response.headers["Location"]), allow_redirects=False, timeout=30)
            hops += 1
        if "cygnet-hub-session" not in self.session.cookies:
            raise HubError(f"no hub session after signing in as {self.username}: {response.status_code} {response.text[:400]}")
        return response

    def new_token(self, **body) -> str:
        """An API token of one's own, asked for from the browser session (the CSRF cookie echoed in a header)."""
        self.session.get(self.url("/hub/home"), timeout=30)  # sets the CSRF cookie
        csrf = self.session.cookies.get("_xsrf", path="/hub/")
        response = self.session.post(
            self.url(f"/hub/api/users/{self.username}/tokens"), json=body, headers={"X-XSRFToken": csrf}, timeout=30
        )
        if response.status_code != 201:
            raise HubError(f"creating a token answered {response.status_code}: {response.text[:300]}")
        return response.json()["token"]

    # -- the session form ------------------------------------------------------------------------

    def spawn_form(self, query: str = "?form=1") -> requests.Response:
        return self.session.get(self.url("/hub/spawn" + query), timeout=30)

    def submit_spawn(self, **fields) -> requests.Response:
        """Fills in the form (hidden fields as given by the page) and posts it; returns the unfollowed answer."""
        form_page = self.spawn_form()
        page = Page.of(form_page)
        forms = [form for form in page.forms if form.action.endswith("/hub/spawn")]
        if not forms:
            raise HubError(f"no session form at /hub/spawn: {form_page.status_code} {page.text[:300]}")
        data = forms[0].hidden_fields()
        data.update({key: str(value) for key, value in fields.items()})
        return self.session.post(self.url("/hub/spawn"), data=data, allow_redirects=False, timeout=30)

    def progress(self, timeout: float = SPAWN_TIMEOUT) -> Progress:
        """Reads the server-sent events of the spawn until `ready` or `failed`."""
        events: list[dict] = []
        with self.session.get(
            self.url(f"/hub/api/users/{self.username}/server/progress"), stream=True, timeout=timeout
        ) as response:
            if response.status_code != 200:
                raise HubError(f"progress answered {response.status_code}: {response.text[:300]}")
            for line in response.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    event = json.loads(line[len("data:"):].strip())
                    events.append(event)
                    if event.get("ready") or event.get("failed"):
                        break
        return Progress(events)

    def start(self, **fields) -> Progress:
        answer = self.submit_spawn(**fields)
        if answer.status_code != 303:
            raise HubError(f"the form answered {answer.status_code}: {Page.of(answer).text[:500]}")
        return self.progress()

    def stop(self) -> None:
        """The home page's stop button, then wait until the hub says the server is gone."""
        home = self.session.get(self.url("/hub/home"), timeout=30)
        forms = [form for form in Page.of(home).forms if form.action == "/hub/stop"]
        if not forms:
            raise HubError("no stop button on the home page")
        self.session.post(self.url("/hub/stop"), data=forms[0].hidden_fields(), allow_redirects=False, timeout=30)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            model = self.session.get(self.url(f"/hub/api/users/{self.username}"), timeout=30).json()
            if not model.get("servers"):
                return
            time.sleep(0.2)
        raise HubError("the session did not stop within 60 s")

    # -- JupyterLab through the proxy --------------------------------------------------------------

    def open_lab(self) -> requests.Response:
        """GET /user/<name>/lab, following the single-user server's OAuth round trip through the hub."""
        response = self.session.get(self.url(f"/user/{self.username}/lab"), timeout=60)
        if response.status_code != 200 or "jupyter-config-data" not in response.text:
            raise HubError(f"JupyterLab did not open: {response.status_code} {response.url} {response.text[:300]}")
        return response

    def xsrf_headers(self) -> dict[str, str]:
        token = self.session.cookies.get("_xsrf", path=f"/user/{self.username}/") or self.session.cookies.get("_xsrf")
        return {"X-XSRFToken": token} if token else {}

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {}) | self.xsrf_headers()
        return self.session.request(
            method, self.url(f"/user/{self.username}/api{path}"), headers=headers, timeout=60, **kwargs
        )

    def start_kernel(self, name: str = "python3") -> str:
        response = self.api("POST", "/kernels", json={"name": name})
        if response.status_code != 201:
            raise HubError(f"creating a kernel answered {response.status_code}: {response.text[:300]}")
        return response.json()["id"]

    def execute(self, kernel_id: str, code: str, timeout: float = 60.0) -> str:
        """Runs `code` over the kernel's WebSocket (Jupyter messaging) and returns its stdout."""
        ws_url = self.url(f"/user/{self.username}/api/kernels/{kernel_id}/channels").replace("http", "ws", 1)
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        connection = websocket.create_connection(ws_url, cookie=cookie, timeout=timeout)
        try:
            msg_id = uuid.uuid4().hex
            connection.send(json.dumps(execute_request(msg_id, code)))
            output, replied, idle = [], False, False
            deadline = time.monotonic() + timeout
            while not (replied and idle) and time.monotonic() < deadline:
                message = json.loads(connection.recv())
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = message["msg_type"]
                if kind == "stream":
                    output.append(message["content"]["text"])
                elif kind == "error":
                    raise HubError("the cell failed: " + "\n".join(message["content"]["traceback"]))
                elif kind == "execute_reply":
                    replied = True
                elif kind == "status" and message["content"]["execution_state"] == "idle":
                    idle = True
            return "".join(output)
        finally:
            connection.close()

    def write_file(self, path: str, text: str) -> None:
        response = self.api("PUT", f"/contents/{path}", json={"type": "file", "format": "text", "content": text})
        if response.status_code not in (200, 201):
            raise HubError(f"writing {path} answered {response.status_code}: {response.text[:300]}")

    def read_file(self, path: str) -> str | None:
        response = self.api("GET", f"/contents/{path}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()["content"]


def execute_request(msg_id: str, code: str) -> dict:
    return {
        "header": {
            "msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex, "msg_type": "execute_request",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }
