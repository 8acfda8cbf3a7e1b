"""Storage inside the whole appliance: `cygnet up` serves it through the front door, and a person's session home
is their storage space — a file saved in JupyterLab is there over WebDAV, and a file uploaded over WebDAV opens
(and can be changed) in the session, whichever account wrote it."""

from __future__ import annotations

import re
import secrets

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from cygnet_e2e import is_redirect, login
from hub_e2e import HubBrowser


def test_session_home_and_webdav_are_the_same_files(cygnet):
    username = "s" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    cygnet.add_user(username, password)
    made = cygnet.cli("users", "app-password", "add", username, "--label", "laptop").stdout
    app_password = re.search(r"^\s{4}(\S+)\s*$", made, re.MULTILINE).group(1)
    auth = (username, app_password)

    status = requests.get(cygnet.base_url + "/status.php", timeout=30).json()
    assert status["installed"] is True and status["productname"] == "Cygnet"
    dav = f"{cygnet.base_url}/remote.php/dav/files/{username}/"
    upload = requests.put(dav + "from-laptop.txt", data=b"written by the sync client\n", auth=auth, timeout=30)
    assert upload.status_code == 201, upload.text

    browser = HubBrowser(cygnet.base_url, username)
    browser.login(password)
    try:
        progress = browser.start(cores=1, memory_mb=1024)
        assert progress.ready, f"the session did not start: {progress.messages}"
        browser.open_lab()
        assert browser.read_file("from-laptop.txt") == "written by the sync client\n"
        # The session (its own Unix account when Cygnet runs as root) may change what came over WebDAV.
        kernel = browser.start_kernel()
        changed = browser.execute(
            kernel, "open('from-laptop.txt', 'a').write('and by the session\\n'); print('ok')")
        assert changed.strip() == "ok"
        browser.write_file("from-lab.txt", "saved in JupyterLab\n")
    finally:
        browser.stop()

    assert requests.get(dav + "from-lab.txt", auth=auth, timeout=30).text == "saved in JupyterLab\n"
    assert requests.get(dav + "from-laptop.txt", auth=auth, timeout=30).text == (
        "written by the sync client\nand by the session\n")
    listing = requests.request("PROPFIND", dav, auth=auth, headers={"Depth": "1"}, timeout=30)
    assert listing.status_code == 207 and "from-lab.txt" in listing.text
    # Another person's app password does not open these files.
    other = "o" + secrets.token_hex(4)
    cygnet.add_user(other, secrets.token_urlsafe(12))
    other_made = cygnet.cli("users", "app-password", "add", other).stdout
    other_password = re.search(r"^\s{4}(\S+)\s*$", other_made, re.MULTILINE).group(1)
    assert requests.get(dav + "from-lab.txt", auth=(other, other_password), timeout=30).status_code == 403


def app_password(cygnet, username: str) -> str:
    made = cygnet.cli("users", "app-password", "add", username).stdout
    return re.search(r"^\s{4}(\S+)\s*$", made, re.MULTILINE).group(1)


def test_a_project_shared_with_a_class_reaches_its_members(cygnet):
    """Group membership lives in cygnet-auth; storage asks for it, so a member syncing with an app password
    (which names no groups) sees a share made to their class, and someone outside the class does not."""
    group = "g" + secrets.token_hex(3)
    cygnet.add_group(group)
    teacher, pupil, outsider = ("t" + secrets.token_hex(3), "p" + secrets.token_hex(3), "x" + secrets.token_hex(3))
    cygnet.add_user(teacher, secrets.token_urlsafe(12))
    cygnet.add_user(pupil, secrets.token_urlsafe(12), groups=[group])
    cygnet.add_user(outsider, secrets.token_urlsafe(12))
    teacher_auth = (teacher, app_password(cygnet, teacher))
    dav = f"{cygnet.base_url}/remote.php/dav/files/{teacher}/"
    requests.request("MKCOL", dav + "week1", auth=teacher_auth, timeout=30).raise_for_status()
    requests.put(dav + "week1/exercise.ipynb", data=b"{}", auth=teacher_auth, timeout=30).raise_for_status()
    shared = requests.post(
        f"{cygnet.base_url}/ocs/v2.php/apps/files_sharing/api/v1/shares", params={"format": "json"},
        data={"path": "/week1", "shareType": "1", "shareWith": group, "permissions": "1"},
        headers={"OCS-APIREQUEST": "true"}, auth=teacher_auth, timeout=30)
    assert shared.status_code == 200, shared.text

    pupil_auth = (pupil, app_password(cygnet, pupil))
    exercise = f"{cygnet.base_url}/remote.php/dav/shares/{pupil}/week1/exercise.ipynb"
    assert requests.get(exercise, auth=pupil_auth, timeout=30).text == "{}"
    outsider_auth = (outsider, app_password(cygnet, outsider))
    listing = requests.request(
        "PROPFIND", f"{cygnet.base_url}/remote.php/dav/shares/{outsider}/", auth=outsider_auth,
        headers={"Depth": "1"}, timeout=30)
    assert listing.status_code == 207 and "week1" not in listing.text


def test_an_access_token_from_cygnet_auth_opens_the_files(world):
    """A program that signed a person in through cygnet-auth (authorization code + PKCE, with authlib) reaches
    that person's files with the access token as a bearer token — and no one else's, and not with a forged one."""
    provider, alice = world.provider, world.alice
    client = world.public
    session = OAuth2Session(client.client_id, scope=world.scope, redirect_uri=client.redirect_uri,
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = generate_token(64)
    url, state = session.create_authorization_url(provider.authorization_endpoint, code_verifier=verifier)
    response = login(requests.Session(), url, alice.username, alice.password)
    assert is_redirect(response), f"login did not redirect: {response.status_code}"
    token = session.fetch_token(provider.token_endpoint, authorization_response=response.headers["Location"],
                                code_verifier=verifier, state=state)
    bearer = {"Authorization": "Bearer " + token["access_token"]}

    base = world.instance.base_url
    dav = f"{base}/remote.php/dav/files/{alice.username}/"
    put = requests.put(dav + "from-a-token.txt", data=b"hello", headers=bearer, timeout=30)
    assert put.status_code in (201, 204), put.text
    listing = requests.request("PROPFIND", dav, headers={**bearer, "Depth": "1"}, timeout=30)
    assert listing.status_code == 207 and "from-a-token.txt" in listing.text

    other = world.new_user("t" + secrets.token_hex(4))
    elsewhere = requests.request("PROPFIND", f"{base}/remote.php/dav/files/{other.username}/",
                                 headers={**bearer, "Depth": "0"}, timeout=30)
    assert elsewhere.status_code == 403
    header, payload, signature = token["access_token"].split(".")
    forged = header + "." + payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    refused = requests.request("PROPFIND", dav, headers={"Authorization": "Bearer " + forged, "Depth": "0"},
                               timeout=30)
    assert refused.status_code == 401
