"""Stopping and starting `cygnet up` on the same state directory keeps everything: keys (old ID
tokens still verify), refresh tokens, users, the administrator. Stopping is clean: exit 0 and
no child left behind, for SIGTERM and SIGINT alike."""

from __future__ import annotations

import signal

import requests

from conftest import make_world, running_cygnet
from cygnet_e2e import (
    PASSWORD_LINE,
    Provider,
    authorization_code,
    process_exists,
    process_name,
    tokens_for,
    verify_id_token,
)


def stop_cleanly(instance, sig):
    children = instance.child_pids()
    assert children, "cygnet up should run cygnet-auth as a child"
    assert any(process_name(pid).startswith("cygnet-auth") for pid in children), [process_name(p) for p in children]
    before = len(instance.output)
    assert instance.stop(sig) == 0, f"cygnet up exited with {instance.process.returncode} after {sig.name}"
    # A clean stop drains and exits by itself; a child that ignores the signal is killed when the
    # supervisor's grace period runs out, and cygnet up says so.
    said = "".join(instance.output[before:])
    assert "was killed" not in said, f"a child did not exit by itself after {sig.name}:\n{said}"
    leftovers = [pid for pid in children if process_exists(pid)]
    assert not leftovers, f"children still running after {sig.name}: {leftovers}"


def test_restart_keeps_keys_tokens_and_users(tmp_path_factory):
    with running_cygnet(tmp_path_factory, "restart") as instance:
        world = make_world(instance, Provider.discover(instance.issuer))
        admin_password = instance.first_run_password
        assert admin_password
        client, alice = world.confidential, world.alice
        before = tokens_for(world.provider, client, alice.username, alice.password, world.scope)
        jwks_before = world.provider.jwks()

        stop_cleanly(instance, signal.SIGTERM)
        second_output = instance.start()
        assert not PASSWORD_LINE.search(second_output), "the admin password must be shown only on the first run"
        provider = Provider.discover(instance.issuer)
        assert provider.discovery == world.provider.discovery

        # Same signing keys: the ID token from before the restart verifies against the new JWKS.
        assert {key["kid"] for key in jwks_before["keys"]} <= {key["kid"] for key in provider.jwks()["keys"]}
        claims = verify_id_token(provider, before["id_token"], client.client_id, before["_nonce"])
        assert claims["preferred_username"] == alice.username

        # The refresh token from before still works (and rotates).
        refreshed = provider.refresh(client, before["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        assert provider.userinfo(refreshed.json()["access_token"]).status_code == 200

        # Users, groups and clients survived: alice and the administrator log in.
        after = tokens_for(provider, client, alice.username, alice.password, world.scope)
        assert world.group in verify_id_token(provider, after["id_token"], client.client_id, after["_nonce"])["groups"]
        authorization_code(provider, client, requests.Session(), "admin", admin_password, world.scope)

        stop_cleanly(instance, signal.SIGINT)
