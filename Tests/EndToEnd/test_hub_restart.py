"""Restarting the hub cuts nobody's kernel: with five sessions running, the hub process is stopped and
started again by `cygnet up`; afterwards every session is reachable through the proxy and its kernel still
holds what it computed before."""

from __future__ import annotations

import os
import secrets
import signal

from conftest import running_cygnet
from cygnet_e2e import wait_for
from hub_e2e import HubBrowser


def hub_pid(instance) -> int:
    for pid in instance.child_pids():
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            if b"cygnet-hub" in handle.read().split(b"\0")[0]:
                return pid
    raise AssertionError("no cygnet-hub process under cygnet up")


def test_hub_restart_keeps_five_sessions(tmp_path_factory):
    with running_cygnet(tmp_path_factory, "hub-restart") as instance:
        people = []
        for index in range(5):
            username = f"r{index}" + secrets.token_hex(3)
            password = secrets.token_urlsafe(12)
            instance.add_user(username, password)
            browser = HubBrowser(instance.base_url, username)
            browser.login(password)
            assert browser.submit_spawn().status_code == 303
            people.append(browser)
        kernels = {}
        for browser in people:
            assert browser.progress().ready
            browser.open_lab()
            kernel = browser.start_kernel()
            assert browser.execute(kernel, f"value = '{browser.username}'; print('ok')").strip() == "ok"
            kernels[browser.username] = kernel

        old = hub_pid(instance)
        os.kill(old, signal.SIGTERM)
        wait_for(lambda: old not in instance.child_pids(), 30, what="the hub to stop")
        new = wait_for(lambda: next((p for p in instance.child_pids() if p != old and _is_hub(p)), None), 60,
                       what="the hub to be started again")
        wait_for(lambda: instance.tail(5) and _hub_answers(instance), 60, what="the new hub to answer")
        assert new != old

        for browser in people:
            assert browser.execute(kernels[browser.username], "print(value)").strip() == browser.username
            model = browser.session.get(browser.url(f"/hub/api/users/{browser.username}"), timeout=30).json()
            assert model["servers"][""]["ready"] is True
        for browser in people:
            browser.stop()


def _is_hub(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"cygnet-hub" in handle.read().split(b"\0")[0]
    except OSError:
        return False


def _hub_answers(instance) -> bool:
    import requests

    try:
        return requests.get(f"{instance.base_url}/hub/api/", timeout=5).status_code == 200
    except requests.RequestException:
        return False
