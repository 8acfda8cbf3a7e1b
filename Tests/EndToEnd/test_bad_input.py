"""Bad input, each checked for the right error AND for nothing having changed: no redirect to a
place that was not registered, no tokens for a broken exchange, no user imported from a broken
roster, earlier tokens revoked when a code is replayed."""

from __future__ import annotations

import re
import select
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from cygnet_e2e import (
    PUBLIC_REDIRECT_URI,
    Client,
    Page,
    authorization_code,
    is_redirect,
    login,
    pkce_pair,
    query_of,
    roster_csv,
    tokens_for,
    with_alg_none,
    with_changed_claims,
    with_flipped_signature,
    without_query,
)

NEAR_MISSES = {
    "unregistered": "http://localhost:9999/elsewhere",
    "trailing slash": PUBLIC_REDIRECT_URI + "/",
    "different port": PUBLIC_REDIRECT_URI.replace(":8765", ":8799"),
    "extra path": PUBLIC_REDIRECT_URI + "/more",
    "host in upper case": PUBLIC_REDIRECT_URI.replace("localhost", "LOCALHOST"),
    "extra query": PUBLIC_REDIRECT_URI + "?next=/admin",
    "https instead of http": PUBLIC_REDIRECT_URI.replace("http://", "https://"),
    "user-info trick": "http://localhost:8765@evil.test/callback",
    "fragment": PUBLIC_REDIRECT_URI + "#x",
}


def assert_error_page_without_redirect(response: requests.Response):
    assert response.status_code == 400, f"expected 400, got {response.status_code}"
    assert "Location" not in response.headers, f"redirected to {response.headers['Location']}"
    assert Page.of(response).login_form() is None, "an error page must not offer to log in"


def assert_error_redirect(response: requests.Response, client: Client, error: str, state: str):
    assert is_redirect(response), f"expected an error redirect, got {response.status_code}"
    location = response.headers["Location"]
    assert without_query(location) == client.redirect_uri
    parameters = query_of(location)
    assert parameters.get("error") == error, parameters
    assert parameters.get("state") == state
    assert "code" not in parameters


def oauth_error(response: requests.Response) -> str:
    try:
        return response.json().get("error", "")
    except ValueError:
        return ""


# -- the authorization endpoint -------------------------------------------------------------------


