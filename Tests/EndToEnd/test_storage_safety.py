"""What must never happen to people's files, whatever a client sends: leaving the space (`..`, encoded slashes,
symbolic links a session planted), reaching another user's files, a half-written file after a crash, a quota
overrun, or a crash on malformed or huge XML."""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import threading
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import requests

from storage_e2e import StorageServer, running_storage

pytest_plugins = ["storage_e2e"]


def raw_request(server: StorageServer, method: str, path: str, auth: tuple[str, str], body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Sends the path exactly as written: requests and curl would squash `..` before it leaves the machine."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        token = requests.auth._basic_auth_str(*auth)
        connection.request(method, path, body=body, headers={"Authorization": token} | (headers or {}))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_paths_never_leave_the_space(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        bob = server.add_account("bob")
        auth = (alice.username, alice.password)
        secret = server.space("bob") / "secret.txt"
        secret.write_text("bob's")
        # A session of alice's plants links to the system and to bob's files.
        os.symlink("/etc", server.space("alice") / "system")
        os.symlink(server.space("bob"), server.space("alice") / "bobs")
        base = "/remote.php/dav/files/alice/"
        for path in ["../bob/secret.txt", "..%2Fbob%2Fsecret.txt", "%2e%2e/bob/secret.txt", "a/../../bob/secret.txt",
                     "bobs/secret.txt", "system/passwd"]:
            status, body = raw_request(server, "GET", base + path, auth)
            assert status in (400, 403, 404, 409), f"GET {path} answered {status}: {body[:200]!r}"
            assert b"bob's" not in body and b"root:" not in body, path
        for path in ["bobs/planted.txt", "system/planted.txt", "..%2Fbob%2Fplanted.txt"]:
            status, _ = raw_request(server, "PUT", base + path, auth, body=b"x")
            assert status in (400, 403, 409), f"PUT {path} answered {status}"
        assert not (server.space("bob") / "planted.txt").exists()
        assert not Path("/etc/planted.txt").exists()
        status, _ = raw_request(server, "MOVE", base + "file.txt", auth,
                                headers={"Destination": "/remote.php/dav/files/bob/stolen.txt"})
        assert status == 403
        listing = requests.request("PROPFIND", server.dav_url("alice"), auth=auth, headers={"Depth": "1"})
        assert listing.status_code == 207 and "system" not in listing.text and "bobs" not in listing.text
        # bob's own credentials do not open alice's files, and no credentials open anything.
        other = requests.get(server.dav_url("alice"), auth=(bob.username, bob.password))
        assert other.status_code == 403
        anonymous = requests.request("PROPFIND", server.dav_url("alice"))
        assert anonymous.status_code == 401 and "Basic" in anonymous.headers.get("WWW-Authenticate", "")
        wrong = requests.request("PROPFIND", server.dav_url("alice"), auth=("alice", bob.password))
        assert wrong.status_code == 401


def test_bad_xml_is_refused_with_a_reason(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        auth = (alice.username, alice.password)
        url = server.dav_url("alice")
        bodies = {
            "truncated": b'<d:propfind xmlns:d="DAV:"><d:prop>',
            "not XML": b"hello",
            "entity bomb": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<d:propfind xmlns:d="DAV:"><d:prop><d:getetag>&b;</d:getetag></d:prop></d:propfind>',
            "external entity": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<d:propfind xmlns:d="DAV:"><d:prop>&e;</d:prop></d:propfind>',
            "wrong root": b'<d:lockinfo xmlns:d="DAV:"/>',
        }
        for what, body in bodies.items():
            for method in ("PROPFIND", "PROPPATCH"):
                response = requests.request(method, url, auth=auth, data=body, headers={"Depth": "0"})
                assert response.status_code == 400, f"{method} with {what}: {response.status_code}"
                assert "<s:message>" in response.text and "root:" not in response.text
        lock = requests.request("LOCK", url + "x.txt", auth=auth, data=bodies["truncated"])
        assert lock.status_code == 400
        huge = b'<d:propfind xmlns:d="DAV:"><d:prop>' + b"<d:getetag/>" * 200_000 + b"</d:prop></d:propfind>"
        response = requests.request("PROPFIND", url, auth=auth, data=huge, headers={"Depth": "1"})
        assert response.status_code == 413
        infinite = requests.request("PROPFIND", url, auth=auth, headers={"Depth": "infinity"})
        assert infinite.status_code == 403 and "propfind-finite-depth" in infinite.text
        # The server is still there and still right.
        assert requests.request("PROPFIND", url, auth=auth, headers={"Depth": "0"}).status_code == 207


def test_kill_during_uploads_leaves_only_whole_files(tmp_path: Path):
    """50 uploads at once, the server killed with SIGKILL in the middle: every upload that was answered 201 is
    intact, and no file in the space holds anything but a complete upload."""
    server = StorageServer(tmp_path / "server").start()
    try:
        alice = server.add_account("alice")
        auth = (alice.username, alice.password)
        payloads = {f"upload-{index:02d}.bin": os.urandom(1_000_000 + index * 150_000) for index in range(50)}
        answered: dict[str, int] = {}
        lock = threading.Lock()
        enough = threading.Event()

        def upload(name: str, data: bytes):
            def slowly():
                for start in range(0, len(data), 64 * 1024):
                    yield data[start:start + 64 * 1024]
            try:
                headers = {"OC-Checksum": "SHA1:" + hashlib.sha1(data).hexdigest()}
                response = requests.put(server.dav_url("alice") + name, data=slowly(), auth=auth, headers=headers,
                                        timeout=60)
                with lock:
                    answered[name] = response.status_code
                    if len(answered) >= 10:
                        enough.set()
            except requests.RequestException:
                pass

        threads = [threading.Thread(target=upload, args=item) for item in payloads.items()]
        for thread in threads:
            thread.start()
        enough.wait(60)
        os.killpg(server.process.pid, signal.SIGKILL)
        for thread in threads:
            thread.join(60)
        server.process.wait(10)
        with lock:
            completed = {name for name, status in answered.items() if status in (201, 204)}
        assert completed, "no upload finished before the kill; the test proves nothing"
        space = server.space("alice")
        for name in completed:
            assert (space / name).read_bytes() == payloads[name], f"{name} was answered 201 but is not intact"
        for entry in space.iterdir():
            assert entry.name in payloads, f"{entry.name} appeared in the space"
            assert entry.read_bytes() == payloads[entry.name], f"{entry.name} is half-written"
        # After a restart the leftovers of the killed uploads are gone and the answered files are listed.
        server.start()
        listing = requests.request("PROPFIND", server.dav_url("alice"), auth=auth, headers={"Depth": "1"})
        assert listing.status_code == 207
        for name in completed:
            assert name in listing.text
        staging = server.spaces / ".cygnet-staging"
        assert not [entry for entry in staging.iterdir() if entry.name.endswith(".part")]
    finally:
        server.stop()


def test_small_uploads_a_power_cut_lost_are_written_back_at_the_next_start(tmp_path: Path):
    """Small uploads are made safe in the upload journal and written out to their folders within a second. A power cut
    in that second can lose what the disk had not written yet: here the checkpoint is put off, the server is killed,
    and the files are removed by hand as the power cut would have left them. The next start writes each one back with
    its content, time and checksum; a file a session changed after the upload keeps the session's change."""
    server = StorageServer(tmp_path / "server", {"journal": {"checkpoint_seconds": 3600}}).start()
    try:
        alice = server.add_account("alice")
        auth = (alice.username, alice.password)
        base = server.dav_url("alice")
        assert requests.request("MKCOL", base + "notes", auth=auth).status_code == 201
        files = {f"notes/note-{index:02d}.txt": os.urandom(100 + index * 300) for index in range(10)}
        files |= {f"top-{index:02d}.bin": os.urandom(4096) for index in range(10)}
        answered_ids = {}
        for name, data in files.items():
            headers = {"X-OC-Mtime": "1700000000", "OC-Checksum": "SHA1:" + hashlib.sha1(data).hexdigest()}
            response = requests.put(base + name, data=data, auth=auth, headers=headers)
            assert response.status_code == 201, response.text
            answered_ids[name] = response.headers["OC-FileId"]
        server.kill()
        server.process.wait(10)
        space = server.space("alice")
        for entry in (space / "notes").iterdir():
            entry.unlink()
        (space / "notes").rmdir()
        for index in range(0, 10, 2):
            (space / f"top-{index:02d}.bin").unlink()
        (space / "top-01.bin").write_bytes(b"a session wrote this after the upload")

        server.start()
        written_back = "Wrote back an upload the disk had lost"
        assert server.tail(200).count(written_back) == 15, server.tail()
        for name, data in files.items():
            if name == "top-01.bin":
                assert (space / name).read_bytes() == b"a session wrote this after the upload"
                continue
            assert (space / name).read_bytes() == data, f"{name} was not written back"
            assert int((space / name).stat().st_mtime) == 1700000000, f"{name} lost its modification time"
        listing = requests.request(
            "PROPFIND", base + "notes", auth=auth, headers={"Depth": "1"},
            data='<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:checksums/>'
                 '</d:prop></d:propfind>')
        assert listing.status_code == 207
        for name, data in files.items():
            if name.startswith("notes/"):
                assert "SHA1:" + hashlib.sha1(data).hexdigest() in listing.text, f"{name} lost its checksum"
        # Their index rows were in memory when the server died; each file keeps the id its upload was answered with,
        # or a sync client would take it for another file.
        ids_now = {}
        for folder in ("", "notes/"):
            found = requests.request(
                "PROPFIND", base + folder, auth=auth, headers={"Depth": "1"},
                data='<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:id/>'
                     '</d:prop></d:propfind>')
            assert found.status_code == 207
            for response in ElementTree.fromstring(found.content).iter("{DAV:}response"):
                href = unquote(response.findtext("{DAV:}href"))
                name = href.split("/files/alice/", 1)[1]
                ids_now[name] = response.findtext(".//{http://owncloud.org/ns}id")
        for name, answered in answered_ids.items():
            if name != "top-01.bin":
                assert ids_now.get(name) == answered, f"{name} has another id after the restart"
        # A clean stop leaves the journal empty: the next start has nothing to check.
        checked = "Checked the uploads of the last moments before the server stopped"
        assert server.tail(200).count(checked) == 1
        assert requests.put(base + "after.txt", data=b"after the restart", auth=auth).status_code == 201
        server.stop()
        server.start()
        assert server.tail(200).count(checked) == 1 and server.tail(200).count(written_back) == 15
    finally:
        server.stop()


def test_a_full_quota_refuses_uploads_whole(tmp_path: Path):
    server = StorageServer(tmp_path / "server", storage_settings={"quota": {"default": "3MB"}})
    with server.started():
        alice = server.add_account("alice")
        auth = (alice.username, alice.password)
        url = server.dav_url("alice")
        first = requests.put(url + "first.bin", data=os.urandom(2_000_000), auth=auth)
        assert first.status_code == 201
        second = requests.put(url + "second.bin", data=os.urandom(2_000_000), auth=auth)
        assert second.status_code == 507, second.text
        assert "quota" in second.text

        def unannounced():
            for _ in range(40):
                yield b"x" * 50_000

        streamed = requests.put(url + "third.bin", data=unannounced(), auth=auth)
        assert streamed.status_code == 507
        assert sorted(entry.name for entry in server.space("alice").iterdir()) == ["first.bin"]
        quota = requests.request(
            "PROPFIND", url, auth=auth, headers={"Depth": "0"},
            data=b'<d:propfind xmlns:d="DAV:"><d:prop><d:quota-available-bytes/></d:prop></d:propfind>')
        assert "<d:quota-available-bytes>1000000</d:quota-available-bytes>" in quota.text
        user = requests.get(server.base_url + "/ocs/v1.php/cloud/user?format=json", auth=auth,
                            headers={"OCS-APIREQUEST": "true"}).json()
        assert user["ocs"]["data"]["quota"]["total"] == 3_000_000


def test_uploads_are_invited_with_100_continue(tmp_path: Path):
    """curl (and other clients) send `Expect: 100-continue` and wait for it before an upload's body; without the
    interim answer every upload over 1 KiB stalls for a second."""
    import base64
    import socket

    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        token = base64.b64encode(f"{alice.username}:{alice.password}".encode()).decode()
        body = b"x" * 4096
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            connection.sendall(
                f"PUT /remote.php/dav/files/alice/expect.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Basic {token}\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode())
            interim = connection.recv(1024)
            assert interim.startswith(b"HTTP/1.1 100"), interim
            connection.sendall(body)
            final = b""
            while b"\r\n\r\n" not in final:
                final += connection.recv(4096)
            assert final.startswith(b"HTTP/1.1 201"), final
        assert (server.space("alice") / "expect.bin").read_bytes() == body
