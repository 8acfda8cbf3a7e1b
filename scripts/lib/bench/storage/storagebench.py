"""WebDAV storage benchmark: cygnet-storage beside Apache (mod_dav + mod_dav_fs) and nginx (dav + dav-ext), all three
running side by side in one run, with their files on the same filesystem under one benchmark directory.

Measures PROPFIND Depth 1 on a folder of 10,000 files (allprop and the ownCloud client's property list), upload and
download of a 1 GiB file, 1,000 PUTs of 4 KiB from 8 concurrent clients, a nextcloudcmd upload of 1,000 files
(cygnet-storage only: nextcloudcmd needs the ownCloud endpoints) and each server's memory. Prints medians, ratios
cygnet/peer and writes a JSON result file. Never fails on timing; exits 1 when a correctness check failed (a wrong
response count, a file missing on disk, nextcloudcmd failing), 2 when the harness itself could not run.

Every HTTP request is made by curl: the same C client for every server, and the cheapest one, which matters on a
2-core machine where client and servers share the cores. Only the standard library is needed besides curl.

Run it through `scripts/bench storage` (installs the peers, builds the release binaries); see --help for knobs."""

from __future__ import annotations

import argparse
import datetime
import fcntl
import hashlib
import json
import os
import platform
import pwd
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

HERE = Path(__file__).resolve().parent
REPOSITORY_ROOT = HERE.parents[3]
BIN_DIR = Path(os.environ.get("CYGNET_BIN_DIR") or REPOSITORY_ROOT / ".build" / "release")
CYGNET_USER = "bench"
# The unprivileged account the peers' workers run as when we start them as root (Debian's own choice for both).
PEER_ACCOUNT = "www-data"

PROPFIND_FILES = 10_000
SMALL_FILES = 1_000
SMALL_SIZE = 4096
CONCURRENT_CLIENTS = 8
PROPFIND_BODIES = {
    "allprop": '<?xml version="1.0" encoding="utf-8"?>\n<d:propfind xmlns:d="DAV:"><d:allprop/></d:propfind>\n',
    # What the ownCloud/Nextcloud desktop client asks for when it lists a folder.
    "owncloud": '<?xml version="1.0" encoding="utf-8"?>\n'
    '<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop>'
    "<d:resourcetype/><d:getlastmodified/><d:getcontentlength/><d:getetag/><oc:size/><oc:id/><oc:fileid/>"
    "<oc:downloadURL/><oc:dDC/><oc:permissions/><oc:checksums/><oc:share-types/></d:prop></d:propfind>\n",
}


class HarnessError(Exception):
    """The benchmark itself cannot go on (a peer does not start, a tool is missing)."""


def log(text: str = "") -> None:
    print(text, flush=True)


def loud(text: str) -> None:
    """A note nobody should miss: missing binary, wrong response count, failed client."""
    bar = "!" * 100
    print(f"\n{bar}\n!! {text.replace(chr(10), chr(10) + '!! ')}\n{bar}\n", flush=True)


@dataclass
class Findings:
    """Correctness problems and notes collected during the run, repeated at the end and stored in the JSON."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        loud(f"PROBLEM: {text}")

    def note(self, text: str) -> None:
        self.notes.append(text)
        log(f"note: {text}")


FINDINGS = Findings()


# --- small helpers ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render(template: str, destination: Path, values: dict[str, object]) -> Path:
    """Writes HERE/template to destination with every @KEY@ replaced by values[KEY]."""
    text = (HERE / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    leftover = re.search(r"@[A-Z_]+@", text)
    if leftover:
        raise HarnessError(f"{template}: the placeholder {leftover.group()} was left unreplaced")
    destination.write_text(text)
    return destination


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} not readable)"


def wait_for_port(port: int, process: subprocess.Popen, log_file: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HarnessError(f"the server exited with status {process.returncode}; {log_file}:\n{tail(log_file)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise HarnessError(f"nothing listens on port {port} after {timeout:.0f} s; {log_file}:\n{tail(log_file)}")


def sync_disks() -> None:
    """Flushes dirty pages so that writeback from the previous transfer does not compete with the next one."""
    subprocess.run(["sync"], check=True)


def read_through(path: Path) -> None:
    """Reads a file once so that it is in the page cache before a timed transfer."""
    with path.open("rb") as stream:
        while stream.read(8 << 20):
            pass


def command_version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (result.stdout + result.stderr).strip().splitlines()
    return lines[0].strip() if result.returncode == 0 and lines else "unknown"


# --- processes and memory -----------------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """root and all its descendants (Apache and nginx serve from worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may contain spaces; the parent pid is the second field after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def cpu_and_switches(root: int) -> tuple[float, int]:
    """CPU seconds used by a server's process tree so far (children it reaped included) and the thread switches of
    its live threads, voluntary or not: what a small PUT costs besides its wall time."""
    ticks, switches = 0, 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if pid == root else 0)
            for task in os.scandir(f"/proc/{pid}/task"):
                for line in Path(task.path, "status").read_text().splitlines():
                    if "ctxt_switches:" in line:
                        switches += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK"), switches


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of one process in KiB; empty when the process is gone."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except (OSError, ValueError):
        return {}
    return values


class MemorySampler(threading.Thread):
    """Samples the summed RSS of each server's process tree every `interval` seconds while the benchmark runs.

    The peak of the summed RSS is the figure compared across servers: for a multi-process server the sum of each
    process's VmHWM overstates it (the processes peak at different times) and misses workers that already exited."""

    def __init__(self, targets: list[Target], interval: float = 0.25):
        super().__init__(daemon=True)
        self.targets, self.interval = targets, interval
        self.peak_kib = {target.name: 0 for target in targets}
        self.stopping = threading.Event()

    def sample(self) -> None:
        for target in self.targets:
            rss = sum(memory_kib(pid).get("VmRSS", 0) for pid in target.pids())
            self.peak_kib[target.name] = max(self.peak_kib[target.name], rss)

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.sample()


# --- targets ------------------------------------------------------------------------------------------------------


