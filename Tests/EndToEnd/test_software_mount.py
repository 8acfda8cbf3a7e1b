"""`cygnet-software mount`: a published repository through FUSE, revision switches, tampering and faults."""

from __future__ import annotations

import datetime
import errno
import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from cygnet_e2e import wait_for
from software_e2e import (
    Mount, Server, assert_mount_matches_source, free_port, listed_in_proc_mounts, publish_tree, software,
)

NAME = "mount.cygnet.local"


@pytest.fixture
def repo(tmp_path):
    """A published repository and a running server for it."""
    source, software_dir = publish_tree(tmp_path, NAME)
    with Server(software_dir) as server:
        yield source, software_dir, server


@pytest.fixture
def mounts():
    started: list[Mount] = []
    yield started
    for mount in started:
        mount.stop()


def mount(mounts, software_dir, mount_point, servers, *extra, expect_failure=False) -> Mount:
    created = Mount(software_dir, NAME, mount_point, servers, *extra)
    mounts.append(created)
    return created.start(expect_failure=expect_failure)


def objects(software_dir: Path, suffix: str = "") -> list[Path]:
    data = software_dir / "repositories" / NAME / "data"
    return sorted(
        p for p in data.rglob("*") if p.is_file() and p.parent.name != "txn" and (p.name[-1] == suffix if suffix else p.name[-1] in "0123456789abcdef")
    )


def flip_byte(path: Path, offset: int = 40) -> None:
    data = bytearray(path.read_bytes())
    data[min(offset, len(data) - 1)] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def test_mount_matches_the_source_and_follows_new_revisions(repo, mounts, tmp_path):
    source, software_dir, server = repo
    mounted = mount(mounts, software_dir, tmp_path / "mnt", [server.url], "--ttl", "2")
    assert_mount_matches_source(mounted.mount_point, source)
    assert "cygnet" in Path("/proc/mounts").read_text()

    (source / "readonly.txt").chmod(0o644)
    (source / "readonly.txt").write_text("second revision\n")
    (source / "added.txt").write_text("added\n")
    shutil.rmtree(source / "nested" / "deeper")
    software(software_dir, "publish", NAME, str(source))
    wait_for(lambda: (mounted.mount_point / "added.txt").exists(), timeout=30, what="the new revision")
    assert_mount_matches_source(mounted.mount_point, source)
    wait_for(
        lambda: "revision 2" in software(software_dir, "status").stdout, timeout=30, what="the status to show revision 2"
    )
    assert "hit rate" in software(software_dir, "status").stdout


def test_a_mount_killed_outright_is_cleared_by_the_next_one(repo, mounts, tmp_path):
    """A mount process killed with -9 leaves a dead mount point ("Transport endpoint is not connected") whose root
    the kernel may still `stat` and even list from its cache; the next mount on it clears it and serves."""
    source, software_dir, server = repo
    first = mount(mounts, software_dir, tmp_path / "mnt", [server.url])
    assert sorted(os.listdir(first.mount_point)) == sorted(os.listdir(source))
    first.process.kill()
    first.process.wait(timeout=15)
    assert listed_in_proc_mounts(first.mount_point), "a killed FUSE server leaves its mount behind"
    with pytest.raises(OSError):  # only what the kernel cached still answers (listings, attributes)
        os.statvfs(first.mount_point)

    second = mount(mounts, software_dir, tmp_path / "mnt", [server.url])
    wait_for(lambda: _answers(second), timeout=30, what="the new mount to answer")
    assert second.process.poll() is None, second.output()
    assert_mount_matches_source(second.mount_point, source)


def _answers(mounted) -> bool:
    """`statvfs` is never answered from the kernel's cache: it succeeds only with a live server, or with nothing
    mounted at all (the plain folder, between the dead mount's removal and the new mount), so the mount point must
    also be on another device than its parent."""
    if mounted.process.poll() is not None:
        raise AssertionError(f"the mount exited: {mounted.output()}")
    try:
        os.statvfs(mounted.mount_point)
        return os.stat(mounted.mount_point).st_dev != os.stat(mounted.mount_point.parent).st_dev
    except OSError:
        return False