@pytest.mark.parametrize("redirect_uri", NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_near_miss_redirect_uri_gets_an_error_page_never_a_redirect(world, redirect_uri):
    verifier, challenge = pkce_pair()
    client = Client(world.public.client_id, None, [redirect_uri])
    url = world.provider.authorize_url(
        client, scope=world.scope, state="s", code_challenge=challenge, code_challenge_method="S256"
    )
    assert_error_page_without_redirect(requests.get(url, allow_redirects=False, timeout=10))


def test_near_miss_redirect_uri_is_refused_on_the_login_post_too(world):
    """A form fetched with the right redirect URI, posted back with a changed one, must not redirect."""
    browser = requests.Session()
    _, challenge = pkce_pair()
    url = world.provider.authorize_url(
        world.public, scope=world.scope, state="s", code_challenge=challenge, code_challenge_method="S256"
    )
    page = browser.get(url, timeout=10)
    form = Page.of(page).login_form()
    assert form is not None
    data = form.hidden_fields()
    if "redirect_uri" not in data:
        pytest.skip("the login form does not carry redirect_uri in a hidden field")
    data.update(redirect_uri=NEAR_MISSES["extra path"], username=world.alice.username, password=world.alice.password)
    action = requests.compat.urljoin(page.url, form.action) if form.action else page.url
    response = browser.post(action, data=data, allow_redirects=False, timeout=30)
    assert not (is_redirect(response) and response.headers["Location"].startswith(NEAR_MISSES["extra path"]))


def test_unknown_client_gets_an_error_page(world):
    client = Client("no-such-client", None, [PUBLIC_REDIRECT_URI])
    _, challenge = pkce_pair()
    url = world.provider.authorize_url(
        client, scope=world.scope, state="s", code_challenge=challenge, code_challenge_method="S256"
    )
    assert_error_page_without_redirect(requests.get(url, allow_redirects=False, timeout=10))


def test_public_client_without_pkce_gets_invalid_request(world):
    url = world.provider.authorize_url(world.public, scope=world.scope, state="no-pkce")
    assert_error_redirect(
        requests.get(url, allow_redirects=False, timeout=10), world.public, "invalid_request", "no-pkce"
    )


@pytest.mark.parametrize("kind", ["public", "confidential"])
def test_plain_pkce_method_is_refused(world, kind):
    client = world.public if kind == "public" else world.confidential
    url = world.provider.authorize_url(
        client, scope=world.scope, state="plain", code_challenge="a" * 43, code_challenge_method="plain"
    )
    assert_error_redirect(requests.get(url, allow_redirects=False, timeout=10), client, "invalid_request", "plain")


def test_unsupported_response_type_is_reported_to_the_client(world):
    _, challenge = pkce_pair()
    url = world.provider.authorize_url(
        world.public,
        scope=world.scope,
        state="rt",
        code_challenge=challenge,
        code_challenge_method="S256",
        response_type="token",
    )
    assert_error_redirect(
        requests.get(url, allow_redirects=False, timeout=10), world.public, "unsupported_response_type", "rt"
    )


def test_wrong_password_shows_the_page_again_with_an_error(world):
    user = world.new_user("wrongpass")
    _, challenge = pkce_pair()
    url = world.provider.authorize_url(
        world.public, scope=world.scope, state="s", code_challenge=challenge, code_challenge_method="S256"
    )
    browser = requests.Session()
    fresh = Page.of(browser.get(url, timeout=10))
    response = login(browser, url, user.username, "not-the-password")
    assert response.status_code in (200, 401), response.status_code
    assert "Location" not in response.headers
    page = Page.of(response)
    assert page.login_form() is not None, "the login form should be offered again"
    # A visible message that the fresh login page did not have.
    assert len(page.text) > len(fresh.text) and page.text != fresh.text, page.text[:500]
    # One mistake does not lock anyone out.
    authorization_code(world.provider, world.public, requests.Session(), user.username, user.password, world.scope)


# -- the token endpoint ---------------------------------------------------------------------------


def test_missing_code_verifier_is_refused(world):
    flow = authorization_code(
        world.provider, world.confidential, requests.Session(), world.alice.username, world.alice.password, world.scope
    )
    response = world.provider.exchange_code(world.confidential, flow.code, verifier=None)
    assert response.status_code == 400, response.text
    assert oauth_error(response) in ("invalid_grant", "invalid_request"), response.text
    assert "access_token" not in response.json()


@pytest.mark.parametrize("kind", ["public", "confidential"])
def test_wrong_code_verifier_is_refused(world, kind):
    client = world.public if kind == "public" else world.confidential
    flow = authorization_code(
        world.provider, client, requests.Session(), world.alice.username, world.alice.password, world.scope
    )
    wrong_verifier, _ = pkce_pair()
    response = world.provider.exchange_code(client, flow.code, wrong_verifier)
    assert response.status_code == 400, response.text
    assert oauth_error(response) == "invalid_grant"
    assert "access_token" not in response.json()


def test_reused_code_is_refused_and_revokes_the_first_tokens(world):
    provider, client = world.provider, world.confidential
    flow = authorization_code(
        provider, client, requests.Session(), world.alice.username, world.alice.password, world.scope
    )
    first = provider.exchange_code(client, flow.code, flow.verifier)
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert provider.userinfo(tokens["access_token"]).status_code == 200

    second = provider.exchange_code(client, flow.code, flow.verifier)
    assert second.status_code == 400
    assert oauth_error(second) == "invalid_grant"
    assert "access_token" not in second.json()

    assert provider.introspect(client, tokens["access_token"])["active"] is False
    assert provider.userinfo(tokens["access_token"]).status_code == 401
    refreshed = provider.refresh(client, tokens["refresh_token"])
    assert refreshed.status_code == 400 and oauth_error(refreshed) == "invalid_grant"


def test_code_is_bound_to_its_client_and_redirect_uri(world):
    provider = world.provider
    flow = authorization_code(
        provider, world.public, requests.Session(), world.alice.username, world.alice.password, world.scope
    )
    stolen = provider.exchange_code(world.confidential, flow.code, flow.verifier)
    assert stolen.status_code == 400 and oauth_error(stolen) == "invalid_grant"

    flow = authorization_code(
        provider, world.public, requests.Session(), world.alice.username, world.alice.password, world.scope
    )
    moved = provider.token(
        world.public,
        grant_type="authorization_code",
        code=flow.code,
        redirect_uri=PUBLIC_REDIRECT_URI + "/",
        code_verifier=flow.verifier,
    )
    assert moved.status_code == 400 and oauth_error(moved) == "invalid_grant"


# An expired authorization code is tested in Swift (AuthorizationCodeFlowTests.expiredCodeIsRefused), which
# moves the expiry instead of waiting a minute.


def test_unknown_client_and_wrong_secret_are_invalid_client(world):
    provider = world.provider
    for auth in [("no-such-client", "secret"), (world.confidential.client_id, "wrong-secret")]:
        response = requests.post(
            provider.token_endpoint,
            data={"grant_type": "refresh_token", "refresh_token": "x"},
            auth=auth,
            timeout=10,
        )
        assert response.status_code == 401, response.text
        assert oauth_error(response) == "invalid_client"


def test_unsupported_grant_type(world):
    response = world.provider.token(world.confidential, grant_type="password", username="alice", password="x")
    assert response.status_code == 400
    assert oauth_error(response) == "unsupported_grant_type"


def post_oversized(url: str, size: int, timeout: float = 30.0) -> int:
    """Posts a form body of `size` bytes over a raw socket and returns the HTTP status. Reads while it
    writes, so an answer sent before the body is complete (as it should be) is seen even when the
    server stops reading or closes the connection."""
    parts = urlsplit(url)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
    ).encode()
    pending = head + b"grant_type=client_credentials&padding="
    remaining_body = size - (len(pending) - len(head))
    answer = b""
    deadline = time.monotonic() + timeout
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as connection:
        connection.setblocking(False)
        while b"\r\n" not in answer and time.monotonic() < deadline:
            want_write = [connection] if pending or remaining_body > 0 else []
            readable, writable, _ = select.select([connection], want_write, [], 0.5)
            if readable:
                try:
                    chunk = connection.recv(65536)
                except (ConnectionResetError, BlockingIOError):
                    chunk = b""
                if not chunk:
                    break
                answer += chunk
            elif writable:
                if not pending:
                    piece = min(65536, remaining_body)
                    pending, remaining_body = b"a" * piece, remaining_body - piece
                try:
                    pending = pending[connection.send(pending) :]
                except (BrokenPipeError, ConnectionResetError):
                    pending, remaining_body = b"", 0
                except BlockingIOError:
                    pass
    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    assert status_line.startswith("HTTP/1."), (
        f"no HTTP answer within {timeout:.0f} s "
        f"(got {answer[:100]!r}; {size - remaining_body} of {size} body bytes sent)"
    )
    return int(status_line.split()[1])