@dataclass
class Target:
    """One WebDAV server under test: where its WebDAV root is, how to authenticate, where its files are on disk."""

    name: str
    base_url: str  # the WebDAV root, ending in '/'
    data_dir: Path  # the directory base_url serves
    auth: str | None  # "user:password" for HTTP Basic, None for no authentication
    process: subprocess.Popen
    log_file: Path
    version: str = "unknown"
    owner: tuple[int, int] | None = None  # uid, gid that the server's workers write as, for files we create
    idle_rss_kib: int = 0

    def url(self, path: str = "") -> str:
        return self.base_url + path

    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process.poll() is None else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def peer_owner() -> tuple[str, str, tuple[int, int] | None]:
    """Apache and nginx started as root switch their workers to www-data, which must then own the trees they write."""
    if os.geteuid() != 0:
        name = pwd.getpwuid(os.geteuid()).pw_name
        return name, name, None
    account = pwd.getpwnam(PEER_ACCOUNT)
    return PEER_ACCOUNT, PEER_ACCOUNT, (account.pw_uid, account.pw_gid)


def chown_tree(path: Path, owner: tuple[int, int] | None) -> None:
    if owner is None:
        return
    for directory, _, files in os.walk(path):
        os.chown(directory, *owner)
        for name in files:
            os.chown(os.path.join(directory, name), *owner)


class DeletedInodes:
    """When files were last deleted on the benchmark's disk. This machine's ext4 has no journal, and there every
    file created in a block group skips the inodes freed there in the last minute, or the last six while their
    inode table block is dirty (as it is while files are being made there), at about a millisecond each: after a
    big delete, creating files is slow for whichever server's folders land in the freed groups. Waiting `QUIET`
    seconds after the last delete before timing creates removes that, on the real disk, without a loop device
    (whose fsync costs about three times the disk's, which only cygnet-storage pays)."""

    QUIET = 380
    STAMP = ".last-delete"
    # Also one stamp for the machine: a run with a new --dir must still wait for the deletes of the last one.
    SHARED_STAMP = Path("/var/tmp/cygnet-storagebench.last-delete")

    def __init__(self) -> None:
        self.last = 0.0

    def deleted(self) -> None:
        self.last = time.time()

    def wait(self, bench: Path) -> None:
        stamps = [stamp.stat().st_mtime for stamp in (bench / self.STAMP, self.SHARED_STAMP) if stamp.exists()]
        last = max([self.last] + stamps)
        remaining = last + self.QUIET - time.time()
        if remaining > 0:
            log(f"waiting {remaining:.0f} s: files were deleted on this disk in the last minutes, and ext4 without a "
                "journal makes new files slow for up to six minutes after that (--fresh-filesystem does not wait)")
            time.sleep(remaining)

    def record(self, bench: Path) -> None:
        """For the next run: files were deleted now."""
        (bench / self.STAMP).touch()
        try:
            self.SHARED_STAMP.touch()
        except OSError:
            pass  # the stamp in the benchmark's directory still serves runs there


DELETED_INODES = DeletedInodes()


def remove_tree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
        DELETED_INODES.deleted()


def fresh_directory(path: Path) -> Path:
    remove_tree(path)
    path.mkdir(parents=True)
    return path


def launch(command: list[str], log_file: Path) -> subprocess.Popen:
    """Starts a server in its own session, so that Ctrl-C reaches only us and we stop the servers in order."""
    with log_file.open("ab") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def start_apache(bench: Path, run_dir: Path) -> Target:
    user, group, owner = peer_owner()
    data = fresh_directory(bench / "apache" / "files")
    chown_tree(data, owner)
    runtime = run_dir / "apache"
    runtime.mkdir()
    chown_tree(runtime, owner)  # the workers open the DAV lock database there
    port = free_port()
    config = render("apache.conf.in", runtime / "apache.conf",
                    {"PORT": port, "DATA": data, "RUN": runtime, "USER": user, "GROUP": group})
    log_file = runtime / "apache-console.log"
    process = launch(["/usr/sbin/apache2", "-f", str(config), "-DFOREGROUND"], log_file)
    wait_for_port(port, process, runtime / "apache-error.log")
    return Target("apache", f"http://127.0.0.1:{port}/", data, None, process, runtime / "apache-error.log",
                  version=command_version(["/usr/sbin/apache2", "-v"]), owner=owner)


def start_nginx(bench: Path, run_dir: Path) -> Target:
    user, group, owner = peer_owner()
    data = fresh_directory(bench / "nginx" / "files")
    # PUT bodies are written here first and renamed into place: same filesystem as the data.
    body_temp = fresh_directory(bench / "nginx" / "body-temp")
    chown_tree(data, owner)
    chown_tree(body_temp, owner)
    runtime = run_dir / "nginx"
    runtime.mkdir()
    port = free_port()
    config = render("nginx.conf.in", runtime / "nginx.conf",
                    {"PORT": port, "DATA": data, "RUN": runtime, "BODY_TEMP": body_temp, "USER": user,
                     "GROUP": group})
    error_log = runtime / "nginx-error.log"
    # -e: the error log before the configuration is read, which would otherwise go to /var/log/nginx.
    process = launch(["nginx", "-p", str(runtime), "-c", str(config), "-e", str(error_log)], error_log)
    wait_for_port(port, process, error_log)
    return Target("nginx", f"http://127.0.0.1:{port}/", data, None, process, error_log,
                  version=command_version(["nginx", "-v"]), owner=owner)


def cygnet_binary() -> Path:
    return BIN_DIR / "cygnet-storage"


def start_cygnet(bench: Path, run_dir: Path, binary: Path | None = None, name: str = "cygnet") -> Target:
    """cygnet-storage with fresh state, a fresh `bench` account and its app password. The server's files for
    `bench` are under <bench>/cygnet-spaces/bench/, served at /remote.php/dav/files/bench/. Another build to compare
    (`binary`) gets its own `name` and its own state and spaces below <bench>/<name>/."""
    if binary is None:
        binary = cygnet_binary()
    else:
        bench = bench / name
    fresh_directory(bench / "cygnet-state")
    fresh_directory(bench / "cygnet-spaces")
    runtime = run_dir / name
    runtime.mkdir()
    port = free_port()
    config = render("cygnet-storage.yaml.in", runtime / "cygnet-storage.yaml", {"PORT": port, "BENCH": bench})
    log_file = runtime / "cygnet-storage.log"
    process = launch([str(binary), "--config", str(config)], log_file)
    (runtime / "cygnet-storage.pid").write_text(f"{process.pid}\n")
    target = Target(name, f"http://127.0.0.1:{port}/remote.php/dav/files/{CYGNET_USER}/",
                    bench / "cygnet-spaces" / CYGNET_USER, None, process, log_file,
                    version=command_version([str(binary), "--version"]))
    try:
        wait_for_status(port, process, log_file)
        target.auth = f"{CYGNET_USER}:{create_app_password(binary, config)}"
        target.data_dir = find_user_folder(target, bench / "cygnet-spaces", runtime)
    except HarnessError:
        target.stop()
        raise
    return target


