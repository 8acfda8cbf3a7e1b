"""The hub's main path, end to end through the real proxy: sign in through cygnet-auth, submit the session
form, follow the progress to `ready`, open JupyterLab, run `print(6*7)` on a kernel over its WebSocket, write a
file, stop the session, start it again and find the file."""

from __future__ import annotations

import secrets

import pytest

from hub_e2e import HubBrowser


@pytest.fixture
def person(cygnet):
    """A fresh account with a browser signed in to the hub."""
    username = "h" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    cygnet.add_user(username, password)
    browser = HubBrowser(cygnet.base_url, username)
    browser.login(password)
    yield browser
    try:
        browser.stop()
    except Exception:
        pass


def test_form_to_kernel_and_back(person):
    progress = person.start(cores=1, memory_mb=1024)
    assert progress.ready, f"the spawn did not finish: {progress.messages}"
    assert progress.events[0]["progress"] == 0
    assert progress.events[-1]["url"] == f"/user/{person.username}/"

    person.open_lab()
    kernel = person.start_kernel()
    assert person.execute(kernel, "print(6*7)").strip() == "42"

    person.write_file("kept.txt", "still here\n")
    person.stop()
    # The proxy no longer routes the session: its address leads to the hub's "not running" page.
    stopped = person.session.get(person.url(f"/user/{person.username}/lab"), timeout=30)
    assert stopped.status_code == 424
    assert "not running" in stopped.text

    again = person.start()
    assert again.ready, f"the second spawn did not finish: {again.messages}"
    person.open_lab()
    assert person.read_file("kept.txt") == "still here\n"


def test_every_reply_carries_the_jupyterhub_version(cygnet):
    import requests

    for path in ("/hub/api", "/hub/api/", "/hub/api/user", "/hub/api/users"):
        response = requests.get(cygnet.base_url + path, timeout=30)
        assert response.headers.get("X-JupyterHub-Version"), path
    assert requests.get(cygnet.base_url + "/hub/api/", timeout=30).json()["version"].startswith("6.")