def test_oversized_token_request_is_413(world):
    assert post_oversized(world.provider.token_endpoint, 4 * 1024 * 1024) == 413
    # The server is still fine afterwards.
    assert requests.get(f"{world.instance.issuer}/healthz", timeout=10).status_code == 200


# -- forged tokens --------------------------------------------------------------------------------

FORGERIES = {
    "alg none": with_alg_none,
    "flipped signature": with_flipped_signature,
    "admin scope added": lambda token: with_changed_claims(token, scope="openid cygnet:admin"),
    "subject changed": lambda token: with_changed_claims(token, sub="someone-else"),
}


@pytest.fixture(scope="module")
def alice_tokens(world):
    return tokens_for(world.provider, world.confidential, world.alice.username, world.alice.password, world.scope)


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_jwt_is_refused_everywhere(world, alice_tokens, forge):
    provider = world.provider
    assert provider.userinfo(alice_tokens["access_token"]).status_code == 200, "the genuine token works"
    forged = forge(alice_tokens["access_token"])

    assert provider.userinfo(forged).status_code == 401
    assert provider.introspect(world.confidential, forged)["active"] is False
    admin = requests.get(
        f"{world.instance.issuer}/admin/users", headers={"Authorization": f"Bearer {forged}"}, timeout=10
    )
    assert admin.status_code == 401, admin.status_code