def wait_for_status(port: int, process: subprocess.Popen, log_file: Path, timeout: float = 60) -> None:
    """cygnet-storage is ready when GET /status.php answers 200 with JSON."""
    wait_for_port(port, process, log_file, timeout)
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.php", timeout=5) as response:
                json.loads(response.read())
                return
        except Exception as error:  # noqa: BLE001 - any failure here means "not ready yet"
            last = str(error)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise HarnessError(f"GET /status.php did not answer 200 JSON ({last}); {log_file}:\n{tail(log_file)}")


def create_app_password(binary: Path, config: Path) -> str:
    """`cygnet-storage app-password add bench` prints the new password as its last line of output."""
    result = subprocess.run([str(binary), "app-password", "add", CYGNET_USER, "--config", str(config)],
                            check=False, capture_output=True, text=True, timeout=60)
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or not lines:
        raise HarnessError(f"`cygnet-storage app-password add {CYGNET_USER}` failed (exit {result.returncode}):\n"
                           f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return lines[-1]


def find_user_folder(target: Target, spaces: Path, scratch: Path) -> Path:
    """The folder on disk that holds the user's WebDAV root, found by PUTting a probe file and looking for it under
    the spaces root: the fixtures are written there directly and the uploads are checked there. The expected
    <spaces>/bench is what we were told; another place is reported, not treated as an error."""
    probe = scratch / f"storagebench-probe-{os.getpid()}.txt"
    probe.write_text("where does this land?\n")
    response = curl(target, "PUT", probe.name, upload=probe)
    found = [path.parent for path in spaces.rglob(probe.name)
             if not any(part.startswith(".") for part in path.relative_to(spaces).parts)]
    delete(target, probe.name)
    if response.status not in (200, 201, 204) or len(found) != 1:
        raise HarnessError(f"a PUT of {probe.name} to {target.url()} answered {response.status}, and the file is "
                           f"{'nowhere' if not found else 'in several places'} under {spaces} {found or ''}")
    if found[0] != target.data_dir:
        FINDINGS.note(f"cygnet keeps the files of user {CYGNET_USER} in {found[0]}, not in {target.data_dir}")
    return found[0]


def check_dav_root(target: Target) -> None:
    """PROPFIND Depth 0 on the WebDAV root must answer 207, else nothing below is worth measuring."""
    response = curl(target, "PROPFIND", "", body=PROPFIND_BODY_FILES["allprop"], headers=("Depth: 0",))
    if response.status != 207:
        raise HarnessError(f"{target.name}: PROPFIND Depth 0 on {target.url()} answered {response.status}, not 207; "
                           f"{target.log_file}:\n{tail(target.log_file)}")


def stop_leftovers(bench: Path) -> None:
    """Stops servers that an earlier run killed with SIGKILL left behind, and removes its run directory. A process is
    stopped only when its pid file is in that run directory and its command line names that directory."""
    for run_dir in bench.glob("run-*"):
        for pid_file in run_dir.glob("*/*.pid"):
            try:
                pid = int(pid_file.read_text().split()[0])
                command_line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, ValueError, IndexError):
                continue
            if str(run_dir) in command_line:
                log(f"stopping pid {pid} left over by an earlier run ({run_dir.name})")
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    if not Path(f"/proc/{pid}").exists():
                        break
                    time.sleep(0.1)
        remove_tree(run_dir)


# --- HTTP through curl --------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    seconds: float  # curl's time_total: from the start of the connection to the last byte read
    downloaded: int
    uploaded: int


PROPFIND_BODY_FILES: dict[str, Path] = {}  # filled in main(): curl reads request bodies from files
# No "Expect: 100-continue": sync clients do not send it, and curl would otherwise wait for the 100 on big uploads.
CURL_BASE = ["curl", "--silent", "--show-error", "--http1.1", "--header", "Expect:"]


def curl(target: Target, method: str, path: str, *, upload: Path | None = None, body: Path | None = None,
         headers: tuple[str, ...] = (), output: str = "/dev/null") -> Response:
    command = [*CURL_BASE, "--output", output,
               "--write-out", "%{http_code} %{time_total} %{size_download} %{size_upload}"]
    if target.auth:
        command += ["--user", target.auth]
    if upload is not None:
        command += ["--upload-file", str(upload)]  # PUT, streamed from the file
    else:
        command += ["--request", method]
    if body is not None:
        command += ["--data-binary", f"@{body}", "--header", "Content-Type: application/xml; charset=utf-8"]
    for header in headers:
        command += ["--header", header]
    command.append(target.url(path))
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        message = f"curl {method} {target.url(path)} failed: {result.stderr.strip()}"
        if target.process.poll() is not None:
            message += (f"\n{target.name} has exited with status {target.process.returncode}; "
                        f"{target.log_file}:\n{tail(target.log_file)}")
        raise HarnessError(message)
    status, seconds, downloaded, uploaded = result.stdout.split()
    return Response(int(status), float(seconds), int(float(downloaded)), int(float(uploaded)))


def make_collection(target: Target, path: str) -> None:
    # With the trailing slash: nginx refuses MKCOL without one (409), and a collection's URL has one.
    response = curl(target, "MKCOL", path + "/")
    if response.status not in (201, 405):  # 405: it exists already
        raise HarnessError(f"{target.name}: MKCOL {path} answered {response.status}")


def delete(target: Target, path: str) -> None:
    response = curl(target, "DELETE", path)
    if response.status not in (200, 204, 404):
        raise HarnessError(f"{target.name}: DELETE {path} answered {response.status}")


