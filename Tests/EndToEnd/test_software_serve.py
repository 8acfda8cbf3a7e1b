"""`cygnet-software serve`: what any HTTP cache in front needs (Cache-Control, ETags, ranges), large objects
streamed intact, and nothing outside the repositories folder, whatever the path or a planted symlink says."""

from __future__ import annotations

import http.client
import os
from pathlib import Path

import pytest

from software_e2e import Server, publish_tree

NAME = "serve.cygnet.local"


@pytest.fixture
def served(tmp_path):
    _, software_dir = publish_tree(tmp_path, NAME)
    with Server(software_dir) as server:
        yield software_dir / "repositories" / NAME, server


def get(server: Server, path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request with `path` sent exactly as given (no client-side clean-up of `..` or escapes)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def objects(repository: Path) -> list[Path]:
    data = repository / "data"
    return sorted((p for p in data.rglob("*") if p.is_file() and p.parent.name != "txn"), key=lambda p: p.stat().st_size)


def test_cache_headers_ranges_and_conditional_requests(served):
    repository, server = served
    status, headers, body = get(server, f"/cvmfs/{NAME}/.cvmfspublished")
    assert status == 200 and body == (repository / ".cvmfspublished").read_bytes()
    assert headers["cache-control"] == "public, max-age=61"

    stored = objects(repository)
    small, large = stored[0], stored[-1]
    assert large.stat().st_size > 4 << 20, "the tree's 20 MiB random file makes objects over 4 MiB"
    for item in (small, large):
        path = f"/cvmfs/{NAME}/{item.relative_to(repository)}"
        status, headers, body = get(server, path)
        assert status == 200 and body == item.read_bytes(), path
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert int(headers["content-length"]) == item.stat().st_size

        status, headers, body = get(server, path, "HEAD")
        assert status == 200 and body == b"" and int(headers["content-length"]) == item.stat().st_size

        status, _, _ = get(server, path, headers={"If-None-Match": headers["etag"]})
        assert status == 304

    content = large.read_bytes()
    middle = len(content) // 2
    status, headers, body = get(
        server, f"/cvmfs/{NAME}/{large.relative_to(repository)}", headers={"Range": f"bytes={middle}-{middle + 99}"})
    assert status == 206 and body == content[middle:middle + 100]
    assert headers["content-range"] == f"bytes {middle}-{middle + 99}/{len(content)}"
    status, _, body = get(
        server, f"/cvmfs/{NAME}/{small.relative_to(repository)}", headers={"Range": "bytes=0-0"})
    assert status == 206 and body == small.read_bytes()[:1]


def test_nothing_outside_the_repositories_folder_is_served(served, tmp_path):
    repository, server = served
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web\n")
    (repository / "absolute-escape").symlink_to(secret)
    (repository / "relative-escape").symlink_to(os.path.relpath(secret, repository))
    (repository / "folder-escape").symlink_to(tmp_path)
    (repository / "inside").symlink_to(".cvmfspublished")
    (repository / "data" / "txn").mkdir(exist_ok=True)
    (repository / "data" / "txn" / "half-written").write_text("a publish in progress\n")

    refused = [
        f"/cvmfs/{NAME}/absolute-escape",
        f"/cvmfs/{NAME}/relative-escape",
        f"/cvmfs/{NAME}/folder-escape/secret.txt",
        f"/cvmfs/{NAME}/data/txn/half-written",
        f"/cvmfs/{NAME}/data",
        f"/cvmfs/{NAME}/../../secret.txt",
        f"/cvmfs/{NAME}/%2e%2e/%2e%2e/secret.txt",
        f"/cvmfs/{NAME}/data%2f..%2f..%2fsecret.txt",
        "/cvmfs/../../../../../../etc/passwd",
        f"/cvmfs/{NAME}/.cvmfspublished%00.txt",
    ]
    for path in refused:
        status, _, body = get(server, path)
        assert status in (400, 404), (path, status)
        assert b"not for the web" not in body and b"root:" not in body, path

    # A link that stays inside the folder is an ordinary way to arrange a repository; it is followed.
    status, _, body = get(server, f"/cvmfs/{NAME}/inside")
    assert status == 200 and body == (repository / ".cvmfspublished").read_bytes()
