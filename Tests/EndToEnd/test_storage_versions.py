"""Replacing a file through WebDAV keeps its earlier content as a version (Nextcloud's versions API), which can
be downloaded and restored; restoring keeps the replaced content as a version in turn."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from storage_e2e import running_storage

pytest_plugins = ["storage_e2e"]

ID_PROPFIND = b'<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:fileid/></d:prop></d:propfind>'


def test_earlier_contents_can_be_restored(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        auth = (alice.username, alice.password)
        url = server.dav_url("alice") + "results.csv"
        requests.put(url, data=b"first", auth=auth, headers={"X-OC-Mtime": "1700000000"}).raise_for_status()
        requests.put(url, data=b"second", auth=auth, headers={"X-OC-Mtime": "1700000100"}).raise_for_status()
        found = requests.request("PROPFIND", url, auth=auth, headers={"Depth": "0"}, data=ID_PROPFIND)
        file_id = re.search(r"<oc:fileid>(\d+)</oc:fileid>", found.text).group(1)
        base = f"{server.base_url}/remote.php/dav/versions/alice/versions/{file_id}/"
        listing = requests.request("PROPFIND", base, auth=auth, headers={"Depth": "1"})
        assert listing.status_code == 207, listing.text
        versions = re.findall(rf"/versions/{file_id}/(\d+)</d:href>", listing.text)
        assert versions == ["1700000000"]
        assert requests.get(base + versions[0], auth=auth).content == b"first"
        restore = requests.request(
            "MOVE", base + versions[0], auth=auth,
            headers={"Destination": f"{server.base_url}/remote.php/dav/versions/alice/restore/target"})
        assert restore.status_code == 201, restore.text
        assert (server.space("alice") / "results.csv").read_bytes() == b"first"
        listing = requests.request("PROPFIND", base, auth=auth, headers={"Depth": "1"})
        assert sorted(re.findall(rf"/versions/{file_id}/(\d+)</d:href>", listing.text)) == ["1700000000", "1700000100"]
        # The file keeps its id through all of it.
        again = requests.request("PROPFIND", url, auth=auth, headers={"Depth": "0"}, data=ID_PROPFIND)
        assert f"<oc:fileid>{file_id}</oc:fileid>" in again.text
