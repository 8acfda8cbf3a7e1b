"""A delete through WebDAV can be undone: the file waits in the trash (Nextcloud's trashbin API) and comes
back where it was, also when its folder was deleted too; emptying the trash deletes for good."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from storage_e2e import running_storage

pytest_plugins = ["storage_e2e"]


def trash_names(server, auth) -> list[str]:
    listing = requests.request(
        "PROPFIND", f"{server.base_url}/remote.php/dav/trashbin/alice/trash/", auth=auth, headers={"Depth": "1"})
    assert listing.status_code == 207, listing.text
    return re.findall(r"/trash/([^<]+?)/?</d:href>", listing.text)


def test_deleted_files_can_be_restored(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        auth = (alice.username, alice.password)
        url = server.dav_url("alice")
        requests.request("MKCOL", url + "thesis", auth=auth).raise_for_status()
        requests.put(url + "thesis/chapter1.tex", data=b"\\chapter{One}", auth=auth).raise_for_status()
        assert requests.delete(url + "thesis", auth=auth).status_code == 204
        assert not (server.space("alice") / "thesis").exists()
        names = trash_names(server, auth)
        assert len(names) == 1 and names[0].startswith("thesis.d")
        restore = requests.request(
            "MOVE", f"{server.base_url}/remote.php/dav/trashbin/alice/trash/{names[0]}", auth=auth,
            headers={"Destination": f"{server.base_url}/remote.php/dav/trashbin/alice/restore/thesis"})
        assert restore.status_code == 201, restore.text
        assert (server.space("alice") / "thesis" / "chapter1.tex").read_bytes() == b"\\chapter{One}"
        assert trash_names(server, auth) == []

        requests.delete(url + "thesis/chapter1.tex", auth=auth).raise_for_status()
        assert len(trash_names(server, auth)) == 1
        emptied = requests.delete(f"{server.base_url}/remote.php/dav/trashbin/alice/trash/", auth=auth)
        assert emptied.status_code == 204 and trash_names(server, auth) == []
        # Someone else's trash is not reachable.
        bob = server.add_account("bob")
        other = requests.request(
            "PROPFIND", f"{server.base_url}/remote.php/dav/trashbin/alice/trash/", auth=(bob.username, bob.password))
        assert other.status_code == 404
