"""Software repository benchmark: the default stack read through `cygnet-software mount`, beside the same stack
on local disk and through `rclone mount` of an HTTP remote (full VFS cache), in one run; plus publishing it.

Prints medians and ratios to local disk. Needs root (FUSE mounts, dropping the page cache)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(os.environ.get("CYGNET_BIN_DIR", Path(__file__).resolve().parents[4] / ".build" / "release"))
SOFTWARE = str(BIN / "cygnet-software")
REPOSITORY = "software.cygnet.local"
MOUNT = Path("/cvmfs") / REPOSITORY
STACK = "stacks/default"
IMPORT = ["-W", "ignore", "-c", "import numpy, pandas, matplotlib, ROOT"]


def log(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drop_caches() -> None:
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def timed(command: list[str], cwd: str = "/tmp") -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def wait_mounted(path: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.ismount(path):
            return
        if process.poll() is not None:
            raise RuntimeError(f"the mount of {path} exited")
        time.sleep(0.05)
    raise TimeoutError(f"{path} was not mounted")


def unmount(path: Path) -> None:
    if os.path.ismount(path):
        subprocess.run(["fusermount3", "-u", "-z", str(path)], check=False)


class MountedPeer:
    """A server process and a FUSE mount of what it serves; `cold()` empties the mount's own cache."""

    mount_point: Path
    cache: Path
    server: subprocess.Popen
    mount: subprocess.Popen | None = None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.mount and self.mount.poll() is None:
            self.mount.send_signal(signal.SIGINT)
            try:
                self.mount.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.mount.kill()
        unmount(self.mount_point)

    def cold(self) -> None:
        """Starts again with an empty cache. The old one is set aside and deleted by `close()`: this disk's ext4
        has no journal, and there every file created soon after a big delete scans past the freed inodes, which
        would charge the cold runs for the previous run's clean-up (a new machine's cache disk has nothing of
        the kind)."""
        self.stop()
        if self.cache.exists():
            self.cache.rename(self.cache.with_name(f"{self.cache.name}.old-{time.monotonic_ns()}"))
        self.start()

    def close(self) -> None:
        self.stop()
        self.server.terminate()
        self.server.wait(timeout=30)
        for old in self.cache.parent.glob(f"{self.cache.name}.old-*"):
            shutil.rmtree(old, ignore_errors=True)


