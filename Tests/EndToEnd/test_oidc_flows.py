"""The happy paths of OpenID Connect, driven by a real client library (authlib) and a scripted
login through the HTML page: discovery, code flow with PKCE for a public and a confidential
client, ID token checks against the JWKS, userinfo, refresh, revocation, introspection,
single sign-on and logout."""

from __future__ import annotations

import time

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from cygnet_e2e import (
    ADMIN_USERNAME_LINE,
    CONFIDENTIAL_LOGOUT_URI,
    SIGNING_ALGORITHMS,
    PASSWORD_LINE,
    Page,
    authorization_code,
    is_redirect,
    login,
    query_of,
    tokens_for,
    verify_id_token,
    verify_signature,
    without_query,
)


def oauth_session(world, client, **kwargs) -> OAuth2Session:
    if client.is_public:
        return OAuth2Session(
            client.client_id,
            scope=world.scope,
            redirect_uri=client.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
            revocation_endpoint_auth_method="none",
            **kwargs,
        )
    return OAuth2Session(
        client.client_id,
        client.client_secret,
        scope=world.scope,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
        revocation_endpoint_auth_method="client_secret_basic",
        **kwargs,
    )


def test_discovery_names_the_contract_endpoints(world):
    provider = world.provider
    document = provider.discovery
    issuer = world.instance.issuer
    assert document["issuer"] == issuer
    assert document["authorization_endpoint"] == f"{issuer}/authorize"
    assert document["token_endpoint"] == f"{issuer}/token"
    assert document["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert document["jwks_uri"] == f"{issuer}/jwks"
    assert document.get("revocation_endpoint") == f"{issuer}/revoke"
    assert document.get("introspection_endpoint") == f"{issuer}/introspect"
    assert document.get("end_session_endpoint") == f"{issuer}/logout"
    assert "code" in document["response_types_supported"]
    assert "S256" in document.get("code_challenge_methods_supported", ["S256"])
    assert "plain" not in document.get("code_challenge_methods_supported", [])
    assert set(document["id_token_signing_alg_values_supported"]) & set(SIGNING_ALGORITHMS)
    keys = provider.jwks()["keys"]
    assert keys and all("kid" in key and "d" not in key for key in keys), "JWKS must hold public keys with kids"


def test_health_and_metrics(cygnet):
    assert requests.get(f"{cygnet.issuer}/healthz", timeout=10).status_code == 200
    metrics = requests.get(f"{cygnet.issuer}/metrics", timeout=10)
    assert metrics.status_code == 200
    assert "# TYPE" in metrics.text, "metrics are not in the Prometheus text format"


@pytest.mark.parametrize("kind", ["public", "confidential"])
def test_code_flow_with_pkce_refresh_and_revoke(world, kind):
    provider, alice = world.provider, world.alice
    client = world.public if kind == "public" else world.confidential
    session = oauth_session(world, client)

    verifier, nonce = generate_token(64), generate_token(20)
    url, state = session.create_authorization_url(provider.authorization_endpoint, code_verifier=verifier, nonce=nonce)
    assert "code_challenge_method=S256" in url
    response = login(requests.Session(), url, alice.username, alice.password)
    assert is_redirect(response), f"login did not redirect: {response.status_code} {Page.of(response).text[:300]}"
    location = response.headers["Location"]
    assert without_query(location) == client.redirect_uri
    assert query_of(location)["state"] == state

    token = session.fetch_token(
        provider.token_endpoint, authorization_response=location, code_verifier=verifier, state=state
    )
    assert token["token_type"].lower() == "bearer"
    assert token.get("refresh_token"), "no refresh token was issued"

    claims = verify_id_token(provider, token["id_token"], client.client_id, nonce)
    assert claims["preferred_username"] == alice.username
    assert claims["name"] == alice.name
    assert claims["email"] == alice.email
    assert world.group in claims["groups"]
    assert claims["exp"] > time.time()

    # The access token is a JWT signed with the same keys.
    access_claims = verify_signature(provider, token["access_token"])
    assert access_claims["iss"] == provider.issuer
    assert access_claims["sub"] == claims["sub"]

    userinfo = session.get(provider.userinfo_endpoint)
    assert userinfo.status_code == 200, userinfo.text
    info = userinfo.json()
    assert info["sub"] == claims["sub"]
    assert info["preferred_username"] == alice.username
    assert world.group in info["groups"]

    refreshed = session.refresh_token(provider.token_endpoint, refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] and refreshed["refresh_token"] != token["refresh_token"], "refresh tokens rotate"
    if not client.is_public:
        assert provider.introspect(client, refreshed["refresh_token"])["active"] is True

    revoked = session.revoke_token(
        provider.revocation_endpoint, token=refreshed["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200, revoked.text

    with pytest.raises(OAuthError) as refused:
        session.refresh_token(provider.token_endpoint, refresh_token=refreshed["refresh_token"])
    assert refused.value.error == "invalid_grant"
    # Introspection needs an authenticated client; the confidential one asks for both kinds.
    assert provider.introspect(world.confidential, refreshed["refresh_token"])["active"] is False


def test_confidential_client_may_skip_pkce(world):
    tokens = tokens_for(
        world.provider, world.confidential, world.alice.username, world.alice.password, world.scope, use_pkce=False
    )
    assert tokens["access_token"] and tokens["id_token"]
    assert world.provider.introspect(world.confidential, tokens["access_token"])["active"] is True


def test_introspection_describes_an_active_access_token(world):
    provider, client = world.provider, world.confidential
    tokens = tokens_for(provider, client, world.alice.username, world.alice.password, world.scope)
    answer = provider.introspect(client, tokens["access_token"])
    assert answer["active"] is True
    assert answer.get("client_id") == client.client_id
    assert answer.get("username", world.alice.username) == world.alice.username
    assert answer["exp"] > time.time()


def test_introspection_requires_client_authentication(world):
    tokens = tokens_for(world.provider, world.confidential, world.alice.username, world.alice.password, world.scope)
    response = requests.post(world.provider.introspection_endpoint, data={"token": tokens["access_token"]}, timeout=10)
    assert response.status_code == 401, response.text


def test_refresh_token_replay_revokes_the_whole_family(world):
    provider, client = world.provider, world.confidential
    first = tokens_for(provider, client, world.alice.username, world.alice.password, world.scope)
    second = provider.refresh(client, first["refresh_token"])
    assert second.status_code == 200, second.text
    newer = second.json()["refresh_token"]

    replay = provider.refresh(client, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert "access_token" not in replay.json()

    after = provider.refresh(client, newer)
    assert after.status_code == 400, "the newer refresh token of a replayed family must be revoked too"
    assert after.json()["error"] == "invalid_grant"
    assert provider.introspect(client, newer)["active"] is False


def test_single_sign_on_skips_the_password_the_second_time(world):
    provider, client = world.provider, world.confidential
    browser = requests.Session()
    authorization_code(provider, client, browser, world.alice.username, world.alice.password, world.scope)
    again = browser.get(
        provider.authorize_url(client, scope=world.scope, state="second", nonce="n2"), allow_redirects=False, timeout=30
    )
    assert is_redirect(again), "a browser with a login session should get a code without the login page"
    assert query_of(again.headers["Location"]).get("code")


def test_rp_initiated_logout_ends_the_login_session(world):
    provider, client = world.provider, world.confidential
    browser = requests.Session()
    flow = authorization_code(provider, client, browser, world.alice.username, world.alice.password, world.scope)
    tokens = provider.exchange_code(client, flow.code, flow.verifier).json()

    logout = browser.get(
        provider.end_session_endpoint,
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": CONFIDENTIAL_LOGOUT_URI,
            "state": "bye",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert is_redirect(logout), f"logout answered {logout.status_code}: {Page.of(logout).text[:300]}"
    assert without_query(logout.headers["Location"]) == CONFIDENTIAL_LOGOUT_URI
    assert query_of(logout.headers["Location"]).get("state") == "bye"

    again = browser.get(
        provider.authorize_url(client, scope=world.scope, state="s", nonce="n"), allow_redirects=False, timeout=30
    )
    assert again.status_code == 200 and Page.of(again).login_form(), "after logout the login page must show again"


def test_logout_refuses_an_unregistered_post_logout_redirect(world):
    provider, client = world.provider, world.confidential
    tokens = tokens_for(provider, client, world.alice.username, world.alice.password, world.scope)
    response = requests.get(
        provider.end_session_endpoint,
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://evil.test/", "state": "x"},
        allow_redirects=False,
        timeout=10,
    )
    assert not (is_redirect(response) and "evil.test" in response.headers["Location"])


def test_administrator_from_first_start_can_log_in(world):
    password = world.instance.first_run_password
    assert password, "cygnet up printed no 'password:' line on its first run"
    tokens = tokens_for(world.provider, world.confidential, "admin", password, world.scope)
    claims = verify_id_token(world.provider, tokens["id_token"], world.confidential.client_id, tokens["_nonce"])
    assert claims["preferred_username"] == "admin"


def test_first_start_printed_the_admin_login_and_the_url(cygnet):
    output = cygnet.last_run_output if cygnet.runs == 1 else ""
    assert ADMIN_USERNAME_LINE.search(output)
    assert PASSWORD_LINE.search(output)
    assert any(f"http://127.0.0.1:{cygnet.port}/" in line for line in output.splitlines()), output
    assert (cygnet.state_dir / "cygnet.yaml").is_file()