def test_writes_are_refused(repo, mounts, tmp_path):
    _, software_dir, server = repo
    mounted = mount(mounts, software_dir, tmp_path / "mnt", [server.url])
    with pytest.raises(OSError) as error:
        (mounted.mount_point / "new-file").write_text("x")
    assert error.value.errno in (30, 13)  # EROFS or EACCES


def test_corrupt_object_on_one_server_is_fetched_from_the_next(repo, mounts, tmp_path):
    source, software_dir, server = repo
    mirror_dir = tmp_path / "mirror"
    shutil.copytree(software_dir / "repositories", mirror_dir / "repositories", symlinks=True)
    with Server(mirror_dir) as mirror:
        for path in objects(software_dir):
            flip_byte(path)
        mounted = mount(mounts, software_dir, tmp_path / "mnt", [server.url, mirror.url])
        assert (mounted.mount_point / "bin" / "tool").read_text() == (source / "bin" / "tool").read_text()
        assert_mount_matches_source(mounted.mount_point, source)
        wait_for(
            lambda: "does not match its hash" in software(software_dir, "status").stdout, timeout=30, what="status"
        )


@pytest.mark.parametrize("target", ["catalog", "manifest"])
def test_tampered_catalog_or_manifest_is_refused(repo, mounts, tmp_path, target):
    _, software_dir, server = repo
    base = software_dir / "repositories" / NAME
    if target == "catalog":
        root = (base / ".cvmfspublished").read_text(errors="replace").splitlines()[0][1:]
        flip_byte(base / "data" / root[:2] / (root[2:] + "C"))
        expected = "does not match its hash"
    else:
        manifest = (base / ".cvmfspublished").read_bytes()
        (base / ".cvmfspublished").write_bytes(manifest.replace(b"\nD240\n", b"\nD999\n"))
        expected = "changed after it was signed"
    mounted = mount(mounts, software_dir, tmp_path / "mnt", [server.url], expect_failure=True)
    mounted.process.wait(timeout=30)
    assert mounted.process.returncode != 0
    assert expected in mounted.output(), mounted.output()
    assert not os.path.ismount(mounted.mount_point)


def sign_whitelist(software_dir: Path, expires: datetime.datetime) -> bytes:
    """A whitelist signed with the real master key but with an expiry of our choice."""
    keys = software_dir / "keys"
    master = serialization.load_pem_private_key((keys / f"{NAME}.masterkey").read_bytes(), password=None)
    certificate = (keys / f"{NAME}.crt").read_bytes()
    from cryptography import x509

    der = x509.load_pem_x509_certificate(certificate).public_bytes(serialization.Encoding.DER)
    fingerprint = ":".join(f"{b:02X}" for b in hashlib.sha1(der).digest())
    created = expires - datetime.timedelta(days=30)
    body = f"{created:%Y%m%d%H%M%S}\nE{expires:%Y%m%d%H%M%S}\nN{NAME}\n{fingerprint}\n".encode()
    body_hash = hashlib.sha1(body).hexdigest().encode()
    numbers = master.private_numbers()
    size = (numbers.public_numbers.n.bit_length() + 7) // 8
    block = b"\x00\x01" + b"\xff" * (size - len(body_hash) - 3) + b"\x00" + body_hash
    signature = pow(int.from_bytes(block, "big"), numbers.d, numbers.public_numbers.n).to_bytes(size, "big")
    return body + b"--\n" + body_hash + b"\n" + signature


def test_expired_whitelist_and_unknown_key_are_refused(repo, mounts, tmp_path):
    _, software_dir, server = repo
    whitelist = software_dir / "repositories" / NAME / ".cvmfswhitelist"
    original = whitelist.read_bytes()
    whitelist.write_bytes(sign_whitelist(software_dir, datetime.datetime(2020, 1, 1)))
    expired = mount(mounts, software_dir, tmp_path / "expired", [server.url], expect_failure=True)
    expired.process.wait(timeout=30)
    assert "expired" in expired.output(), expired.output()

    whitelist.write_bytes(original)
    other = tmp_path / "other"
    software(other, "publish", "other.cygnet.local", str(tmp_path / "source"))
    stranger = mount(
        mounts, software_dir, tmp_path / "stranger", [server.url],
        "--master-key", str(other / "keys" / "other.cygnet.local.pub"), expect_failure=True,
    )
    stranger.process.wait(timeout=30)
    assert "not signed by a trusted master key" in stranger.output(), stranger.output()


