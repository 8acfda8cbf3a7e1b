"""Helpers for the software-repository tests: run `cygnet-software`, build source trees, compare a published
tree (read back with the independent reader, or through a mount) with its source."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from cvmfs_reader import Repository
from cygnet_e2e import free_port

BIN_DIR = Path(os.environ.get("CYGNET_BIN_DIR", Path(__file__).resolve().parents[2] / ".build" / "debug"))
SOFTWARE = str(BIN_DIR / "cygnet-software")


def software(software_dir: Path, *arguments: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [SOFTWARE, *arguments, "--software-dir", str(software_dir)],
        capture_output=True, text=True, timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"cygnet-software {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def repository(software_dir: Path, name: str, **kwargs) -> Repository:
    master = (software_dir / "keys" / f"{name}.pub").read_bytes()
    repo = Repository(base=str(software_dir / "repositories" / name), name=name, master_public_key_pem=master, **kwargs)
    repo.verify()
    repo.load_catalogs()
    return repo


def make_tree(root: Path) -> None:
    """A small tree with every kind of entry a stack has, and some awkward ones."""
    (root / "bin").mkdir(parents=True)
    (root / "lib" / "python3.11" / "site-packages" / "pkg").mkdir(parents=True)
    (root / "empty-dir").mkdir()
    (root / "bin" / "tool").write_text("#!/bin/sh\necho tool\n")
    (root / "bin" / "tool").chmod(0o755)
    (root / "lib" / "python3.11" / "site-packages" / "pkg" / "__init__.py").write_text("VALUE = 42\n")
    (root / "readonly.txt").write_text("read me\n")
    (root / "readonly.txt").chmod(0o444)
    (root / "empty-file").write_bytes(b"")
    (root / "binary.bin").write_bytes(bytes(range(256)) * 1000)
    (root / "big.bin").write_bytes(os.urandom(20 << 20))  # over 16 MiB: at least two chunks
    (root / "link-to-tool").symlink_to("bin/tool")
    (root / "dangling").symlink_to("/does/not/exist")
    (root / "name with\nnewline").write_text("newline\n")
    (root / "ünïcødé.txt").write_text("unicode\n")
    os.link(root / "bin" / "tool", root / "hardlink-to-tool")
    os.mkfifo(root / "a-fifo")
    os.setxattr(root / "readonly.txt", "user.origin", b"cygnet-test")
    os.setxattr(root / "bin", "user.kind", b"directory")
    nested = root / "nested"
    nested.mkdir()
    (nested / ".cvmfscatalog").write_bytes(b"")
    (nested / "inner.txt").write_text("inside a nested catalog\n")
    (nested / "deeper").mkdir()
    (nested / "deeper" / "leaf.txt").write_text("leaf\n")


def publish_tree(tmp_path: Path, name: str, *arguments: str, extend=None) -> tuple[Path, Path]:
    """The test tree (`make_tree`, then whatever `extend` adds) in tmp_path/source, published as `name` into
    tmp_path/software with `arguments`; returns the source and the software folder."""
    source = tmp_path / "source"
    make_tree(source)
    if extend:
        extend(source)
    software_dir = tmp_path / "software"
    software(software_dir, "publish", name, str(source), *arguments)
    return source, software_dir


def walk(root: Path) -> dict[bytes, os.stat_result]:
    """Every path below `root` as repository paths (b"/a/b"), with lstat."""
    result = {b"": os.lstat(root)}
    base = os.fsencode(root)
    for directory, names, files in os.walk(base):
        for name in names + files:
            full = os.path.join(directory, name)
            result[full[len(base) :]] = os.lstat(full)
    return result


def assert_matches_source(repo: Repository, source: Path) -> None:
    """Every entry of the source is in the repository with the same type, mode, bytes, link target, listing
    and user xattrs — and nothing else is."""
    expected = walk(source)
    assert set(repo.entries) == set(expected), set(repo.entries) ^ set(expected)
    base = os.fsencode(source)
    for path, status in expected.items():
        entry = repo.entries[path]
        full = base + path
        assert entry.mode == status.st_mode, (path, oct(entry.mode), oct(status.st_mode))
        if stat.S_ISREG(status.st_mode):
            with open(full, "rb") as handle:
                assert repo.contents(entry) == handle.read(), path
            assert entry.size == status.st_size
            assert entry.linkcount == 1
        elif stat.S_ISLNK(status.st_mode):
            assert entry.symlink == os.readlink(full)
        elif stat.S_ISDIR(status.st_mode):
            assert repo.children(path) == sorted(os.listdir(full)), path
        names = [n for n in os.listxattr(full, follow_symlinks=False) if n.startswith("user.")]
        assert {k.decode(): v for k, v in entry.xattrs.items()} == {
            n: os.getxattr(full, n, follow_symlinks=False) for n in names
        }, path


class Server:
    """`cygnet-software serve` on a free port for one software folder."""

    def __init__(self, software_dir: Path, port: int | None = None):
        self.software_dir = software_dir
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cvmfs"

    def start(self) -> "Server":
        import time
        import urllib.request

        self.process = subprocess.Popen(
            [SOFTWARE, "serve", "--software-dir", str(self.software_dir), "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1).read()
                return self
            except OSError:
                assert self.process.poll() is None, "cygnet-software serve exited"
                time.sleep(0.05)
        raise TimeoutError("cygnet-software serve did not answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()


def listed_in_proc_mounts(path: Path) -> bool:
    """Whether the kernel has something mounted on `path`, dead or alive (`os.path.ismount` is wrong for a dead FUSE
    mount: it answers from whatever the kernel still has cached, or not at all)."""
    return any(line.split()[1] == str(path) for line in Path("/proc/mounts").read_text().splitlines())


class Mount:
    """`cygnet-software mount` in the background; always unmounted at the end, even after a failure."""

    def __init__(self, software_dir: Path, name: str, mount_point: Path, servers: list[str], *extra: str):
        self.mount_point = mount_point
        self.log = mount_point.parent / f"{mount_point.name}.log"
        self.arguments = [
            SOFTWARE, "mount", name, str(mount_point), "--software-dir", str(software_dir),
            *[a for server in servers for a in ("--server", server)], *extra,
        ]
        self.process: subprocess.Popen | None = None

    def start(self, expect_failure: bool = False) -> "Mount":
        import time

        try:
            self.mount_point.mkdir(parents=True)
        except FileExistsError:
            pass  # also a dead mount left there, which `mkdir(exist_ok=True)` would not take for a folder
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(self.arguments, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.ismount(self.mount_point):
                return self
            if self.process.poll() is not None:
                if expect_failure:
                    return self
                raise AssertionError(f"mount exited: {self.output()}")
            time.sleep(0.05)
        raise TimeoutError(f"not mounted: {self.output()}")

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(2)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if os.path.ismount(self.mount_point):
            subprocess.run(["fusermount3", "-u", "-z", str(self.mount_point)], check=False)


def assert_mount_matches_source(mount_point: Path, source: Path) -> None:
    """The same comparison as `assert_matches_source`, through the kernel: what a session would see."""
    expected = walk(source)
    seen = walk(mount_point)
    assert set(seen) == set(expected), set(seen) ^ set(expected)
    source_base, mount_base = os.fsencode(source), os.fsencode(mount_point)
    for path, status in expected.items():
        full, mounted = source_base + path, mount_base + path
        got = seen[path]
        assert got.st_mode == status.st_mode, (path, oct(got.st_mode), oct(status.st_mode))
        if stat.S_ISREG(status.st_mode):
            assert got.st_size == status.st_size, path
            with open(full, "rb") as a, open(mounted, "rb") as b:
                assert a.read() == b.read(), path
        elif stat.S_ISLNK(status.st_mode):
            assert os.readlink(mounted) == os.readlink(full)
        elif stat.S_ISDIR(status.st_mode):
            assert sorted(os.listdir(mounted)) == sorted(os.listdir(full)), path
        if not stat.S_ISLNK(status.st_mode):
            assert int(got.st_mtime) == int(status.st_mtime), path
        names = sorted(n for n in os.listxattr(full, follow_symlinks=False) if n.startswith("user."))
        assert sorted(os.listxattr(mounted, follow_symlinks=False)) == names, path
        for name in names:
            assert os.getxattr(mounted, name, follow_symlinks=False) == os.getxattr(full, name, follow_symlinks=False)
