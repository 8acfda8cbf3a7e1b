"""Helpers for the end-to-end tests: start and stop the real `cygnet up`, run the CLI, log in
through the HTML login page as a browser would, and speak OAuth 2 / OpenID Connect by hand
where a client library would hide what we want to check.

Also used by scripts/bench (the `auth` benchmark), so it must not import pytest.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from authlib.jose import JsonWebKey, JsonWebToken

REPOSITORY = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("CYGNET_BIN_DIR", REPOSITORY / ".build" / "debug")).resolve()

READY_TIMEOUT = float(os.environ.get("CYGNET_E2E_READY_TIMEOUT", "120"))
STOP_TIMEOUT = 30.0
CLI_TIMEOUT = 180.0

ADMIN_USERNAME_LINE = re.compile(r"^\s*username:\s*admin\s*$", re.MULTILINE)
PASSWORD_LINE = re.compile(r"^\s*password:\s*(\S+)\s*$", re.MULTILINE)
CLIENT_ID_LINE = re.compile(r"^\s*client_id:\s*(\S+)\s*$", re.MULTILINE)
CLIENT_SECRET_LINE = re.compile(r"^\s*client_secret:\s*(\S+)\s*$", re.MULTILINE)

# Redirect URIs of the test clients. Never contacted: the tests read the Location header.
PUBLIC_REDIRECT_URI = "http://localhost:8765/callback"
CONFIDENTIAL_REDIRECT_URI = "http://localhost:8766/callback"
CONFIDENTIAL_LOGOUT_URI = "http://localhost:8766/logged-out"


def cygnet_binary() -> Path:
    return BIN_DIR / "cygnet"


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1, with the five after it free too: `cygnet up`
    puts its sign-in service, proxy control port, hub, software server and storage there."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 5 < 65536 and all(_port_is_free(port + offset) for offset in range(1, 6)):
            return port


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def kill_process_group(process: subprocess.Popen) -> None:
    """SIGKILL to the process group we started, unless its leader was already reaped: the pid may then belong to
    someone else (pid_max is 32768 here, and a Swift build runs through pids fast)."""
    if process.returncode is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        pass


def wait_for(condition, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Polls `condition` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# The appliance process


class CygnetInstance:
    """One `cygnet up` in the foreground, with its own state directory and port.

    Its combined stdout and stderr are drained by a thread into `output` and a log file, so a
    chatty server can never block on a full pipe, and a failing test can show what it said.
    """

    all_instances: list["CygnetInstance"] = []

    def __init__(
        self,
        state_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        public_url: str | None = None,
        env: dict[str, str] | None = None,
    ):
        self.state_dir = Path(state_dir)
        self.port = port or free_port()
        self.host = host
        self.public_url = public_url
        # Extra CYGNET_… settings for this instance's services (they inherit `cygnet up`'s environment).
        # Software stacks are off unless a test turns them on: they mount at /cvmfs, one appliance at a time.
        self.env = {"CYGNET_SOFTWARE_ENABLED": "false"} | dict(env or {})
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []
        self.runs = 0
        self.log_path = self.state_dir.parent / f"{self.state_dir.name}-cygnet-up.log"
        self.first_run_password: str | None = None
        self.last_run_output = ""
        self._lock = threading.Lock()
        CygnetInstance.all_instances.append(self)

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/auth"

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = READY_TIMEOUT) -> str:
        """Starts `cygnet up` and waits for its ready line; returns what it printed up to then."""
        assert not self.is_running(), "already running"
        binary = cygnet_binary()
        if not binary.exists():
            raise FileNotFoundError(f"{binary} does not exist; build first (swift build) or set CYGNET_BIN_DIR")
        self.runs += 1
        run_start = len(self.output)
        command = [str(binary), "up", "--state-dir", str(self.state_dir), "--port", str(self.port)]
        if self.public_url:
            command += ["--public-url", self.public_url]
        self._log(f"\n===== run {self.runs}: {' '.join(command)}\n")
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            # Its own process group, so teardown can always reach cygnet-auth as well.
            start_new_session=True,
            env=os.environ | self.env,
        )
        threading.Thread(target=self._drain, args=(self.process,), daemon=True).start()

        def ready():
            if any("Cygnet is ready" in line for line in self.output[run_start:]):
                return True
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"cygnet up exited with status {self.process.returncode} before it was ready:\n" + self.tail(40)
                )
            return False

        try:
            wait_for(ready, timeout, what="'Cygnet is ready'")
        except TimeoutError:
            self.kill()
            raise TimeoutError(f"cygnet up was not ready within {timeout:.0f} s:\n{self.tail(40)}") from None
        self.last_run_output = "".join(self.output[run_start:])
        if self.runs == 1:
            match = PASSWORD_LINE.search(self.last_run_output)
            if match:
                self.first_run_password = match.group(1)
        return self.last_run_output

    def _drain(self, process: subprocess.Popen):
        assert process.stdout is not None
        for line in process.stdout:
            with self._lock:
                self.output.append(line)
            self._log(line)

    def _log(self, text: str):
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(text)

    def tail(self, lines: int = 60) -> str:
        with self._lock:
            return "".join(self.output[-lines:])

    def child_pids(self) -> list[int]:
        """Direct children of the `cygnet up` process (cygnet-auth and, later, the others)."""
        if not self.is_running():
            return []
        return [pid for pid, parent in _process_parents().items() if parent == self.process.pid]

    def stop(self, sig: int = signal.SIGINT, timeout: float = STOP_TIMEOUT) -> int:
        """Sends `sig` and waits for the exit; returns the exit status (kills on timeout)."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise TimeoutError(
                    f"cygnet up did not exit within {timeout:.0f} s of {signal.Signals(sig).name}"
                ) from None
        return self.process.returncode

    def kill(self):
        """Last resort for teardown: SIGKILL to the whole process group that we started, and to the
        sessions of this instance's hub (each runs in a session of its own, so it survives a hub restart)."""
        if self.process is None:
            return
        kill_process_group(self.process)
        for pid in self.session_pids():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def session_pids(self) -> list[int]:
        """Session servers started by this instance's hub (their JUPYTERHUB_API_URL names its port)."""
        marker = f"JUPYTERHUB_API_URL=http://127.0.0.1:{self.port + 3}/hub/api".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environment = (entry / "environ").read_bytes()
            except OSError:
                continue
            if marker in environment.split(b"\0"):
                found.append(int(entry.name))
        return found

    # -- the CLI against this state directory ---------------------------------------------------

    def cli(self, *args: str, input: str | None = None, check: bool = True, timeout: float = CLI_TIMEOUT):
        return run_cli(self.state_dir, *args, input=input, check=check, timeout=timeout)

    def add_user(self, username: str, password: str, name: str = "", email: str = "", groups=(), admin: bool = False):
        args = ["users", "add", username]
        if name:
            args += ["--name", name]
        if email:
            args += ["--email", email]
        for group in groups:
            args += ["--group", group]
        if admin:
            args.append("--admin")
        args.append("--password-stdin")
        return self.cli(*args, input=password + "\n")

    def add_group(self, name: str):
        return self.cli("groups", "add", name)

    def add_client(self, name: str, redirect_uris, public=False, scopes=(), extra=()) -> "Client":
        args = ["clients", "add", name]
        for uri in redirect_uris:
            args += ["--redirect-uri", uri]
        if public:
            args.append("--public")
        for scope in scopes:
            args += ["--scope", scope]
        args += list(extra)
        result = self.cli(*args)
        client_id = CLIENT_ID_LINE.search(result.stdout)
        assert client_id, f"'clients add' printed no 'client_id:' line:\n{result.stdout}"
        secret = CLIENT_SECRET_LINE.search(result.stdout)
        if public:
            assert not secret, f"a public client got a client_secret:\n{result.stdout}"
        else:
            assert secret, f"a confidential client got no 'client_secret:' line:\n{result.stdout}"
        return Client(
            client_id=client_id.group(1),
            client_secret=secret.group(1) if secret else None,
            redirect_uris=list(redirect_uris),
        )

    def usernames(self) -> set[str]:
        return usernames_from_json(self.cli("users", "list", "--json").stdout)