class Cygnet(MountedPeer):
    """cygnet-software serve + mount of the benchmark repository."""

    def __init__(self, software_dir: Path, cache: Path):
        self.software_dir, self.cache = software_dir, cache
        self.mount_point = MOUNT
        self.port = free_port()
        self.server = subprocess.Popen(
            [SOFTWARE, "serve", "--software-dir", str(software_dir), "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        unmount(MOUNT)
        self.mount = subprocess.Popen(
            [SOFTWARE, "mount", REPOSITORY, str(MOUNT), "--software-dir", str(self.software_dir), "--cache-dir",
             str(self.cache), "--server", f"http://127.0.0.1:{self.port}/cvmfs"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_mounted(MOUNT, self.mount)

    @property
    def prefix(self) -> Path:
        return MOUNT / STACK


class Rclone(MountedPeer):
    """The same stack tree served over HTTP (rclone serve http) and mounted with rclone's full VFS cache."""

    def __init__(self, local_root: Path, work: Path):
        self.mount_point = work / "rclone-mount"
        self.cache = work / "rclone-cache"
        self.port = free_port()
        self.server = subprocess.Popen(
            ["rclone", "serve", "http", str(local_root), "--addr", f"127.0.0.1:{self.port}", "--copy-links"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(1)

    def start(self) -> None:
        unmount(self.mount_point)
        self.mount_point.mkdir(parents=True, exist_ok=True)
        self.mount = subprocess.Popen(
            ["rclone", "mount", ":http:", str(self.mount_point), "--http-url", f"http://127.0.0.1:{self.port}/",
             "--vfs-cache-mode", "full", "--read-only", "--cache-dir", str(self.cache), "--file-perms", "0755",
             "--dir-cache-time", "1h", "--attr-timeout", "1h", "--allow-other"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_mounted(self.mount_point, self.mount)

    @property
    def prefix(self) -> Path:
        return self.mount_point / "default"


def median_ratio(ours: list[float], peer: list[float]) -> str:
    return f"{statistics.median(ours) / statistics.median(peer):.2f}x"


def report(name: str, results: dict[str, list[float]]) -> None:
    local = statistics.median(results["local disk"])
    log(f"\n{name}")
    for who, values in results.items():
        median = statistics.median(values)
        log(f"  {who:<28} median {median:7.3f} s  ({median / local:.2f}x local disk)  runs: "
            + " ".join(f"{v:.3f}" for v in values))


def find_stat(root: Path) -> list[str]:
    return ["find", str(root), "-printf", "%s %m %T@ %y\n"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/opt/softbench")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--no-rclone", action="store_true")
    arguments = parser.parse_args()
    work = Path(arguments.work)
    software_dir = work / "software"
    source = software_dir / "sources" / REPOSITORY
    if not (software_dir / "repositories" / REPOSITORY / ".cvmfspublished").exists():
        log("building the default stack (once; kept in /opt/softbench) …")
        unmount(MOUNT)
        subprocess.run([SOFTWARE, "stack", "build", "--software-dir", str(software_dir)], check=True)
    local_root = work / "local"
    if not (local_root / "default" / "bin" / "python").exists():
        log("copying the stack to local disk …")
        shutil.rmtree(local_root, ignore_errors=True)
        local_root.mkdir(parents=True)
        subprocess.run(["cp", "-a", str(source / STACK), str(local_root / "default")], check=True)
    files = sum(1 for _ in (source / STACK).rglob("*"))
    size = subprocess.run(["du", "-sh", str(source / STACK)], capture_output=True, text=True).stdout.split()[0]
    log(f"stack: {size}, {files} entries")

    cygnet = Cygnet(software_dir, work / "cache")
    rclone = None if arguments.no_rclone or not shutil.which("rclone") else Rclone(local_root, work)
    try:
        cygnet.start()
        if rclone:
            rclone.start()
        readers = {"local disk": local_root / "default", "cygnet-software mount": cygnet.prefix}
        if rclone:
            readers["rclone mount (full VFS cache)"] = rclone.prefix
        # Warm: one untimed read fills every cache, then interleaved rounds.
        for prefix in readers.values():
            timed([str(prefix / "bin" / "python"), *IMPORT])
            timed(find_stat(prefix))
        warm = {who: [] for who in readers}
        walk = {who: [] for who in readers}
        for _ in range(arguments.runs):
            for who, prefix in readers.items():
                warm[who].append(timed([str(prefix / "bin" / "python"), *IMPORT]))
                walk[who].append(timed(find_stat(prefix)))
        report("warm: python -c 'import numpy, pandas, matplotlib, ROOT'", warm)
        report("warm: find + stat over the whole stack", walk)

        cold = {who: [] for who in readers}
        for _ in range(arguments.cold_runs):
            for who, prefix in readers.items():
                if who == "cygnet-software mount":
                    cygnet.cold()
                elif rclone and prefix == rclone.prefix:
                    rclone.cold()
                drop_caches()
                cold[who].append(timed([str(prefix / "bin" / "python"), *IMPORT]))
        report("cold (empty object cache, dropped page cache; server on loopback): the same import", cold)
    finally:
        cygnet.close()
        if rclone:
            rclone.close()

    log("\npublishing the default stack (release build, 2 cores)")
    publish_dir = work / "publish"
    shutil.rmtree(publish_dir, ignore_errors=True)
    scratch = timed([SOFTWARE, "publish", "bench.cygnet.local", str(source), "--software-dir", str(publish_dir)])
    log(f"  from scratch: {scratch:.1f} s")
    marker = source / STACK / "lib" / "python3.11" / "site-packages" / "numpy" / "version.py"
    original = marker.read_bytes()
    try:
        marker.write_bytes(original + b"\n# changed by the benchmark\n")
        again = timed([SOFTWARE, "publish", "bench.cygnet.local", str(source), "--software-dir", str(publish_dir)])
    finally:
        marker.write_bytes(original)
    log(f"  after one changed file: {again:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