# --- measurements -------------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """One row of the table: each target's value per timed run (the warm-up run is not kept)."""

    key: str
    title: str
    unit: str  # "s", "MB/s" or "files/s"
    higher_is_better: bool
    goal: tuple[str, float] | None = None  # (peer, bound): cygnet/peer must be <= bound for times, >= for rates
    runs: dict[str, list[float]] = field(default_factory=dict)

    def add(self, target: str, value: float) -> None:
        self.runs.setdefault(target, []).append(value)

    def median(self, target: str) -> float | None:
        values = self.runs.get(target)
        return statistics.median(values) if values else None

    def ratio(self, peer: str) -> float | None:
        """cygnet/peer of the medians: a time ratio below 1 or a rate ratio above 1 means cygnet is faster."""
        ours, theirs = self.median("cygnet"), self.median(peer)
        return ours / theirs if ours is not None and theirs else None


def count_dav_responses(path: Path) -> int | str:
    """The number of {DAV:}response elements, whatever prefix the server chose; a string when it is not XML."""
    count = 0
    try:
        for _, element in ElementTree.iterparse(path, events=("end",)):
            if element.tag == "{DAV:}response":
                count += 1
                element.clear()
    except ElementTree.ParseError as error:
        return f"not well-formed XML ({error})"
    return count


def create_propfind_fixture(targets: list[Target]) -> None:
    """10,000 small files written straight into each server's tree, as a sync client's folder would be."""
    for target in targets:
        folder = fresh_directory(target.data_dir / "propfind-10k")
        for index in range(PROPFIND_FILES):
            (folder / f"file-{index:05d}.txt").write_bytes(f"file {index} of the PROPFIND folder\n".encode())
        chown_tree(folder, target.owner)


def propfind_folder(target: Target, body_name: str, output: Path) -> Response:
    """PROPFIND Depth 1 of the 10,000-file folder, its whole answer read into `output`."""
    return curl(target, "PROPFIND", "propfind-10k/", body=PROPFIND_BODY_FILES[body_name], headers=("Depth: 1",),
                output=str(output))


def propfind_mismatch(response: Response, output: Path) -> str | None:
    """What is wrong with a PROPFIND answer: it must be a 207 with one <d:response> per file plus the folder's."""
    count = count_dav_responses(output)
    if response.status == 207 and count == PROPFIND_FILES + 1:
        return None
    return f"answered {response.status} with {count} <d:response> elements, expected 207 with {PROPFIND_FILES + 1}"


def measure_propfind(targets: list[Target], runs: int, scratch: Path) -> list[Measurement]:
    measurements = []
    output = scratch / "propfind-response.xml"
    for body_name, title in (("allprop", "allprop"), ("owncloud", "ownCloud props")):
        measurement = Measurement(f"propfind_{body_name}", f"PROPFIND Depth 1 of 10,000 files, {title}", "s",
                                  higher_is_better=False, goal=("apache", 0.4))
        log(f"\n{measurement.title}")
        sizes, mismatches = {}, {}
        for target in targets:  # warm-up: fills the servers' caches and the dentry cache
            propfind_folder(target, body_name, output)
        for _ in range(runs):
            for target in targets:
                response = propfind_folder(target, body_name, output)
                measurement.add(target.name, response.seconds)
                sizes[target.name] = response.downloaded
                mismatch = propfind_mismatch(response, output)
                if mismatch:
                    mismatches[target.name] = mismatch
        for target in targets:
            log(f"  {target.name:<7} {format_runs(measurement.runs[target.name], 's')}  "
                f"({sizes[target.name] / 1e6:.1f} MB of XML)")
        for name, mismatch in mismatches.items():
            FINDINGS.problem(f"{name}: PROPFIND Depth 1 ({body_name}) {mismatch}")
        measurements.append(measurement)
    return measurements


def create_big_file(path: Path, size: int) -> None:
    """Random bytes (nothing on the way compresses them), kept between runs since writing 1 GiB takes a while."""
    if path.exists() and path.stat().st_size == size:
        return
    log(f"writing a {size >> 20} MiB file of random bytes to {path} (kept for later runs) …")
    chunk = 8 << 20
    with path.open("wb") as stream:
        for offset in range(0, size, chunk):
            stream.write(os.urandom(min(chunk, size - offset)))


def measure_big_file(targets: list[Target], runs: int, source: Path) -> list[Measurement]:
    size = source.stat().st_size
    label = f"{size >> 30} GiB" if size >= 1 << 30 else f"{size >> 20} MiB"
    upload = Measurement("upload_big", f"upload of {label}, one stream", "MB/s", True, ("nginx", 0.8))
    download = Measurement("download_big", f"download of {label} (page cache)", "MB/s", True, ("nginx", 0.8))
    read_through(source)

    def put(target: Target) -> float:
        delete(target, "big.bin")  # every timed upload creates the file, as the first sync of a new file does
        sync_disks()
        response = curl(target, "PUT", "big.bin", upload=source)
        if response.status not in (200, 201, 204) or response.uploaded != size:
            FINDINGS.problem(f"{target.name}: PUT of {label} answered {response.status} after {response.uploaded} "
                             f"bytes")
        wait_for_deferred_md5(target, "big.bin")
        return size / response.seconds / 1e6

    def get(target: Target) -> float:
        response = curl(target, "GET", "big.bin")
        if response.status != 200 or response.downloaded != size:
            FINDINGS.problem(f"{target.name}: GET of {label} answered {response.status} with {response.downloaded} "
                             f"bytes")
        return size / response.seconds / 1e6

    log(f"\n{upload.title}")
    for target in targets:
        put(target)
    for _ in range(runs):
        for target in targets:
            upload.add(target.name, put(target))
    for target in targets:
        log(f"  {target.name:<7} {format_runs(upload.runs[target.name], 'MB/s')}")
        stored = target.data_dir / "big.bin"
        if not stored.exists() or stored.stat().st_size != size:
            FINDINGS.problem(f"{target.name}: after the uploads {stored} is missing or has the wrong size")
    verify_same_bytes(next((target for target in targets if target.name == "cygnet"), None), source, "big.bin")

    log(f"\n{download.title}")
    sync_disks()
    for target in targets:
        if (target.data_dir / "big.bin").exists():
            read_through(target.data_dir / "big.bin")  # the server reads from the page cache, not from the disk
        get(target)
    for _ in range(runs):
        for target in targets:
            download.add(target.name, get(target))
    for target in targets:
        log(f"  {target.name:<7} {format_runs(download.runs[target.name], 'MB/s')}")
    for target in targets:
        delete(target, "big.bin")
    return [upload, download]


