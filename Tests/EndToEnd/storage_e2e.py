"""Helpers for the storage tests: run `cygnet-storage` on its own (no `cygnet up`), give users app passwords,
and drive the real clients people sync with (litmus, rclone, owncloudcmd, nextcloudcmd) against it.

The test modules load this file as a pytest plugin (`pytest_plugins = ["storage_e2e"]`) so that a failing
test shows the server's log, as conftest.py does for `cygnet up`. The modules import it before pytest
loads it as a plugin, too late for assertion rewriting, hence PYTEST_DONT_REWRITE: its checks carry their
own messages.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from cygnet_e2e import BIN_DIR, READY_TIMEOUT, STOP_TIMEOUT, free_port, kill_process_group, wait_for

CLI_TIMEOUT = 120.0
CLIENT_TIMEOUT = 300.0

# Debian packages of the clients: a missing client fails its test with the package to install.
PACKAGES = {
    "litmus": "litmus",
    "rclone": "rclone",
    "owncloudcmd": "owncloud-client-cmd",
    "nextcloudcmd": "nextcloud-desktop-cmd",
}


def storage_binary() -> Path:
    return BIN_DIR / "cygnet-storage"


def space_folder_name(username: str) -> str:
    """The folder of a user's space below `storage.root`, named as the hub names session homes (the server's
    AccountName.unixAccountName): `jupyter-<name>`, shortened and given a hash when the name had to change."""
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789_-")
    mapped = "".join(character if character in allowed else "-" for character in username.lower())
    if mapped != username or mapped.startswith("-") or len(mapped) > 20:
        mapped = mapped[:16] + "-" + hashlib.sha256(username.encode()).hexdigest()[:6]
    return "jupyter-" + mapped


def require_client(command: str) -> str:
    """The path of a client program; fails (never skips) when it is missing, since scripts/test installs it."""
    path = shutil.which(command)
    if path is None:
        pytest.fail(f"{command} is not installed: apt-get install {PACKAGES.get(command, command)}", pytrace=False)
    return path


def client_environment(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a client: a private HOME and XDG folders, so that no client reads or writes the
    real user's configuration, no GUI platform, and no proxy between the client and 127.0.0.1."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy") and not name.startswith("RCLONE_")
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_RUNTIME_DIR=str(home / "runtime"),
        QT_QPA_PLATFORM="offscreen",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        LC_ALL="C.UTF-8",
    )
    (home / "runtime").mkdir(mode=0o700, exist_ok=True)
    env.update(extra)
    return env


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------
# The server


@dataclass(frozen=True)
class Account:
    username: str
    password: str


class StorageServer:
    """One `cygnet-storage --config FILE` on a free port, with its state and spaces under one folder.

    Its stdout and stderr go to a log file (nothing can block on a full pipe); `tail` reads it back for
    failure messages. Started in a process group of its own so that teardown reaches anything it spawned.
    """

    running: list["StorageServer"] = []

    def __init__(self, base: Path, storage_settings: dict | None = None):
        """`storage_settings` are added to (or replace) the `storage:` section of the config, e.g.
        {"quota": {"default": "3MB"}}."""
        self.base = Path(base)
        self.storage_settings = dict(storage_settings or {})
        self.state_dir = self.base / "state"
        self.spaces = self.base / "spaces"
        self.config_path = self.base / "storage.yaml"
        self.log_path = self.base / "cygnet-storage.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def dav_url(self, username: str) -> str:
        """The WebDAV root of a user's files, as sync clients and rclone use it."""
        return f"{self.base_url}/remote.php/dav/files/{username}/"

    def space(self, username: str) -> Path:
        """Where the user's files are on disk: what a session sees and writes."""
        return self.spaces / space_folder_name(username)

    def write_config(self):
        # Every value is written as JSON, which YAML reads as it is (flow style for mappings): paths with any
        # character stay intact, and no YAML library is needed.
        storage = {"host": "127.0.0.1", "port": self.port, "root": str(self.spaces), "unix_accounts": False}
        storage |= self.storage_settings
        self.base.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            f"state_dir: {json.dumps(str(self.state_dir))}\n"
            "database:\n"
            f"  url: {json.dumps('sqlite:' + str(self.state_dir / 'cygnet.sqlite'))}\n"
            "storage:\n" + "".join(f"  {key}: {json.dumps(value)}\n" for key, value in storage.items()),
            encoding="utf-8",
        )

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_notice(self) -> str | None:
        """None while the server runs; once it has exited, how (a crash shows as a signal)."""
        if self.process is None or self.process.poll() is None:
            return None
        status = self.process.returncode
        how = f"signal {signal.Signals(-status).name}" if status < 0 else f"status {status}"
        return f"cygnet-storage exited ({how})"

    def start(self, timeout: float = READY_TIMEOUT) -> "StorageServer":
        """Starts the server and waits until /status.php answers 200 with JSON."""
        binary = storage_binary()
        if not binary.exists():
            raise FileNotFoundError(f"{binary} does not exist; build first (swift build) or set CYGNET_BIN_DIR")
        self.write_config()
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"===== {binary} --config {self.config_path} (port {self.port})\n")
            log.flush()
            self.process = subprocess.Popen(
                [str(binary), "--config", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if self not in StorageServer.running:
            StorageServer.running.append(self)

        def ready():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"cygnet-storage exited with status {self.process.returncode} before it was ready:\n{self.tail()}"
                )
            return self.status() is not None

        try:
            wait_for(ready, timeout, interval=0.1, what="cygnet-storage's /status.php")
        except TimeoutError:
            self.kill()
            raise TimeoutError(f"cygnet-storage was not ready within {timeout:.0f} s:\n{self.tail()}") from None
        return self

    def status(self) -> dict | None:
        """/status.php as JSON, or None while the server does not answer it (yet)."""
        try:
            response = requests.get(f"{self.base_url}/status.php", timeout=2)
        except requests.RequestException:
            return None
        if response.status_code != 200:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def stop(self, timeout: float = STOP_TIMEOUT):
        """SIGTERM, then SIGKILL for the whole process group if it does not exit in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self):
        """SIGKILL to the server's process group (see `kill_process_group`)."""
        if self.process is None:
            return
        kill_process_group(self.process)
        if self in StorageServer.running:
            StorageServer.running.remove(self)

    def tail(self, lines: int = 60) -> str:
        try:
            return tail(self.log_path.read_text(encoding="utf-8", errors="replace"), lines)
        except FileNotFoundError:
            return "(no log)"

    def cli(self, *args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
        """`cygnet-storage ARGS… --config FILE`; fails the test on a non-zero exit."""
        self.write_config()
        result = subprocess.run(
            [str(storage_binary()), *args, "--config", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"cygnet-storage {' '.join(args)} exited with {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def add_account(self, username: str) -> Account:
        """A new app password for `username` (the CLI prints it as its last line); creates the user's space."""
        lines = [line.strip() for line in self.cli("app-password", "add", username).stdout.splitlines() if line.strip()]
        assert lines, f"app-password add {username} printed nothing"
        return Account(username, lines[-1])

    @contextlib.contextmanager
    def started(self):
        """Runs the server for a `with` block; stopped (its process group killed) at the end whatever happened."""
        try:
            yield self.start()
        finally:
            self.stop()


def running_storage(base: Path, storage_settings: dict | None = None):
    """A started server for a `with` block, on a fresh free port, with its folders under `base`."""
    return StorageServer(base, storage_settings).started()


def _kill_every_server():
    for server in list(StorageServer.running):
        server.kill()


atexit.register(_kill_every_server)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, show what each running `cygnet-storage` logged last: the server's side of the story."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in StorageServer.running:
            state = server.exit_notice() or "running"
            report.sections.append((f"cygnet-storage (port {server.port}, {state}, {server.base})", server.tail(60)))


# ---------------------------------------------------------------------------------------------
# Running clients


def run_client(
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    timeout: float = CLIENT_TIMEOUT,
    give_up_on: str | None = None,
    abort_if: Callable[[], str | None] | None = None,
) -> subprocess.CompletedProcess:
    """Runs a client with stdout and stderr merged, so its output reads in order. It is killed, and the test
    fails with what it printed, when it runs past `timeout`, when it prints `give_up_on` (a line after which
    it would wait forever), or when `abort_if` has a reason (e.g. the server died: no use waiting for the
    client's own retries and timeouts)."""
    name = Path(argv[0]).name
    lines: list[str] = []
    gave_up = threading.Event()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=env,
        cwd=cwd,
    )

    def drain():
        for line in process.stdout:
            lines.append(line)
            if give_up_on and give_up_on in line and not gave_up.is_set():
                gave_up.set()
                process.kill()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    stopped_because = None
    deadline = time.monotonic() + timeout
    try:
        while stopped_because is None:
            try:
                process.wait(0.25)
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() > deadline:
                stopped_because = f"did not finish within {timeout:.0f} s"
            elif abort_if is not None:
                stopped_because = abort_if()
    finally:
        if process.poll() is None:  # stopped above, or interrupted (Ctrl-C, scripts/test's timeout)
            process.kill()
            process.wait()
    reader.join(10)
    if gave_up.is_set():
        stopped_because = f"printed {give_up_on!r} and would never exit"
    output = "".join(lines)
    if stopped_because:
        raise AssertionError(f"{name} was stopped: {stopped_because}; its output:\n{excerpt(output)}")
    return subprocess.CompletedProcess(argv, process.returncode, output)


IMPORTANT_LINE = re.compile(r"warning|critical|fatal|error|fail", re.IGNORECASE)
# Warnings nextcloudcmd 3.7 prints on every run: no per-folder exclude lists, and "errors" on successful MKCOLs.
NOISE_LINE = re.compile(r"\.sync-exclude\.lst|with status OCC::SyncFileItem::Success and error")


def excerpt(output: str, important: int = 20, last: int = 15, width: int = 400) -> str:
    """What is worth reading in a long, chatty client log: its last warnings and errors, then its last lines
    (each cut to `width` characters; the sync clients log whole database records on one line)."""
    lines = output.splitlines()
    flagged = [line for line in lines[:-last] if IMPORTANT_LINE.search(line) and not NOISE_LINE.search(line)]
    flagged = flagged[-important:]
    if flagged:
        flagged.append("…")
    return "\n".join(line if len(line) <= width else line[:width] + " …" for line in flagged + lines[-last:])


# ---------------------------------------------------------------------------------------------
# File trees
#
# A tree is {relative path: digest} with "/" separators, None standing for a folder: small enough to hold
# a few hundred files, and readable in an assertion message.

Tree = dict[str, "str | None"]

# What sync clients keep in the folder they sync (the journal, its SQLite side files, old logs): not data.
# owncloudcmd 2.11 writes .sync_journal.db, nextcloudcmd 3.7 .sync_<hash>.db; older ones ._sync_*.db.
SYNC_CLIENT_FILES = re.compile(
    r"^(\._?sync_.*\.db(-wal|-shm|-journal)?|\.csync_journal\.db.*|\.(owncloud|nextcloud)sync\.log)$"
)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_sync_client_file(relative: str) -> bool:
    return "/" not in relative and bool(SYNC_CLIENT_FILES.match(relative))


def read_tree(root: Path, ignore=is_sync_client_file) -> Tree:
    """Every folder and file below `root`, names as they are on disk (no Unicode normalisation: a server
    that rewrote names would show)."""
    tree: Tree = {}
    for directory, folders, files in os.walk(root):
        base = Path(directory).relative_to(root)
        for name in folders + files:
            relative = (base / name).as_posix()
            if ignore(relative):
                continue
            full = Path(directory) / name
            tree[relative] = None if full.is_dir() and not full.is_symlink() else digest(full.read_bytes())
    return tree


def write_tree(root: Path, files: dict[str, bytes], mtime: float | None = None):
    """Creates `files` ({relative path: bytes}) below `root`, with the folders they need."""
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))


def tree_of(files: dict[str, bytes]) -> Tree:
    """The tree that `write_tree(files)` makes: the files and every folder above them."""
    tree: Tree = {}
    for relative, data in files.items():
        tree[relative] = digest(data)
        parent = Path(relative).parent
        while parent != Path("."):
            tree[parent.as_posix()] = None
            parent = parent.parent
    return tree


def describe_tree_difference(actual: Tree, expected: Tree, limit: int = 15) -> str:
    def listed(paths):
        paths = sorted(paths)
        more = f"\n    … and {len(paths) - limit} more" if len(paths) > limit else ""
        return "".join(f"\n    {path!r}" for path in paths[:limit]) + more

    missing = expected.keys() - actual.keys()
    extra = actual.keys() - expected.keys()
    changed = {path for path in expected.keys() & actual.keys() if expected[path] != actual[path]}
    parts = []
    if missing:
        parts.append(f"  missing ({len(missing)}):{listed(missing)}")
    if extra:
        parts.append(f"  unexpected ({len(extra)}):{listed(extra)}")
    if changed:
        parts.append(f"  different content or kind ({len(changed)}):{listed(changed)}")
    return "\n".join(parts)


def assert_same_tree(actual: Tree, expected: Tree, what: str):
    """`actual` holds exactly the folders and bytes of `expected`; the message names the differences."""
    if actual != expected:
        raise AssertionError(f"{what} differs:\n{describe_tree_difference(actual, expected)}")


def file_mtimes(root: Path, ignore=is_sync_client_file) -> dict[str, int]:
    """The whole-second mtime of every file below `root`: what WebDAV (getlastmodified, X-OC-Mtime) carries."""
    return {
        path.relative_to(root).as_posix(): int(path.stat().st_mtime)
        for path in root.rglob("*")
        if path.is_file() and not ignore(path.relative_to(root).as_posix())
    }


def assert_same_mtimes(actual_root: Path, expected_root: Path, what: str):
    """Every file of `expected_root` has the same whole-second mtime below `actual_root`."""
    actual, expected = file_mtimes(actual_root), file_mtimes(expected_root)
    wrong = [
        f"{path!r}: {actual.get(path)} instead of {mtime}"
        for path, mtime in sorted(expected.items())
        if actual.get(path) != mtime
    ]
    if wrong:
        raise AssertionError(f"{what}: {len(wrong)} files have another mtime:\n" + "\n".join(wrong[:15]))