class BlackHole:
    """Accepts connections and never answers: a server that hangs."""

    def __init__(self, port: int):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        self.sock.close()
        for connection in self.held:
            connection.close()


def test_server_gone_cached_files_work_uncached_fail_within_the_timeout(repo, mounts, tmp_path):
    source, software_dir, server = repo
    mounted = mount(mounts, software_dir, tmp_path / "mnt", [server.url], "--timeout", "3")
    root = mounted.mount_point
    assert (root / "binary.bin").read_bytes() == (source / "binary.bin").read_bytes()
    with open(root / "big.bin", "rb") as open_file:
        assert open_file.read(4096) == (source / "big.bin").read_bytes()[:4096]  # fetched, so cached
        open_file.seek(0)
        server.stop()
        hole = BlackHole(server.port)
        try:
            assert open_file.read() == (source / "big.bin").read_bytes()
            assert (root / "binary.bin").read_bytes() == (source / "binary.bin").read_bytes()
            started = time.monotonic()
            # A folder nothing was opened in yet, so the prefetcher has not fetched it either.
            result = subprocess.run(["cat", str(root / "nested" / "deeper" / "leaf.txt")], capture_output=True, timeout=60)
            assert result.returncode != 0 and b"Input/output error" in result.stderr
            elapsed = time.monotonic() - started
            assert elapsed < 30, f"an uncached read waited {elapsed:.1f} s with a 3 s timeout"
        finally:
            hole.close()
        # Listings and metadata come from the cached catalogs.
        assert sorted(os.listdir(root / "bin")) == ["tool"]


def test_full_cache_disk_evicts_and_reads_still_succeed(repo, mounts, tmp_path):
    source, software_dir, server = repo
    for index in range(6):
        (source / f"blob-{index}.bin").write_bytes(os.urandom(3 << 20))
    software(software_dir, "publish", NAME, str(source))
    cache = tmp_path / "small-cache"
    cache.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(cache)], check=True)
    try:
        mounted = mount(
            mounts, software_dir, tmp_path / "mnt", [server.url], "--cache-dir", str(cache), "--cache-quota-mb", "64"
        )
        for _ in range(2):
            for index in range(6):
                name = f"blob-{index}.bin"
                assert (mounted.mount_point / name).read_bytes() == (source / name).read_bytes(), name
        mounted.stop()
    finally:
        subprocess.run(["umount", "-l", str(cache)], check=False)


def test_two_mounts_share_one_cache(repo, mounts, tmp_path):
    source, software_dir, server = repo
    cache = tmp_path / "shared-cache"
    first = mount(mounts, software_dir, tmp_path / "first", [server.url], "--cache-dir", str(cache))
    second = mount(mounts, software_dir, tmp_path / "second", [server.url], "--cache-dir", str(cache))
    expected = (source / "big.bin").read_bytes()
    assert (first.mount_point / "big.bin").read_bytes() == expected
    server.stop()
    # Nothing can be fetched now: the second mount reads what the first one cached.
    assert (second.mount_point / "big.bin").read_bytes() == expected


