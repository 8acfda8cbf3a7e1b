"""Bad input to the hub gets a clear answer and leaves nothing half-done: choices beyond the limits, a
startup script that fails, a server that dies while it starts, a user name that is no valid Unix name."""

from __future__ import annotations

import pwd
import secrets

import requests

from cygnet_e2e import Page
from hub_e2e import HubBrowser


def person(cygnet, username: str | None = None) -> HubBrowser:
    username = username or "b" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    cygnet.add_user(username, password)
    browser = HubBrowser(cygnet.base_url, username)
    browser.login(password)
    return browser


def assert_not_running(browser: HubBrowser):
    model = browser.session.get(browser.url(f"/hub/api/users/{browser.username}"), timeout=30).json()
    assert model["servers"] == {}, model
    assert model["pending"] is None


def test_choices_outside_the_limits_are_refused_with_reasons(cygnet):
    browser = person(cygnet)
    answer = browser.submit_spawn(cores=64, memory_mb=10**7, stack="no-such-stack")
    assert answer.status_code == 400
    text = Page.of(answer).text
    assert "Cores must be a whole number from 1 to" in text
    assert "Memory must be from 128 MB to" in text
    assert "no software stack called 'no-such-stack'" in text
    # The same through a launch link and through the REST API.
    link = browser.session.get(browser.url("/hub/spawn?cores=0"), timeout=30)
    assert link.status_code == 400 and "Cores must be" in Page.of(link).text
    token = browser.new_token()
    api = requests.post(
        browser.url(f"/hub/api/users/{browser.username}/server"),
        json={"user_options": {"memory_mb": "lots"}},
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert api.status_code == 400 and "Memory must be" in api.json()["message"]
    assert_not_running(browser)


def test_a_failing_startup_script_shows_its_output_and_starts_nothing(cygnet):
    browser = person(cygnet)
    progress = browser.start(startup_script="echo preparing the course files\necho 'it broke' >&2\nexit 3\n")
    assert progress.failed
    text = "\n".join(progress.messages)
    assert "preparing the course files" in text
    assert "it broke" in text
    assert "startup script failed" in text
    assert_not_running(browser)
    home = browser.session.get(browser.url("/hub/home"), timeout=30)
    assert "it broke" in home.text  # the home page keeps the reason until the next attempt


def test_a_server_that_dies_while_starting_is_reported(cygnet):
    browser = person(cygnet)
    # A configuration file that makes JupyterLab exit during start-up, written by the user's own script.
    script = "mkdir -p ~/.jupyter\necho 'raise SystemExit(\"configuration broken on purpose\")' > ~/.jupyter/jupyter_server_config.py\n"
    progress = browser.start(startup_script=script)
    assert progress.failed
    assert "stopped while starting" in progress.messages[-1]
    assert_not_running(browser)
    # Repair it and the next start works.
    fixed = browser.start(startup_script="rm -f ~/.jupyter/jupyter_server_config.py\n")
    assert fixed.ready, fixed.messages
    browser.stop()


def test_user_names_that_are_not_unix_names_are_mapped_safely(cygnet):
    browser = person(cygnet, "o.b-" + secrets.token_hex(2))
    progress = browser.start()
    assert progress.ready, progress.messages
    browser.open_lab()
    kernel = browser.start_kernel()
    account = browser.execute(kernel, "import getpass; print(getpass.getuser())").strip()
    assert account.startswith("jupyter-o-b-"), account
    assert "." not in account and len(account) <= 32
    assert pwd.getpwnam(account).pw_uid >= 1000
    browser.stop()