def wait_for_deferred_md5(target: Target, path: str, timeout: float = 120) -> None:
    """cygnet works out a big upload's MD5 after its answer, on an idle-class thread. Untimed, wait until a listing
    reports it: otherwise the hashing shares the CPU with whichever server's timed upload comes next (an earlier
    build compared with --also-build lost a third of its upload speed to it). Apache and nginx hash nothing."""
    if not target.auth:
        return
    output = PROPFIND_BODY_FILES["owncloud"].with_name(f"md5-{target.name}.xml")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        curl(target, "PROPFIND", path, body=PROPFIND_BODY_FILES["owncloud"], headers=("Depth: 0",),
             output=str(output))
        if "MD5:" in output.read_text(errors="replace"):
            return
        time.sleep(0.2)
    FINDINGS.problem(f"{target.name}: {path} had no MD5 in its listing {timeout:.0f} s after its upload")


def verify_same_bytes(target: Target | None, source: Path, path: str) -> None:
    """cmp of the uploaded 1 GiB against its source, for cygnet only (the peers are the reference)."""
    if target is None:
        return
    result = subprocess.run(["cmp", "--silent", str(source), str(target.data_dir / path)], check=False)
    if result.returncode != 0:
        FINDINGS.problem(f"{target.name}: {target.data_dir / path} differs from what was uploaded")


@dataclass
class SmallFile:
    name: str
    path: Path
    sha1: str


def create_small_files(folder: Path) -> list[SmallFile]:
    fresh_directory(folder)
    files = []
    for index in range(SMALL_FILES):
        content = os.urandom(SMALL_SIZE)
        path = folder / f"small-{index:04d}.bin"
        path.write_bytes(content)
        files.append(SmallFile(path.name, path, hashlib.sha1(content).hexdigest()))
    return files


# The mtime the PUTs carry in X-OC-Mtime; cygnet should store it as the file's modification time.
CLIENT_MTIME = 1_700_000_000


def parallel_put_config(target: Target, folder: str, files: list[SmallFile]) -> str:
    """A curl config with one transfer per file; `next` starts a transfer whose options are its own. The headers are
    those the ownCloud/Nextcloud clients send; Apache and nginx get them too (and ignore them), so every server
    receives the same bytes."""
    lines = []
    for small in files:
        lines += [f'url = "{target.url(folder + "/" + small.name)}"',
                  f'upload-file = "{small.path}"',
                  'output = "/dev/null"',
                  'header = "Expect:"',
                  f'header = "OC-Checksum: SHA1:{small.sha1}"',
                  f'header = "X-OC-Mtime: {CLIENT_MTIME}"',
                  'write-out = "%{http_code} %{num_connects}\\n"']
        if target.auth:
            lines.append(f'user = "{target.auth}"')
        lines.append("next")
    return "\n".join(lines[:-1]) + "\n"


@dataclass
class PutRun:
    elapsed: float  # wall time, s
    connections: int
    client_cpu: float  # s of CPU curl used (client and servers share the cores)
    server_cpu: float  # s of CPU the server's processes used
    server_switches: int  # thread switches of the server's threads


