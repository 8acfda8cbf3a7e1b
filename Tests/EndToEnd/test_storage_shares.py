"""Sharing a project: alice shares a folder read-only with bob, who can read it, cannot change it in any way,
and clones it into his own files with one COPY; a public link works only with its password and stops at its
expiry date. alice's files never change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import requests

from storage_e2e import running_storage

pytest_plugins = ["storage_e2e"]

SHARES_API = "/ocs/v2.php/apps/files_sharing/api/v1/shares"
OCS = {"OCS-APIREQUEST": "true"}


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def share(server, account, **fields) -> dict:
    response = requests.post(
        server.base_url + SHARES_API, params={"format": "json"}, data=fields, headers=OCS,
        auth=(account.username, account.password))
    assert response.status_code == 200, response.text
    return response.json()["ocs"]["data"]


def test_a_read_only_project_can_be_read_and_cloned_but_not_changed(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        bob = server.add_account("bob")
        project = server.space("alice") / "analysis"
        (project / "data").mkdir(parents=True)
        (project / "notebook.ipynb").write_text('{"cells": []}')
        (project / "data" / "events.csv").write_text("run,energy\n1,13.6\n")
        before = tree_digest(server.space("alice"))
        created = share(server, alice, path="/analysis", shareType="0", shareWith="bob", permissions="1")
        assert created["share_with"] == "bob" and created["permissions"] == 1

        received = requests.get(
            server.base_url + SHARES_API, params={"format": "json", "shared_with_me": "true"}, headers=OCS,
            auth=(bob.username, bob.password)).json()["ocs"]["data"]
        assert [item["path"] for item in received] == ["/analysis"]

        bob_auth = (bob.username, bob.password)
        shared = f"{server.base_url}/remote.php/dav/shares/bob/analysis/"
        listing = requests.request(
            "PROPFIND", shared, auth=bob_auth, headers={"Depth": "1"},
            data=b'<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:getetag/>'
            b"<oc:permissions/></d:prop></d:propfind>")
        assert listing.status_code == 207 and "notebook.ipynb" in listing.text and "data/" in listing.text
        assert "<oc:permissions>SG</oc:permissions>" in listing.text
        assert requests.get(shared + "data/events.csv", auth=bob_auth).text == "run,energy\n1,13.6\n"

        own = server.dav_url("bob")
        requests.put(own + "mine.txt", data=b"bob's", auth=bob_auth).raise_for_status()
        refused = {
            "PUT over a file": requests.put(shared + "notebook.ipynb", data=b"{}", auth=bob_auth),
            "PUT a new file": requests.put(shared + "new.txt", data=b"x", auth=bob_auth),
            "MKCOL": requests.request("MKCOL", shared + "folder", auth=bob_auth),
            "DELETE a file": requests.delete(shared + "data/events.csv", auth=bob_auth),
            "DELETE the project": requests.delete(shared, auth=bob_auth),
            "PROPPATCH": requests.request(
                "PROPPATCH", shared + "notebook.ipynb", auth=bob_auth,
                data=b'<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><x:a xmlns:x="urn:x">1</x:a></d:prop>'
                b"</d:set></d:propertyupdate>"),
            "MOVE out": requests.request(
                "MOVE", shared + "notebook.ipynb", auth=bob_auth, headers={"Destination": own + "taken.ipynb"}),
            "MOVE inside": requests.request(
                "MOVE", shared + "notebook.ipynb", auth=bob_auth, headers={"Destination": shared + "renamed.ipynb"}),
            "COPY into": requests.request(
                "COPY", own + "mine.txt", auth=bob_auth, headers={"Destination": shared + "mine.txt"}),
            "MOVE into": requests.request(
                "MOVE", own + "mine.txt", auth=bob_auth, headers={"Destination": shared + "mine.txt"}),
            "LOCK": requests.request(
                "LOCK", shared + "notebook.ipynb", auth=bob_auth,
                data=b'<d:lockinfo xmlns:d="DAV:"><d:lockscope><d:exclusive/></d:lockscope>'
                b"<d:locktype><d:write/></d:locktype></d:lockinfo>"),
        }
        for what, response in refused.items():
            assert response.status_code == 403, f"{what}: {response.status_code} {response.text[:200]}"
        # Someone else's files stay out of reach, shared or not.
        assert requests.get(server.dav_url("alice") + "analysis/notebook.ipynb", auth=bob_auth).status_code == 403

        clone = requests.request("COPY", shared, auth=bob_auth, headers={"Destination": own + "my-analysis"})
        assert clone.status_code == 201, clone.text
        requests.put(own + "my-analysis/notebook.ipynb", data=b'{"cells": ["mine"]}', auth=bob_auth).raise_for_status()
        assert (server.space("bob") / "my-analysis" / "data" / "events.csv").read_text() == "run,energy\n1,13.6\n"
        assert (server.space("bob") / "my-analysis" / "notebook.ipynb").read_text() == '{"cells": ["mine"]}'
        assert tree_digest(server.space("alice")) == before

        # alice ends the share: bob no longer sees it.
        requests.delete(
            f"{server.base_url}{SHARES_API}/{created['id']}", headers=OCS, auth=(alice.username, alice.password)
        ).raise_for_status()
        assert requests.request("PROPFIND", shared, auth=bob_auth, headers={"Depth": "0"}).status_code == 404


def test_a_public_link_needs_its_password_and_expires(tmp_path: Path):
    with running_storage(tmp_path / "server") as server:
        alice = server.add_account("alice")
        (server.space("alice") / "tutorial").mkdir()
        (server.space("alice") / "tutorial" / "README.md").write_text("# Welcome")
        link = share(server, alice, path="/tutorial", shareType="3", password="open sesame 42",
                     expireDate="2099-12-31")
        token = link["token"]
        assert link["url"].endswith("/s/" + token) and link["expiration"].startswith("2099-12-31")
        url = f"{server.base_url}/public.php/webdav/README.md"
        assert requests.get(url, auth=(token, "open sesame 42")).text == "# Welcome"
        assert requests.get(f"{server.base_url}/public.php/dav/files/{token}/README.md",
                            auth=("anyone", "open sesame 42")).text == "# Welcome"
        assert requests.get(url, auth=(token, "wrong")).status_code == 401
        assert requests.get(url).status_code == 401
        assert requests.put(url, data=b"defaced", auth=(token, "open sesame 42")).status_code == 403
        # A link reaches only its folder.
        escape = requests.get(f"{server.base_url}/remote.php/dav/files/alice/tutorial/README.md",
                              auth=(token, "open sesame 42"))
        assert escape.status_code == 401
        # In a browser: the password form, then the folder's files.
        page = requests.Session()
        form = page.get(link["url"].replace("http://127.0.0.1:8000", server.base_url))
        assert form.status_code == 200 and 'type="password"' in form.text and "README.md" not in form.text
        assert page.post(f"{server.base_url}/s/{token}", data={"password": "wrong"}).status_code == 403
        opened = page.post(f"{server.base_url}/s/{token}", data={"password": "open sesame 42"})
        assert opened.status_code == 200 and "README.md" in opened.text
        assert page.get(f"{server.base_url}/s/{token}/README.md").text == "# Welcome"
        assert requests.get(f"{server.base_url}/s/{token}/README.md").text != "# Welcome"
        # The expiry date passes: the link is gone.
        requests.put(f"{server.base_url}{SHARES_API}/{link['id']}", data={"expireDate": "2020-01-01"},
                     headers=OCS, auth=(alice.username, alice.password)).raise_for_status()
        assert requests.get(url, auth=(token, "open sesame 42")).status_code == 404
        assert page.get(f"{server.base_url}/s/{token}/README.md").status_code == 404
        assert (server.space("alice") / "tutorial" / "README.md").read_text() == "# Welcome"
