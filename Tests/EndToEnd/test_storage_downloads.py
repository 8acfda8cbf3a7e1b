"""Downloads of 256 KiB and more go from the page cache to the socket with sendfile, on a side way past Hummingbird's
response writer (FileRegionHandler). These tests check what a client sees: every byte in order, ranges, several
responses on one connection (also pipelined, where a response's end must not overtake its file), and that a client
leaving half-way costs the server neither its health nor an open file."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import requests

from cygnet_e2e import wait_for
from storage_e2e import running_storage

pytest_plugins = ["storage_e2e"]

PIECE = 8 << 20  # DAVController.sendfilePiece


def open_descriptors(pid: int) -> set[str]:
    """What the server has open, as the targets of /proc/PID/fd (files by path, sockets as socket:[inode])."""
    found = set()
    for entry in os.listdir(f"/proc/{pid}/fd"):
        try:
            found.add(os.readlink(f"/proc/{pid}/fd/{entry}"))
        except FileNotFoundError:
            pass
    return found


def read_response(stream, limit: int) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length from a socket's file object: status, headers, body."""
    status_line = stream.readline().decode("latin-1")
    assert status_line.startswith("HTTP/1.1 "), f"not a status line: {status_line!r}"
    headers = {}
    while (line := stream.readline().decode("latin-1").rstrip("\r\n")):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    assert length <= limit
    return int(status_line.split()[1]), headers, stream.read(length)


def alice_with(server, files: dict[str, bytes]):
    """Account alice with `files` uploaded: the account, its credentials and the URL of its files."""
    alice = server.add_account("alice")
    auth = (alice.username, alice.password)
    url = server.dav_url("alice")
    for name, data in files.items():
        requests.put(url + name, data=data, auth=auth).raise_for_status()
    return alice, auth, url


def get_request(username: str, password: str, name: str) -> bytes:
    """A GET of one of the user's files as raw bytes, for tests that read the answer at their own pace."""
    credentials = requests.auth._basic_auth_str(username, password)
    return (f"GET /remote.php/dav/files/{username}/{name} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {credentials}\r\n\r\n").encode()


def test_big_downloads_come_whole_with_ranges_and_on_one_connection(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        # Over two pieces with an odd tail, and one just at the threshold.
        big = os.urandom(2 * PIECE + 12_345)
        edge = os.urandom(256 * 1024)
        _, auth, url = alice_with(server, {"big.bin": big, "edge.bin": edge})

        with requests.Session() as client:
            client.auth = auth
            for _ in range(2):  # the second response reuses the connection the first one used
                download = client.get(url + "big.bin")
                assert download.status_code == 200
                assert download.headers["Content-Length"] == str(len(big))
                assert "x-cygnet-file-region" not in download.headers, "the internal header leaked to the client"
                assert download.content == big
            assert client.get(url + "edge.bin").content == edge

            ranges = {f"bytes={PIECE - 10}-{PIECE + 300_000}": big[PIECE - 10:PIECE + 300_001],
                      "bytes=-400000": big[-400_000:],
                      "bytes=5-20": big[5:21],
                      f"bytes={len(big) - 1}-": big[-1:]}
            for header, expected in ranges.items():
                part = client.get(url + "big.bin", headers={"Range": header})
                assert part.status_code == 206, (header, part.status_code)
                assert part.content == expected, f"{header}: wrong bytes"
            beyond = client.get(url + "big.bin", headers={"Range": f"bytes={len(big)}-"})
            assert beyond.status_code == 416
            assert beyond.headers["Content-Range"] == f"bytes */{len(big)}"

            head = client.head(url + "big.bin")
            assert head.status_code == 200 and head.headers["Content-Length"] == str(len(big)) and not head.content
            listing = client.request("PROPFIND", url, headers={"Depth": "1"})
            assert listing.status_code == 207 and "big.bin" in listing.text


def test_pipelined_downloads_keep_their_order(tmp_path: Path):
    """Three requests in one write: each response's bytes must follow its own head, and the last one (a folder
    listing) must come after both files."""
    with running_storage(tmp_path / "server") as server:
        first, second = os.urandom(PIECE + 1), os.urandom(300_000)
        alice, auth, url = alice_with(server, {"first.bin": first, "second.bin": second})

        credentials = requests.auth._basic_auth_str(alice.username, alice.password)
        path = f"/remote.php/dav/files/{alice.username}/"
        requests_text = "".join(
            f"{method} {path}{name} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {credentials}\r\n{extra}\r\n"
            for method, name, extra in [("GET", "first.bin", ""), ("GET", "second.bin", ""),
                                        ("PROPFIND", "", "Depth: 1\r\nContent-Length: 0\r\n")])
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            connection.sendall(requests_text.encode())
            stream = connection.makefile("rb")
            assert read_response(stream, len(first))[2] == first
            assert read_response(stream, len(second))[2] == second
            status, _, body = read_response(stream, 1 << 20)
            assert status == 207 and b"second.bin" in body


def test_a_client_leaving_mid_download_leaves_no_open_file(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        data = os.urandom(4 * PIECE)
        alice, auth, url = alice_with(server, {"big.bin": data})
        stored = str(server.space("alice") / "big.bin")
        pid = server.process.pid

        request = get_request(alice.username, alice.password, "big.bin")
        for _ in range(5):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            connection.sendall(request)
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
            wait_for(lambda: stored in open_descriptors(pid), 10, what="the server to open the file")
            # Gone with the socket buffers full and most of the file unsent.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            connection.close()

        wait_for(lambda: stored not in open_descriptors(pid), 20, what="the server to close the downloads' file")
        assert server.process.poll() is None, server.tail()
        assert requests.get(url + "big.bin", auth=auth).content == data


def test_a_file_cut_short_during_its_download_ends_the_download(tmp_path: Path):
    """A session may truncate a file while someone downloads it. sendfile then finds nothing to send; the server
    must close the connection (the client sees fewer bytes than announced) rather than retry for ever."""
    with running_storage(tmp_path / "server") as server:
        data = os.urandom(4 * PIECE)
        alice, auth, url = alice_with(server, {"shrinking.bin": data})

        request = get_request(alice.username, alice.password, "shrinking.bin")
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as connection:
            connection.sendall(request)
            received = connection.recv(65536)
            assert received.startswith(b"HTTP/1.1 200")
            os.truncate(server.space("alice") / "shrinking.bin", 1 << 20)
            while chunk := connection.recv(1 << 20):  # ends when the server closes; the timeout fails the test
                received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        assert f"content-length: {len(data)}".encode() in head.lower()
        assert len(body) < len(data), "the whole original file came, though it was cut short on disk"
        assert body == data[:len(body)]
        assert server.process.poll() is None, server.tail()
        assert requests.get(url + "shrinking.bin", auth=auth).content == data[:1 << 20]
