"""Password guessing against one account is slowed down without locking out everyone else who
logs in from the same address (a classroom behind one NAT address). Runs on an instance of
its own so the failures counted here do not leak into other tests."""

from __future__ import annotations

import re

import pytest
import requests

from conftest import make_world, running_cygnet
from cygnet_e2e import Page, Provider, authorization_code, is_redirect, login, pkce_pair

WRONG_ATTEMPTS = 50
THROTTLE_MESSAGE = re.compile(r"(?i)too many (?:\w+ )*attempts.*?try again in (\d+)\s*(?:s\b|sec|second)")


@pytest.fixture(scope="module")
def throttled_world(tmp_path_factory):
    with running_cygnet(tmp_path_factory, "throttle") as instance:
        yield make_world(instance, Provider.discover(instance.issuer))


def fresh_authorize_url(world) -> str:
    _, challenge = pkce_pair()
    return world.provider.authorize_url(
        world.public, scope=world.scope, state="s", code_challenge=challenge, code_challenge_method="S256"
    )


def test_many_wrong_passwords_throttle_only_that_account(throttled_world):
    world = throttled_world
    victim = world.new_user("victim")
    bystander = world.new_user("bystander")

    throttled_pages = 0
    for attempt in range(WRONG_ATTEMPTS):
        response = login(requests.Session(), fresh_authorize_url(world), victim.username, f"guess-{attempt}")
        assert not is_redirect(response), f"wrong password number {attempt + 1} was accepted"
        if THROTTLE_MESSAGE.search(Page.of(response).text):
            throttled_pages += 1
    assert throttled_pages > 0, "50 wrong passwords never produced a 'too many attempts' message"

    # Someone else, same address, right password: still gets in.
    authorization_code(
        world.provider, world.public, requests.Session(), bystander.username, bystander.password, world.scope
    )

    # The throttled account, even with the right password, is told to wait, with a number.
    response = login(requests.Session(), fresh_authorize_url(world), victim.username, victim.password)
    assert not is_redirect(response), "a throttled account logged in"
    text = Page.of(response).text
    match = THROTTLE_MESSAGE.search(text)
    assert match, f"no 'too many attempts, try again in N s' message: {text[:500]}"
    assert int(match.group(1)) > 0
