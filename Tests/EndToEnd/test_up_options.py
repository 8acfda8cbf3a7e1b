"""`cygnet up --public-url`: the address people type decides the issuer, and tokens carry it."""

from __future__ import annotations

import requests

from conftest import make_world
from cygnet_e2e import CygnetInstance, Provider, free_port, tokens_for, verify_id_token


def test_public_url_sets_the_issuer(tmp_path):
    port = free_port()
    public_url = f"http://localhost:{port}"
    instance = CygnetInstance(tmp_path / "state", port=port, public_url=public_url)
    try:
        output = instance.start()
        assert f"{public_url}/" in output, "the ready line should show the public address"
        provider = Provider.discover(f"{public_url}/auth")
        assert provider.discovery["issuer"] == f"{public_url}/auth"
        assert provider.discovery["authorization_endpoint"].startswith(f"{public_url}/auth/")
        # Still served on 127.0.0.1 (the default --host).
        assert requests.get(f"http://127.0.0.1:{port}/auth/healthz", timeout=10).status_code == 200

        world = make_world(instance, provider)
        tokens = tokens_for(provider, world.confidential, world.alice.username, world.alice.password, world.scope)
        claims = verify_id_token(provider, tokens["id_token"], world.confidential.client_id, tokens["_nonce"])
        assert claims["iss"] == f"{public_url}/auth"
    finally:
        instance.stop()
        instance.kill()
