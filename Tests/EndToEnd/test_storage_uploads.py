"""Big uploads take their own path: written straight to the disk (O_DIRECT) in whole blocks with the last partial
block written normally, SHA-1 checked as the bytes arrive, and the MD5 worked out after the answer. These tests
check that the bytes, the checksums a listing reports and a refused upload all come out as for small files."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path

import requests

from cygnet_e2e import wait_for
from storage_e2e import running_storage

pytest_plugins = ["storage_e2e"]

CHECKSUMS_BODY = ('<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">'
                  "<d:prop><oc:checksums/><d:getcontentlength/></d:prop></d:propfind>")


def listed_checksums(url: str, auth) -> dict[str, str]:
    """The checksums of every file in a folder, as `{name: "SHA1:… MD5:…"}`."""
    listing = requests.request("PROPFIND", url, auth=auth, headers={"Depth": "1"}, data=CHECKSUMS_BODY)
    assert listing.status_code == 207, listing.text
    found = {}
    for response in re.findall(r"<d:response>(.*?)</d:response>", listing.text, re.S):
        href = re.search(r"<d:href>([^<]*)</d:href>", response).group(1)
        checksum = re.search(r"<oc:checksum>([^<]*)</oc:checksum>", response)
        if checksum:
            found[href.rsplit("/", 1)[-1]] = checksum.group(1)
    return found


def test_big_uploads_arrive_whole_with_both_checksums(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        auth = (alice.username, alice.password)
        url = server.dav_url("alice")
        # Sizes around the 4 MiB batch and the 4 KiB block: one partial block, exact blocks, several batches.
        payloads = {"odd.bin": os.urandom((9 << 20) + 4097), "blocks.bin": os.urandom(8 << 20),
                    "just-over.bin": os.urandom((4 << 20) + 1), "small.bin": os.urandom(300_000)}
        for name, data in payloads.items():
            response = requests.put(url + name, data=data, auth=auth,
                                    headers={"OC-Checksum": "SHA1:" + hashlib.sha1(data).hexdigest()})
            assert response.status_code == 201, response.text
            assert response.headers["OC-Checksum"] == "SHA1:" + hashlib.sha1(data).hexdigest()
        # A replacement gets the checksums of its own content, not those of what it replaced.
        payloads["odd.bin"] = os.urandom((5 << 20) + 13)
        requests.put(url + "odd.bin", data=payloads["odd.bin"], auth=auth).raise_for_status()

        listed = listed_checksums(url, auth)
        for name, data in payloads.items():
            assert (server.space("alice") / name).read_bytes() == data, f"{name} is not what was sent"
            expected = f"SHA1:{hashlib.sha1(data).hexdigest()} MD5:{hashlib.md5(data).hexdigest()}"
            assert listed.get(name) == expected, f"{name}: {listed.get(name)}"
            download = requests.get(url + name, auth=auth)
            assert download.content == data


def test_a_big_upload_with_a_wrong_checksum_leaves_nothing(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        auth = (alice.username, alice.password)
        url = server.dav_url("alice")
        data = os.urandom((6 << 20) + 99)
        for header in ("SHA1:" + hashlib.sha1(b"something else").hexdigest(),
                       "MD5:" + hashlib.md5(b"something else").hexdigest()):
            response = requests.put(url + "wrong.bin", data=data, auth=auth, headers={"OC-Checksum": header})
            assert response.status_code == 400, response.text
            assert "checksum does not match" in response.text
        assert not (server.space("alice") / "wrong.bin").exists()
        staging = server.spaces / ".cygnet-staging"
        assert not [entry for entry in staging.iterdir() if entry.name.endswith(".part")]
        # The MD5 a client sends is checked as the bytes arrive, and kept.
        md5 = hashlib.md5(data).hexdigest()
        response = requests.put(url + "right.bin", data=data, auth=auth, headers={"OC-Checksum": "MD5:" + md5})
        assert response.status_code == 201, response.text
        assert f"MD5:{md5}" in listed_checksums(url, auth)["right.bin"]


def test_md5s_a_stop_left_unfinished_are_worked_out_at_the_next_start(tmp_path: Path):
    """A big upload's MD5 is worked out after the answer. If the server stops before it gets to it, the next start
    finishes the job, so `rclone check` still finds it. (The stop is simulated: the recorded MD5 is cleared while
    the server is down, which is what a stop in the middle leaves.)"""
    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        auth = (alice.username, alice.password)
        url = server.dav_url("alice")
        data = os.urandom((6 << 20) + 5)
        requests.put(url + "big.bin", data=data, auth=auth).raise_for_status()
        expected = f"SHA1:{hashlib.sha1(data).hexdigest()} MD5:{hashlib.md5(data).hexdigest()}"
        assert listed_checksums(url, auth)["big.bin"] == expected
        server.stop()
        with sqlite3.connect(server.state_dir / "cygnet.sqlite") as db:
            cleared = db.execute("UPDATE storage_files SET md5 = NULL WHERE path LIKE '%big.bin'").rowcount
        assert cleared == 1
        server.start()
        wait_for(lambda: listed_checksums(url, auth).get("big.bin") == expected, timeout=30,
                 what="the MD5 to be worked out again")
        assert "left unfinished" in server.tail()