def run_parallel_puts(target: Target, folder: str, files: list[SmallFile], scratch: Path) -> PutRun:
    """PUTs every file into `folder` over at most CONCURRENT_CLIENTS connections at once (curl --parallel keeps them
    open and reuses them). Each status must be 201."""
    make_collection(target, folder)
    config = scratch / f"puts-{target.name}.curlrc"
    config.touch(mode=0o600)  # it holds the app password
    config.write_text(parallel_put_config(target, folder, files))
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_and_switches(target.process.pid)
    started = time.perf_counter()
    result = subprocess.run(["curl", "--silent", "--show-error", "--http1.1", "--parallel", "--parallel-max",
                             str(CONCURRENT_CLIENTS), "--config", str(config)],
                            check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    server_after = cpu_and_switches(target.process.pid)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    written = [line.split() for line in result.stdout.splitlines() if line.strip()]
    statuses = [fields[0] for fields in written]
    connections = sum(int(fields[1]) for fields in written if len(fields) > 1)
    failed = len(files) - statuses.count("201")
    if result.returncode != 0 or failed:
        FINDINGS.problem(f"{target.name}: {failed} of {len(files)} PUTs into {folder}/ did not answer 201 "
                         f"(curl exit {result.returncode}; statuses seen: {sorted(set(statuses))}; "
                         f"{result.stderr.strip()[:300]})")
    return PutRun(elapsed, connections, client_cpu, server_after[0] - server_before[0],
                  server_after[1] - server_before[1])


def verify_small_files(target: Target, folder: str, files: list[SmallFile], check_mtime: bool) -> None:
    """Every uploaded file must be on disk with its bytes; for cygnet also with the mtime from X-OC-Mtime."""
    missing, wrong, other_mtime = 0, 0, 0
    for small in files:
        stored = target.data_dir / folder / small.name
        try:
            if stored.read_bytes() != small.path.read_bytes():
                wrong += 1
            elif check_mtime and int(stored.stat().st_mtime) != CLIENT_MTIME:
                other_mtime += 1
        except FileNotFoundError:
            missing += 1
    if missing or wrong:
        FINDINGS.problem(f"{target.name}: of {len(files)} files PUT into {folder}/, {missing} are missing on disk "
                         f"and {wrong} have other bytes")
    if other_mtime:
        FINDINGS.problem(f"{target.name}: {other_mtime} of {len(files)} files in {folder}/ do not have the mtime "
                         f"sent as X-OC-Mtime ({CLIENT_MTIME})")


def measure_small_puts(targets: list[Target], runs: int, files: list[SmallFile], scratch: Path) -> Measurement:
    measurement = Measurement("puts_small", f"{SMALL_FILES:,} PUTs of 4 KiB, {CONCURRENT_CLIENTS} clients at once",
                              "files/s", True, ("apache", 0.8))
    log(f"\n{measurement.title}")
    put_runs: dict[str, list[PutRun]] = {}
    for target in targets:
        run_parallel_puts(target, "puts-warm-up", files, scratch)
    for run in range(1, runs + 1):
        for target in targets:
            sync_disks()
            put_run = run_parallel_puts(target, f"puts-{run}", files, scratch)
            put_runs.setdefault(target.name, []).append(put_run)
            measurement.add(target.name, len(files) / put_run.elapsed)
    for target in targets:
        last = put_runs[target.name][-1]
        server_ms = statistics.median(run.server_cpu for run in put_runs[target.name]) * 1000 / len(files)
        switches = statistics.median(run.server_switches for run in put_runs[target.name]) / len(files)
        log(f"  {target.name:<7} {format_runs(measurement.runs[target.name], 'files/s')}  "
            f"(server CPU {server_ms:.2f} ms and {switches:.1f} thread switches per PUT; last run: "
            f"{last.connections} connections, curl used {last.client_cpu:.2f} s CPU in {last.elapsed:.2f} s)")
    for target in targets:
        for run in range(1, runs + 1):
            verify_small_files(target, f"puts-{run}", files, check_mtime=target.name == "cygnet")
    return measurement


def measure_nextcloudcmd(target: Target, runs: int, files: list[SmallFile], scratch: Path) -> Measurement | None:
    """nextcloudcmd uploading a fresh local folder of 1,000 files into a fresh remote folder, wall time. It is given
    the server's base URL and finds /remote.php/dav/files/<user>/ itself."""
    measurement = Measurement("nextcloudcmd", f"nextcloudcmd, upload of {SMALL_FILES:,} x 4 KiB", "s", False)
    log(f"\n{measurement.title} (cygnet only)")
    if shutil.which("nextcloudcmd") is None:
        FINDINGS.problem("nextcloudcmd is not installed (Debian: nextcloud-desktop-cmd); skipped")
        return None
    server = target.base_url.split("/remote.php/", 1)[0]
    user, password = target.auth.split(":", 1)
    home = fresh_directory(scratch / "nextcloudcmd-home")  # its settings and logs, not root's
    for run in range(runs + 1):
        label = "warm-up" if run == 0 else str(run)
        local = fresh_directory(scratch / f"nextcloudcmd-{label}")
        for small in files:
            shutil.copyfile(small.path, local / small.name)
        remote = f"ncsync-{label}"
        make_collection(target, remote)
        sync_disks()
        started = time.perf_counter()
        try:
            result = subprocess.run(["nextcloudcmd", "--non-interactive", "--user", user, "--password",
                                     password, "--path", f"/{remote}", str(local), server],
                                    check=False, capture_output=True, text=True, timeout=300,
                                    env={**os.environ, "HOME": str(home)})
            status, output = result.returncode, result.stdout + result.stderr
        except subprocess.TimeoutExpired as timeout:
            status, output = "timeout after 300 s", decoded(timeout.stdout) + decoded(timeout.stderr)
        elapsed = time.perf_counter() - started
        uploaded = len(list((target.data_dir / remote).glob("small-*.bin")))
        if status != 0 or uploaded != len(files):
            FINDINGS.problem(f"nextcloudcmd ({label}) exited with {status} after {elapsed:.1f} s and "
                             f"{uploaded} of {len(files)} files are on disk; its last complaints:\n"
                             f"{nextcloudcmd_complaints(output)}")
            return measurement if measurement.runs else None
        if run:
            measurement.add(target.name, elapsed)
    log(f"  {target.name:<7} {format_runs(measurement.runs[target.name], 's')}")
    return measurement


def decoded(output: str | bytes | None) -> str:
    """TimeoutExpired carries bytes even when the run was text=True."""
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def nextcloudcmd_complaints(output: str, lines: int = 20) -> str:
    """The last warnings and errors of nextcloudcmd's log (it logs every request), or its last lines if none."""
    complaints = [line for line in output.splitlines()
                  if any(word in line.lower() for word in ("warning", "critical", "error", "fatal"))]
    return "\n".join((complaints or output.splitlines())[-lines:])


# --- report -------------------------------------------------------------------------------------------------------


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    return f"{value:,.0f} {unit}"


def format_runs(values: list[float], unit: str) -> str:
    return (f"median {format_value(statistics.median(values), unit):>13}   runs: "
            + "  ".join(format_value(value, unit).split()[0] for value in values))


def title_width(rows: list[Measurement]) -> int:
    return max(len(row.title) for row in rows) + 2


def print_table(rows: list[Measurement], names: list[str]) -> None:
    width, column = title_width(rows), 16
    rule = "=" * (width + column * len(names))
    log(f"\n{rule}\n{'median of the timed runs':<{width}}" + "".join(f"{name:>{column}}" for name in names))
    for row in rows:
        values = [format_value(row.median(name), row.unit) for name in names]
        log(f"{row.title:<{width}}" + "".join(f"{value:>{column}}" for value in values))
    log(rule)


def print_ratios(rows: list[Measurement], peers: list[str]) -> None:
    """cygnet/peer per row, and whether the row's goal from the issue is met (a goal is a figure, never a failure)."""
    log("\nratios cygnet/peer of the medians (s and MiB: lower is better; MB/s and files/s: higher is better)")
    width = title_width(rows)
    for row in rows:
        if all(row.ratio(peer) is None for peer in peers):
            continue  # a cygnet-only row (nextcloudcmd)
        parts = []
        for peer in peers:
            ratio = row.ratio(peer)
            parts.append(f"vs {peer} {ratio:5.2f}x" if ratio is not None else f"vs {peer}     - ")
        goal = ""
        if row.goal and row.ratio(row.goal[0]) is not None:
            peer, bound = row.goal
            ratio = row.ratio(peer)
            met = ratio >= bound if row.higher_is_better else ratio <= bound
            goal = (f"   goal {'>=' if row.higher_is_better else '<='} {bound:.1f}x {peer}: "
                    f"{'met' if met else 'NOT met'}")
        log(f"  {row.title:<{width}}" + "   ".join(parts) + goal)


def memory_measurements(targets: list[Target], sampler: MemorySampler) -> list[Measurement]:
    idle = Measurement("memory_idle", "memory: RSS after start, idle", "MiB", False)
    peak = Measurement("memory_peak", "memory: peak RSS (sampled, all processes)", "MiB", False)
    high_water = Measurement("memory_hwm", "memory: VmHWM, summed over processes", "MiB", False)
    for target in targets:
        idle.add(target.name, target.idle_rss_kib / 1024)
        peak.add(target.name, sampler.peak_kib[target.name] / 1024)
        high_water.add(target.name, sum(memory_kib(pid).get("VmHWM", 0) for pid in target.pids()) / 1024)
    return [idle, peak, high_water]


def machine_description(bench: Path) -> dict[str, object]:
    mount = subprocess.run(["findmnt", "--noheadings", "--output", "SOURCE,FSTYPE", "--target", str(bench)],
                           check=False, capture_output=True, text=True).stdout.split()
    return {"cores": os.cpu_count(), "kernel": platform.release(), "load_average": os.getloadavg(),
            "filesystem": " ".join(mount)}


def warn_about_load() -> None:
    load = os.getloadavg()[0]
    if load > 0.5:
        loud(f"the 1-minute load average is {load:.2f}: something else is using the CPU; the figures will be noisy")


# --- main ---------------------------------------------------------------------------------------------------------


PARTS = ("propfind", "puts", "big", "nextcloudcmd")


def parts_list(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in PARTS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown part(s) {', '.join(unknown) or '(none given)'}; "
                                         f"choose from {', '.join(PARTS)}")
    return chosen


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench storage", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("CYGNET_BENCH_DIR", "/var/tmp/storagebench")),
                        help="benchmark directory; every server's files go here, on one filesystem "
                             "(env CYGNET_BENCH_DIR; default /var/tmp/storagebench)")
    parser.add_argument("--runs", type=int, default=int(os.environ.get("CYGNET_BENCH_RUNS", "5")),
                        help="timed runs of PROPFIND and of the small PUTs, after one warm-up (env CYGNET_BENCH_RUNS; "
                             "default 5)")
    parser.add_argument("--big-runs", type=int, default=int(os.environ.get("CYGNET_BENCH_BIG_RUNS", "5")),
                        help="timed runs of the 1 GiB transfers and of nextcloudcmd (env CYGNET_BENCH_BIG_RUNS; "
                             "default 5)")
    parser.add_argument("--big-mib", type=int, default=int(os.environ.get("CYGNET_BENCH_BIG_MIB", "1024")),
                        help="size of the big file in MiB (env CYGNET_BENCH_BIG_MIB; default 1024)")
    parser.add_argument("--only", default=",".join(PARTS), type=parts_list,
                        help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all); for a quick look "
                             "at one figure while working on it")
    parser.add_argument("--peers-only", action="store_true",
                        help="Apache and nginx only (also what happens when cygnet-storage is not built)")
    parser.add_argument("--fresh-filesystem", choices=("ext4", "ext4-nojournal"),
                        help="run every server on a new ext4 file system (an image file in DIR, loop-mounted; needs "
                             "root), made for this run and removed after it. Without a journal, ext4 skips every "
                             "inode freed in the last minutes when it makes a file, so right after a big delete (the "
                             "last run's trees) creating files costs up to a millisecond each in the groups that held "
                             "them, for whichever server lands there: the small-PUT figures of all three servers "
                             "then swing two- to threefold between runs. Without this option the small PUTs wait "
                             "until six minutes have passed since the last delete instead, on the disk itself; a loop device makes each fsync about three times slower, which only "
                             "cygnet-storage pays (the peers do not sync their files)")
    parser.add_argument("--also-build", action="append", type=Path, default=[], metavar="DIR",
                        help="also run the cygnet-storage in DIR (another build: an earlier commit, an experiment) "
                             "as build1, build2, …, interleaved with the others in the same runs; the ratios then "
                             "compare this build with it too. Repeatable")
    parser.add_argument("--keep", action="store_true",
                        help="keep the servers' trees and configurations and logs after the run")
    return parser.parse_args()