@pytest.mark.parametrize("forge", [with_alg_none, with_flipped_signature], ids=["alg none", "flipped signature"])
def test_forged_admin_token_is_refused(world, admin_client, forge):
    response = world.provider.token(admin_client, grant_type="client_credentials", scope="cygnet:admin")
    assert response.status_code == 200, response.text
    forged = forge(response.json()["access_token"])
    admin = requests.get(
        f"{world.instance.issuer}/admin/users", headers={"Authorization": f"Bearer {forged}"}, timeout=10
    )
    assert admin.status_code == 401


# -- the roster import ----------------------------------------------------------------------------


def test_malformed_roster_imports_nothing_and_names_every_bad_line(world, tmp_path):
    instance = world.instance
    before = instance.usernames()
    rows = [
        ("roster-ok1", "Ok One", "ok1@example.test", "", "a-good-password"),  # line 2
        ("", "No Username", "nobody@example.test", "", "a-good-password"),  # line 3: empty username
        ("roster-ok2", "Ok Two", "ok2@example.test", "", ""),  # line 4
        ("Bad User", "Spaces And Capitals", "bad@example.test", "", "a-good-password"),  # line 5
        ("roster-bademail", "Bad Email", "not-an-email", "", "a-good-password"),  # line 6
        ("roster-short",),  # line 7: too few columns
        ("roster-shortpw", "Short Password", "short@example.test", "", "short"),  # line 8
        ("roster-ok1", "Duplicate", "dup@example.test", "", "a-good-password"),  # line 9: duplicate
        ("roster-badgroup", "Bad Group", "group@example.test", "Not A Group!", "a-good-password"),  # line 10
        ("roster-ok3", "Ok Three", "ok3@example.test", world.group, "a-good-password"),  # line 11
    ]
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_csv(rows))

    result = instance.cli("users", "import", str(roster), check=False)
    assert result.returncode != 0, f"import of a bad roster succeeded:\n{result.stdout}"
    reported = {int(number) for number in re.findall(r"(?m)^.*\bline (\d+):", result.stderr)}
    assert reported == {3, 5, 6, 7, 8, 9, 10}, f"stderr was:\n{result.stderr}"
    assert instance.usernames() == before, "nothing may be imported from a roster with a bad row"


# -- the login throttle is in test_login_throttle.py (it needs an instance of its own) ------------


def test_revoke_with_unknown_token_is_still_200(world):
    """RFC 7009: an invalid token is not an error for revocation, and nothing else is revoked."""
    tokens = tokens_for(world.provider, world.confidential, world.alice.username, world.alice.password, world.scope)
    response = requests.post(
        world.provider.revocation_endpoint,
        data={"token": "not-a-token", "token_type_hint": "refresh_token"},
        auth=world.confidential.auth(),
        timeout=10,
    )
    assert response.status_code == 200
    assert world.provider.refresh(world.confidential, tokens["refresh_token"]).status_code == 200


def test_a_client_cannot_revoke_another_clients_token(world):
    """Revocation by the wrong client must leave the token working."""
    public_tokens = tokens_for(world.provider, world.public, world.alice.username, world.alice.password, world.scope)
    requests.post(
        world.provider.revocation_endpoint,
        data={"token": public_tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=world.confidential.auth(),
        timeout=10,
    )
    assert world.provider.refresh(world.public, public_tokens["refresh_token"]).status_code == 200