class ForwardProxy:
    """A minimal HTTP forward proxy (absolute-URI GETs), counting what passes through it."""

    def __init__(self):
        import http.server
        import urllib.request

        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                try:
                    with urllib.request.urlopen(self.path, timeout=10) as upstream:
                        body = upstream.read()
                        status = upstream.status
                except urllib.error.HTTPError as error:
                    body, status = error.read(), error.code
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_http_proxies_with_failover(repo, mounts, tmp_path):
    source, software_dir, server = repo
    proxy = ForwardProxy()
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    try:
        mounted = mount(
            mounts, software_dir, tmp_path / "mnt", [server.url], "--proxy", dead, "--proxy", proxy.url,
            "--timeout", "3",
        )
        assert (mounted.mount_point / "bin" / "tool").read_text() == (source / "bin" / "tool").read_text()
        assert proxy.requests > 0, "objects came through the working proxy"
        wait_for(
            lambda: "failing" in software(software_dir, "status").stdout, timeout=30,
            what="the dead proxy in the status",
        )
    finally:
        proxy.close()


def test_a_damaged_cached_object_is_dropped_and_fetched_again(repo, mounts, tmp_path):
    source, software_dir, server = repo
    cache = tmp_path / "cache"
    first = mount(mounts, software_dir, tmp_path / "mnt", [server.url], "--cache-dir", str(cache))
    expected = (source / "binary.bin").read_bytes()
    assert (first.mount_point / "binary.bin").read_bytes() == expected
    first.stop()
    damaged = [p for p in (cache / "objects").rglob("*") if p.is_file() and p.read_bytes() == expected]
    assert len(damaged) == 1
    flip_byte(damaged[0], offset=1000)
    second = mount(mounts, software_dir, tmp_path / "mnt", [server.url], "--cache-dir", str(cache))
    assert (second.mount_point / "binary.bin").read_bytes() == expected
    wait_for(
        lambda: "1 damaged objects" in software(software_dir, "status", "--cache-dir", str(cache)).stdout,
        timeout=30, what="the status to report the damaged object",
    )


def add_variant_links(source: Path) -> None:
    (source / "current").symlink_to("stacks/$(CYGNET_TEST_STACK:-2026a)")
    (source / "fallback").symlink_to("stacks/$(CYGNET_TEST_UNSET:-2026a)")


def test_magic_attributes_and_variant_symlinks(tmp_path, mounts, monkeypatch):
    _, software_dir = publish_tree(tmp_path, NAME, extend=add_variant_links)
    with Server(software_dir) as server:
        monkeypatch.setenv("CYGNET_TEST_STACK", "2026b")
        mounted = mount(mounts, software_dir, tmp_path / "mnt", [server.url])
        root = mounted.mount_point

        assert os.readlink(root / "current") == "stacks/2026b"
        assert os.lstat(root / "current").st_size == len("stacks/2026b")
        assert os.readlink(root / "fallback") == "stacks/2026a"
        raw = os.getxattr(root / "current", "trusted.rawlink", follow_symlinks=False)  # as root, as `attr -R`
        assert raw == b"stacks/$(CYGNET_TEST_STACK:-2026a)"

        manifest = (software_dir / "repositories" / NAME / ".cvmfspublished").read_text(errors="replace")
        assert os.getxattr(root, "user.fqrn") == NAME.encode()
        assert os.getxattr(root, "user.revision") == b"1"
        assert os.getxattr(root, "user.root_hash").decode() == manifest.splitlines()[0][1:]
        assert os.getxattr(root, "user.host").decode() == f"{server.url}/{NAME}"
        assert os.getxattr(root, "user.proxy") == b"DIRECT"
        assert int(os.getxattr(root, "user.pid")) == mounted.process.pid

        tool_hash = os.getxattr(root / "bin" / "tool", "user.hash").decode()
        assert (software_dir / "repositories" / NAME / "data" / tool_hash[:2] / tool_hash[2:]).exists()
        assert os.getxattr(root / "bin" / "tool", "user.chunks") == b"1"
        assert os.getxattr(root / "bin" / "tool", "user.compression") == b"zlib"
        assert int(os.getxattr(root / "big.bin", "user.chunks")) >= 2
        with pytest.raises(OSError) as refused:
            os.getxattr(root / "bin", "user.hash")
        assert refused.value.errno == errno.ENODATA

        # Not listed: a file's listed attributes stay those it was published with.
        assert os.listxattr(root / "readonly.txt") == ["user.origin"]
        assert os.getxattr(root / "readonly.txt", "user.origin") == b"cygnet-test"