def other_builds(arguments: argparse.Namespace) -> list[tuple[str, Path]]:
    """The --also-build directories with the names their servers and trees get: build1, build2, …"""
    return [(f"build{number}", directory) for number, directory in enumerate(arguments.also_build, start=1)]


def start_targets(arguments: argparse.Namespace, bench: Path, run_dir: Path) -> list[Target]:
    """cygnet first (it is the column every ratio is about), then the peers. A missing or broken cygnet-storage is
    reported loudly and the peers still run."""
    targets = []
    if arguments.peers_only:
        FINDINGS.note("--peers-only: cygnet-storage is not started")
    elif not os.access(cygnet_binary(), os.X_OK):
        loud(f"cygnet-storage is not built: {cygnet_binary()} does not exist.\n"
             "Running Apache and nginx only; there are no cygnet figures and no ratios in this run.")
        FINDINGS.notes.append(f"cygnet-storage is not built ({cygnet_binary()} does not exist): peers only")
    else:
        try:
            targets.append(start_cygnet(bench, run_dir))
            check_dav_root(targets[-1])
        except HarnessError as error:
            if targets:
                targets.pop().stop()
            FINDINGS.problem(f"cygnet-storage could not be benchmarked: {error}\nRunning Apache and nginx only.")
    for name, directory in other_builds(arguments):
        binary = directory.resolve() / "cygnet-storage"
        if not os.access(binary, os.X_OK):
            raise HarnessError(f"--also-build {directory}: there is no cygnet-storage in it")
        targets.append(start_cygnet(bench, run_dir, binary, name=name))
        check_dav_root(targets[-1])
        log(f"{name} is {binary}")
    for start in (start_apache, start_nginx):
        targets.append(start(bench, run_dir))
        check_dav_root(targets[-1])
    return targets


