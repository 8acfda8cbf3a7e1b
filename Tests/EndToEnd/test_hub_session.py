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


def test_a_slow_start_keeps_the_progress_stream_alive(person):
    """While a start-up takes long, the progress stream sends a blank line every 8 s, as JupyterHub does."""
    answer = person.submit_spawn(startup_script="sleep 10\n")
    assert answer.status_code == 303
    lines = []
    with person.session.get(
        person.url(f"/hub/api/users/{person.username}/server/progress"), stream=True, timeout=120
    ) as stream:
        for line in stream.iter_lines(decode_unicode=True):
            lines.append(line)
            if '"ready": true' in line or '"failed": true' in line or '"ready":true' in line:
                break
    first_data = next(index for index, line in enumerate(lines) if line.startswith("data:"))
    script_done = next(index for index, line in enumerate(lines) if "Starting JupyterLab" in line)
    # Each event ends with a blank line; a keep-alive is a blank line of its own, so two in a row.
    waiting = lines[first_data:script_done]
    assert any(a == b == "" for a, b in zip(waiting, waiting[1:])), f"no keep-alive during the startup script: {waiting}"
    assert "ready" in lines[-1]