def cli_command(state_dir: Path, *args: str) -> list[str]:
    """`cygnet --state-dir DIR ARGS…`, the form the contract gives for every admin command."""
    return [str(cygnet_binary()), "--state-dir", str(state_dir), *args]


def run_cli(state_dir: Path, *args: str, input: str | None = None, check: bool = True, timeout: float = CLI_TIMEOUT):
    result = subprocess.run(
        cli_command(state_dir, *args),
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited with {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def usernames_from_json(text: str) -> set[str]:
    """Usernames from `users list --json`: a list of user objects, or an object holding one."""
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("users", data.get("items", []))
    return {entry["username"] if isinstance(entry, dict) else entry for entry in data}


def display_name(user: dict) -> str | None:
    """The full name in a user object (the admin API takes `name`; `displayName` is accepted on output)."""
    return user.get("name", user.get("displayName"))


def users_from_json(text: str) -> dict[str, dict]:
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("users", data.get("items", []))
    return {entry["username"]: entry for entry in data}


def _process_parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                text = stat.read()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces; fields after it are fixed.
        fields = text[text.rfind(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
    return parents


def process_exists(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def process_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as comm:
            return comm.read().strip()
    except OSError:
        return ""


def roster_csv(rows) -> str:
    """A roster file: header `username,name,email,groups,password`, one row per tuple."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["username", "name", "email", "groups", "password"])
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# OAuth clients and the provider


@dataclass
class Client:
    client_id: str
    client_secret: str | None
    redirect_uris: list[str]

    @property
    def redirect_uri(self) -> str:
        return self.redirect_uris[0]

    @property
    def is_public(self) -> bool:
        return self.client_secret is None

    def auth(self):
        """requests' `auth` for the token, revocation and introspection endpoints (client_secret_basic)."""
        return (self.client_id, self.client_secret) if self.client_secret else None

    def body(self) -> dict:
        """Form fields that identify a public client (it has no secret to authenticate with)."""
        return {"client_id": self.client_id} if self.is_public else {}


@dataclass
class Provider:
    """The OpenID provider at `issuer`, with its discovery document."""

    issuer: str
    discovery: dict = field(default_factory=dict)

    @classmethod
    def discover(cls, issuer: str) -> "Provider":
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        return cls(issuer=issuer, discovery=response.json())

    def endpoint(self, key: str, path: str) -> str:
        return self.discovery.get(key) or f"{self.issuer}{path}"

    @property
    def authorization_endpoint(self):
        return self.endpoint("authorization_endpoint", "/authorize")

    @property
    def token_endpoint(self):
        return self.endpoint("token_endpoint", "/token")

    @property
    def userinfo_endpoint(self):
        return self.endpoint("userinfo_endpoint", "/userinfo")

    @property
    def jwks_uri(self):
        return self.endpoint("jwks_uri", "/jwks")

    @property
    def revocation_endpoint(self):
        return self.endpoint("revocation_endpoint", "/revoke")

    @property
    def introspection_endpoint(self):
        return self.endpoint("introspection_endpoint", "/introspect")

    @property
    def end_session_endpoint(self):
        return self.endpoint("end_session_endpoint", "/logout")

    def jwks(self) -> dict:
        response = requests.get(self.jwks_uri, timeout=10)
        response.raise_for_status()
        return response.json()

    def supported_scopes(self, wanted=("openid", "profile", "email", "groups", "offline_access")) -> list[str]:
        supported = self.discovery.get("scopes_supported")
        if not supported:
            return ["openid", "profile", "email"]
        return [scope for scope in wanted if scope in supported]

    # -- raw protocol calls ----------------------------------------------------------------------

    def authorize_url(self, client: Client, **parameters) -> str:
        query = {"response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri}
        query.update({key: value for key, value in parameters.items() if value is not None})
        return f"{self.authorization_endpoint}?{urlencode(query)}"

    def token(self, client: Client, **fields) -> requests.Response:
        data = {**client.body(), **{key: value for key, value in fields.items() if value is not None}}
        return requests.post(self.token_endpoint, data=data, auth=client.auth(), timeout=30)

    def exchange_code(self, client: Client, code: str, verifier: str | None) -> requests.Response:
        return self.token(
            client,
            grant_type="authorization_code",
            code=code,
            redirect_uri=client.redirect_uri,
            code_verifier=verifier,
        )

    def refresh(self, client: Client, refresh_token: str) -> requests.Response:
        return self.token(client, grant_type="refresh_token", refresh_token=refresh_token)

    def introspect(self, client: Client, token: str) -> dict:
        response = requests.post(
            self.introspection_endpoint, data={"token": token, **client.body()}, auth=client.auth(), timeout=10
        )
        assert response.status_code == 200, f"introspection answered {response.status_code}: {response.text}"
        return response.json()

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(self.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=10)


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


# ---------------------------------------------------------------------------------------------
# The login page, as a browser sees it


@dataclass
class HTMLForm:
    method: str
    action: str
    inputs: list[dict[str, str]]

    def hidden_fields(self) -> dict[str, str]:
        return {
            attributes["name"]: attributes.get("value", "")
            for attributes in self.inputs
            if attributes.get("type", "text").lower() == "hidden" and "name" in attributes
        }

    def field_names(self) -> set[str]:
        return {attributes["name"] for attributes in self.inputs if "name" in attributes}


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[HTMLForm] = []
        self.text: list[str] = []
        self._form: HTMLForm | None = None
        self._invisible = 0

    def handle_starttag(self, tag, attrs):
        attributes = {name.lower(): (value or "") for name, value in attrs}
        if tag in ("script", "style", "template"):
            self._invisible += 1
        elif tag == "form":
            self._form = HTMLForm(
                method=attributes.get("method", "get").lower(), action=attributes.get("action", ""), inputs=[]
            )
            self.forms.append(self._form)
        elif tag in ("input", "button", "select", "textarea") and self._form is not None:
            self._form.inputs.append({"tag": tag, **attributes})

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._invisible = max(0, self._invisible - 1)
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if not self._invisible and data.strip():
            self.text.append(data.strip())


@dataclass
class Page:
    url: str
    status: int
    forms: list[HTMLForm]
    text: str

    @classmethod
    def of(cls, response: requests.Response) -> "Page":
        parser = _PageParser()
        parser.feed(response.text)
        parser.close()
        return cls(url=response.url, status=response.status_code, forms=parser.forms, text=" ".join(parser.text))

    def login_form(self) -> HTMLForm | None:
        for form in self.forms:
            if form.method == "post" and {"username", "password"} <= form.field_names():
                return form
        return None


class LoginPageMissing(AssertionError):
    pass


def submit_login(browser: requests.Session, page_response: requests.Response, username: str, password: str):
    """Fills in the login form of `page_response` and posts it, all hidden fields unchanged."""
    page = Page.of(page_response)
    form = page.login_form()
    if form is None:
        raise LoginPageMissing(
            f"no login form (POST with username and password) on {page_response.url} "
            f"(status {page_response.status_code}): {page.text[:500]}"
        )
    data = form.hidden_fields()
    data.update(username=username, password=password)
    action = urljoin(page_response.url, form.action) if form.action else page_response.url
    return browser.post(action, data=data, allow_redirects=False, timeout=60)


def login(browser: requests.Session, authorize_url: str, username: str, password: str) -> requests.Response:
    """A person opening `authorize_url` and logging in. Returns the last response, unfollowed:
    a redirect to the client on success, the login page again on failure. When the browser
    already has a login session, the authorize request itself may redirect straight away."""
    response = browser.get(authorize_url, allow_redirects=False, timeout=30)
    if response.status_code in (301, 302, 303, 307):
        return response
    assert response.status_code == 200, (
        f"GET authorize answered {response.status_code}, expected the login page: {response.text[:500]}"
    )
    return submit_login(browser, response, username, password)


def is_redirect(response: requests.Response) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and "Location" in response.headers


@dataclass
class CodeFlowResult:
    code: str
    state: str
    verifier: str | None
    nonce: str
    location: str


def authorization_code(
    provider: Provider,
    client: Client,
    browser: requests.Session,
    username: str,
    password: str,
    scope: str,
    use_pkce: bool = True,
) -> CodeFlowResult:
    """Runs the browser part of the code flow and returns the code (asserting success)."""
    verifier, challenge = pkce_pair() if use_pkce else (None, None)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url = provider.authorize_url(
        client,
        scope=scope,
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method="S256" if use_pkce else None,
    )
    response = login(browser, url, username, password)
    assert is_redirect(response), (
        f"login as {username} did not redirect (status {response.status_code}): {Page.of(response).text[:500]}"
    )
    location = response.headers["Location"]
    assert without_query(location) == client.redirect_uri, f"redirected to {location}"
    parameters = query_of(location)
    assert "error" not in parameters, f"authorization error: {parameters}"
    assert parameters.get("state") == state
    return CodeFlowResult(code=parameters["code"], state=state, verifier=verifier, nonce=nonce, location=location)


def tokens_for(
    provider: Provider, client: Client, username: str, password: str, scope: str, use_pkce: bool = True
) -> dict:
    """Logs in with a fresh browser and exchanges the code; returns the token response."""
    flow = authorization_code(provider, client, requests.Session(), username, password, scope, use_pkce)
    response = provider.exchange_code(client, flow.code, flow.verifier)
    assert response.status_code == 200, f"code exchange answered {response.status_code}: {response.text}"
    tokens = response.json()
    tokens["_nonce"] = flow.nonce
    return tokens


# ---------------------------------------------------------------------------------------------
# JWTs taken apart and forged


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), signature


def forge_jwt(header: dict, payload: dict, signature: str) -> str:
    encode = lambda value: b64url_encode(json.dumps(value, separators=(",", ":")).encode())  # noqa: E731
    return f"{encode(header)}.{encode(payload)}.{signature}"


def with_alg_none(token: str) -> str:
    header, payload, _ = jwt_parts(token)
    return forge_jwt({**header, "alg": "none"}, payload, "")


def with_flipped_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(b64url_decode(signature))
    raw[len(raw) // 2] ^= 0x01
    return f"{header}.{payload}.{b64url_encode(bytes(raw))}"


def with_changed_claims(token: str, **claims) -> str:
    """The same header and signature over a payload with `claims` changed (signature now wrong)."""
    header, payload, signature = token.split(".")
    changed = {**json.loads(b64url_decode(payload)), **claims}
    return f"{header}.{b64url_encode(json.dumps(changed, separators=(',', ':')).encode())}.{signature}"


# ---------------------------------------------------------------------------------------------
# ID token verification, with authlib's jose against the provider's JWKS

SIGNING_ALGORITHMS = ["ES256", "RS256"]


def verify_signature(provider, token: str) -> dict:
    """Checks a JWT's signature (and only that) against the provider's JWKS; returns its claims."""
    jwks = provider.jwks()
    header, _, _ = jwt_parts(token)
    assert header.get("alg") in SIGNING_ALGORITHMS, f"alg {header.get('alg')!r}"
    assert header.get("kid") in {key.get("kid") for key in jwks["keys"]}, "kid is not in the JWKS"
    return dict(JsonWebToken(SIGNING_ALGORITHMS).decode(token, JsonWebKey.import_key_set(jwks)))


def verify_id_token(provider, id_token: str, client_id: str, nonce: str | None) -> dict:
    """Checks the signature against the provider's JWKS and the standard claims; returns the claims."""
    jwks = provider.jwks()
    header, _, _ = jwt_parts(id_token)
    assert header.get("alg") in SIGNING_ALGORITHMS, f"ID token alg {header.get('alg')!r}"
    assert header.get("kid") in {key.get("kid") for key in jwks["keys"]}, "ID token kid is not in the JWKS"
    options = {
        "iss": {"essential": True, "value": provider.issuer},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    claims = JsonWebToken(SIGNING_ALGORITHMS).decode(id_token, JsonWebKey.import_key_set(jwks), claims_options=options)
    claims.validate(leeway=5)
    return dict(claims)
