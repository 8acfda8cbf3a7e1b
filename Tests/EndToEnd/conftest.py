"""Fixtures for the end-to-end tests: one shared `cygnet up` for the session, and a way to start
private ones for tests that restart, kill or throttle the appliance."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
from dataclasses import dataclass

import pytest

from cygnet_e2e import (
    CONFIDENTIAL_LOGOUT_URI,
    CONFIDENTIAL_REDIRECT_URI,
    PUBLIC_REDIRECT_URI,
    Client,
    CygnetInstance,
    Provider,
)

# Everything here runs on http://127.0.0.1; authlib refuses plain HTTP unless told.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")


def _kill_every_instance():
    for instance in CygnetInstance.all_instances:
        instance.kill()


def _stop_on_sigterm(signum, frame):
    """`timeout` (in scripts/test) ends a hung run with SIGTERM: take every `cygnet up` along, since
    each runs in a process group of its own, then let pytest wind down as after Ctrl-C."""
    _kill_every_instance()
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _stop_on_sigterm)
atexit.register(_kill_every_instance)


@contextlib.contextmanager
def running_cygnet(tmp_path_factory, name: str, env: dict[str, str] | None = None):
    """A `cygnet up` on a free port with a state directory that does not exist yet.
    Stopped (and its process group killed, whatever happened) at the end."""
    instance = CygnetInstance(tmp_path_factory.mktemp(name) / "state", env=env)
    try:
        instance.start()
        yield instance
    finally:
        try:
            instance.stop()
        except TimeoutError:
            pass
        instance.kill()


@dataclass
class Account:
    username: str
    password: str
    name: str = ""
    email: str = ""


@dataclass
class World:
    """What the shared instance holds for the tests: a group, a user in it, two clients."""

    instance: CygnetInstance
    provider: Provider
    scope: str
    group: str
    alice: Account
    public: Client
    confidential: Client

    def new_user(self, username: str, password: str | None = None, groups=()) -> Account:
        account = Account(
            username=username,
            password=password or f"{username}-correct-horse",
            name=username.title(),
            email=f"{username}@example.test",
        )
        self.instance.add_user(account.username, account.password, account.name, account.email, groups=groups)
        return account


@pytest.fixture(scope="session")
def cygnet(tmp_path_factory):
    with running_cygnet(tmp_path_factory, "shared") as instance:
        yield instance


@pytest.fixture(scope="session")
def provider(cygnet) -> Provider:
    return Provider.discover(cygnet.issuer)


def make_world(instance: CygnetInstance, provider: Provider) -> World:
    scopes = provider.supported_scopes()
    group = "physics"
    instance.add_group(group)
    alice = Account("alice", "alice-correct-horse", "Alice Example", "alice@example.test")
    instance.add_user(alice.username, alice.password, alice.name, alice.email, groups=[group])
    public = instance.add_client("e2e-public", [PUBLIC_REDIRECT_URI], public=True, scopes=scopes)
    confidential = instance.add_client(
        "e2e-confidential",
        [CONFIDENTIAL_REDIRECT_URI],
        scopes=scopes,
        extra=["--post-logout-redirect-uri", CONFIDENTIAL_LOGOUT_URI],
    )
    return World(
        instance=instance,
        provider=provider,
        scope=" ".join(scopes),
        group=group,
        alice=alice,
        public=public,
        confidential=confidential,
    )


@pytest.fixture(scope="session")
def world(cygnet, provider) -> World:
    return make_world(cygnet, provider)


@pytest.fixture(scope="session")
def admin_client(cygnet) -> Client:
    """A confidential client allowed to get `cygnet:admin` with client_credentials."""
    return cygnet.add_client(
        "e2e-admin-service",
        ["http://localhost:8790/unused"],
        extra=["--allow-client-credentials", "--admin"],
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, show what each `cygnet up` printed last: the server's side of the story."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for instance in CygnetInstance.all_instances:
            if instance.output:
                report.sections.append(
                    (f"cygnet up ({instance.state_dir}, port {instance.port}), last lines", instance.tail(40))
                )