def run(arguments: argparse.Namespace, bench: Path, run_dir: Path, results: Path) -> int:
    started = time.monotonic()
    for name, text in PROPFIND_BODIES.items():
        PROPFIND_BODY_FILES[name] = run_dir / f"propfind-{name}.xml"
        PROPFIND_BODY_FILES[name].write_text(text)
    source = bench / "source"
    source.mkdir(exist_ok=True)
    big_file = source / "big.bin"
    if "big" in arguments.only:
        create_big_file(big_file, arguments.big_mib << 20)
    small_files = create_small_files(source / "small")

    targets: list[Target] = []
    sampler = None
    try:
        targets = start_targets(arguments, bench, run_dir)
        names = [target.name for target in targets]
        peers = [name for name in names if name != "cygnet"]
        log("\nservers: " + "; ".join(f"{target.name} {target.url()} ({target.version})" for target in targets))
        time.sleep(1)  # let the servers settle before the idle figure
        for target in targets:
            target.idle_rss_kib = sum(memory_kib(pid).get("VmRSS", 0) for pid in target.pids())
        sampler = MemorySampler(targets)
        sampler.start()

        measurements = []
        warn_about_load()
        if "propfind" in arguments.only:
            log(f"\ncreating {PROPFIND_FILES:,} files in each server's tree …")
            create_propfind_fixture(targets)
            measurements += measure_propfind(targets, arguments.runs, run_dir)
        if "puts" in arguments.only:
            if not arguments.fresh_filesystem:
                DELETED_INODES.wait(results)
            measurements.append(measure_small_puts(targets, arguments.runs, small_files, run_dir))
        if "big" in arguments.only:
            measurements += measure_big_file(targets, arguments.big_runs, big_file)
        cygnet = next((target for target in targets if target.name == "cygnet"), None)
        if cygnet and "nextcloudcmd" in arguments.only:
            nextcloudcmd = measure_nextcloudcmd(cygnet, arguments.big_runs, small_files, run_dir)
            if nextcloudcmd:
                measurements.append(nextcloudcmd)
        sampler.stop()
        memory = memory_measurements(targets, sampler)
    finally:
        if sampler and sampler.is_alive():
            sampler.stop()
        for target in targets:
            target.stop()

    rows = [*measurements, *memory]
    print_table(rows, names)
    if "cygnet" in names:
        print_ratios(rows, peers)
    else:
        log("\nno ratios: cygnet-storage did not run" + "".join(f"\n  {note}" for note in FINDINGS.notes))
    result_file = write_result(arguments, results, targets, rows)
    if FINDINGS.problems:
        loud(f"{len(FINDINGS.problems)} PROBLEM(S) in this run:\n" + "\n".join(
            f"- {problem.splitlines()[0]}" for problem in FINDINGS.problems))
    log(f"\nresults: {result_file} (the benchmark took {time.monotonic() - started:.0f} s)")
    return 1 if FINDINGS.problems else 0


def write_result(arguments: argparse.Namespace, bench: Path, targets: list[Target],
                 measurements: list[Measurement]) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    result = {
        "benchmark": "storage",
        "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_description(bench),
        "settings": {"parts": arguments.only, "runs": arguments.runs, "big_runs": arguments.big_runs, "big_mib": arguments.big_mib,
                     "propfind_files": PROPFIND_FILES, "small_files": SMALL_FILES, "small_size": SMALL_SIZE,
                     "concurrent_clients": CONCURRENT_CLIENTS, "client": command_version(["curl", "--version"])},
        "servers": {target.name: {"url": target.url(), "version": target.version,
                                  "authentication": "basic" if target.auth else "none"} for target in targets},
        "measurements": {
            measurement.key: {
                "title": measurement.title, "unit": measurement.unit,
                "higher_is_better": measurement.higher_is_better,
                "runs": measurement.runs,
                "median": {name: measurement.median(name) for name in measurement.runs},
                "ratio_cygnet_to": {peer: measurement.ratio(peer) for peer in measurement.runs if peer != "cygnet"},
                "goal": {"peer": measurement.goal[0], "ratio": measurement.goal[1]} if measurement.goal else None,
            } for measurement in measurements},
        "problems": FINDINGS.problems,
        "notes": FINDINGS.notes,
    }
    path = bench / f"storagebench-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def main() -> int:
    arguments = parse_arguments()
    bench = arguments.dir.resolve()
    for tool in ("curl", "/usr/sbin/apache2", "nginx"):
        if shutil.which(tool) is None:
            log(f"error: {tool} is not installed; `scripts/bench storage` installs it")
            return 2
    log(f"storage benchmark in {bench}: {os.cpu_count()} cores; timed runs after one warm-up: {arguments.runs}, "
        f"{arguments.big_runs} for the big transfers and nextcloudcmd")
    bench.mkdir(parents=True, exist_ok=True)
    bench.chmod(0o755)  # the peers' workers run as www-data and must reach their trees
    # One run at a time per directory: a second one would share the trees and stop the first one's servers.
    lock = (bench / "storagebench.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log(f"error: another storage benchmark is running in {bench}")
        return 2
    stop_leftovers(bench)
    data = bench
    if arguments.fresh_filesystem:
        try:
            data = mount_fresh_filesystem(bench, journal=arguments.fresh_filesystem == "ext4")
        except HarnessError as error:
            loud(f"the benchmark could not run: {error}")
            return 2
    # Runtime files (configurations, pid files, logs, lock databases): private to this run, on the same disk.
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=data))
    run_dir.chmod(0o755)
    # SIGTERM (as from `timeout`) unwinds like Ctrl-C, through the finally blocks that stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run(arguments, data, run_dir, results=bench)
    except HarnessError as error:
        loud(f"the benchmark could not run: {error}")
        return 2
    except KeyboardInterrupt:
        log("\ninterrupted; the servers are stopped")
        return 130
    finally:
        if arguments.keep:
            log(f"kept: {run_dir} and the servers' trees")
        elif data != bench:
            unmount_fresh_filesystem(bench, data)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
            builds = [name for name, _ in other_builds(arguments)]
            for tree in ["apache", "nginx", "cygnet-spaces", "cygnet-state"] + builds:
                shutil.rmtree(bench / tree, ignore_errors=True)
            DELETED_INODES.record(bench)


def mount_fresh_filesystem(bench: Path, journal: bool) -> Path:
    """A new ext4 file system in a sparse image file in `bench`, mounted at bench/fresh-fs (see --fresh-filesystem)."""
    image, mount_point = bench / "fresh-fs.img", bench / "fresh-fs"
    if os.path.ismount(mount_point):
        subprocess.run(["umount", str(mount_point)], check=False)
    image.unlink(missing_ok=True)
    mount_point.mkdir(exist_ok=True)
    with image.open("wb") as file:
        file.truncate(16 << 30)  # sparse: the 1 GiB file three times over, with room to spare
    options = [] if journal else ["-O", "^has_journal"]
    for command in (["mkfs.ext4", "-q", "-F", *options, str(image)], ["mount", "-o", "loop", str(image), str(mount_point)]):
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0:
            image.unlink(missing_ok=True)
            raise HarnessError(f"{' '.join(command)} failed: {result.stderr.strip()} (--fresh-filesystem needs root)")
    mount_point.chmod(0o755)
    log(f"fresh ext4 file system{'' if journal else ' without a journal'} at {mount_point}")
    return mount_point


def unmount_fresh_filesystem(bench: Path, mount_point: Path) -> None:
    subprocess.run(["umount", str(mount_point)], check=False)
    (bench / "fresh-fs.img").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
