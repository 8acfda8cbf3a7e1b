"""Idle sessions are reclaimed: by the hub's own culler (and the user is told why on their next visit), and
by JupyterHub's own `jupyterhub-idle-culler` run as an external service against our REST API."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from conftest import running_cygnet
from cygnet_e2e import wait_for
from hub_e2e import HubBrowser


def person(instance) -> HubBrowser:
    username = "c" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    instance.add_user(username, password)
    browser = HubBrowser(instance.base_url, username)
    browser.login(password)
    return browser


def is_stopped(browser: HubBrowser) -> bool:
    model = browser.session.get(browser.url(f"/hub/api/users/{browser.username}"), timeout=30).json()
    return model["servers"] == {}


def test_the_hub_stops_idle_sessions_and_says_why(tmp_path_factory):
    settings = {"CYGNET_HUB_SESSIONS_IDLE_TIMEOUT": "10s", "CYGNET_HUB_SESSIONS_CULL_INTERVAL": "2s"}
    with running_cygnet(tmp_path_factory, "cull-builtin", env=settings) as instance:
        browser = person(instance)
        assert browser.start().ready
        wait_for(lambda: is_stopped(browser), 120, interval=1, what="the idle session to be stopped")
        visit = browser.session.get(browser.url(f"/user/{browser.username}/lab"), timeout=30)
        assert visit.status_code == 424
        assert "without activity" in visit.text


def test_jupyterhub_idle_culler_culls_through_our_api(tmp_path_factory):
    token = secrets.token_hex(24)
    with running_cygnet(tmp_path_factory, "cull-service") as instance:
        instance.stop()
        config = instance.state_dir / "cygnet.yaml"
        config.write_text(
            config.read_text()
            + "\nhub:\n  services:\n    idle-culler:\n"
            + f'      token: "{token}"\n'
            + '      scopes: ["list:users", "read:users:activity", "read:servers", "delete:servers"]\n'
        )
        instance.start()
        browser = person(instance)
        assert browser.start().ready
        culler = subprocess.Popen(
            [
                sys.executable, "-m", "jupyterhub_idle_culler",
                f"--url={instance.base_url}/hub/api", "--timeout=5", "--cull-every=2", "--concurrency=1",
            ],
            env=os.environ | {"JUPYTERHUB_API_TOKEN": token},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for(lambda: is_stopped(browser), 120, interval=1, what="jupyterhub-idle-culler to cull the session")
        finally:
            culler.terminate()
            output, _ = culler.communicate(timeout=30)
        assert f"Culling server {browser.username}" in output, output
