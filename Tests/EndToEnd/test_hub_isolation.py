"""One user never reaches another user's session: B, signed in and holding a valid token of B's own, tries
every way into A's running session — the session's address, A's kernel WebSocket, the hub API, the OAuth
authorize step, forged cookies and tokens — and is refused each time, while A keeps working."""

from __future__ import annotations

import json
import secrets
import uuid

import pytest
import requests
import websocket

from hub_e2e import HubBrowser, execute_request


def signed_in(cygnet, prefix: str) -> tuple[HubBrowser, str]:
    username = prefix + secrets.token_hex(3)
    password = secrets.token_urlsafe(12)
    cygnet.add_user(username, password)
    browser = HubBrowser(cygnet.base_url, username)
    browser.login(password)
    return browser, password


@pytest.fixture(scope="module")
def alice_and_bob(cygnet):
    alice, _ = signed_in(cygnet, "ia")
    bob, _ = signed_in(cygnet, "ib")
    assert alice.start().ready
    alice.open_lab()
    kernel = alice.start_kernel()
    assert alice.execute(kernel, "secret = 1234; print('set')").strip() == "set"
    yield alice, bob, kernel
    alice.stop()


def test_the_session_address_refuses_another_user(alice_and_bob):
    alice, bob, _ = alice_and_bob
    response = bob.session.get(bob.url(f"/user/{alice.username}/lab"), timeout=30)
    assert response.status_code == 403, (response.status_code, response.url)
    assert "someone else" in response.text
    for path in ("/api/contents", "/api/kernels", "/api/sessions", "/files/kept.txt"):
        answer = bob.session.get(bob.url(f"/user/{alice.username}{path}"), allow_redirects=False, timeout=30)
        assert answer.status_code in (302, 403), (path, answer.status_code)
        if answer.status_code == 302:
            assert "/hub/api/oauth2/authorize" in answer.headers["Location"], (path, answer.headers["Location"])


def test_the_kernel_websocket_refuses_another_user(alice_and_bob):
    alice, bob, kernel = alice_and_bob
    url = bob.url(f"/user/{alice.username}/api/kernels/{kernel}/channels").replace("http", "ws", 1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in bob.session.cookies)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        connection = websocket.create_connection(url, cookie=cookie, timeout=30)
        connection.send(json.dumps(execute_request(uuid.uuid4().hex, "print(secret)")))
    assert refused.value.status_code in (302, 403)


def test_another_users_token_opens_nothing(alice_and_bob, cygnet):
    alice, bob, kernel = alice_and_bob
    token = bob.new_token()
    headers = {"Authorization": f"token {token}"}
    base = cygnet.base_url
    # The session server asks the hub who this token belongs to, and refuses it.
    assert requests.get(f"{base}/user/{alice.username}/api/kernels", headers=headers, timeout=30).status_code == 403
    assert (
        requests.post(f"{base}/user/{alice.username}/api/kernels/{kernel}/interrupt", headers=headers, timeout=30).status_code
        == 403
    )
    # The hub API keeps A's details and server out of B's reach.
    assert requests.get(f"{base}/hub/api/users/{alice.username}", headers=headers, timeout=30).status_code == 403
    assert requests.post(f"{base}/hub/api/users/{alice.username}/server", headers=headers, timeout=30).status_code == 403
    assert requests.delete(f"{base}/hub/api/users/{alice.username}/server", headers=headers, timeout=30).status_code == 403
    assert requests.get(f"{base}/hub/api/users/{alice.username}/tokens", headers=headers, timeout=30).status_code == 403
    listed = requests.get(f"{base}/hub/api/users", headers=headers, timeout=30)
    assert listed.status_code == 200
    assert [user["name"] for user in listed.json()] == [bob.username]
    # B cannot mint a token with rights over A either.
    forged = requests.post(
        f"{base}/hub/api/users/{bob.username}/tokens", headers=headers,
        json={"scopes": [f"access:servers!user={alice.username}"]}, timeout=30,
    )
    assert forged.status_code == 403


def test_forged_cookies_and_tokens_are_refused(alice_and_bob, cygnet):
    alice, _, kernel = alice_and_bob
    base = cygnet.base_url
    stranger = requests.Session()
    stranger.cookies.set(f"jupyterhub-user-{alice.username}", secrets.token_hex(32))
    stranger.cookies.set("cygnet-hub-session", secrets.token_urlsafe(32))
    answer = stranger.get(f"{base}/user/{alice.username}/api/kernels", allow_redirects=False, timeout=30)
    assert answer.status_code in (302, 403)
    authorize = stranger.get(
        f"{base}/hub/api/oauth2/authorize?client_id=jupyterhub-user-{alice.username}&response_type=code"
        f"&redirect_uri=/user/{alice.username}/oauth_callback",
        allow_redirects=False,
        timeout=30,
    )
    assert authorize.status_code == 302 and authorize.headers["Location"].startswith("/hub/login")
    fake = {"Authorization": "token " + secrets.token_urlsafe(32)}
    assert requests.get(f"{base}/hub/api/user", headers=fake, timeout=30).status_code == 403
    assert requests.get(f"{base}/user/{alice.username}/api/kernels", headers=fake, timeout=30).status_code == 403
    # A is unaffected by all of this.
    assert alice.execute(kernel, "print(secret)").strip() == "1234"


def test_the_oauth_step_refuses_to_hand_out_codes_for_another_users_session(alice_and_bob, cygnet):
    alice, bob, _ = alice_and_bob
    answer = bob.session.get(
        bob.url(
            f"/hub/api/oauth2/authorize?client_id=jupyterhub-user-{alice.username}&response_type=code"
            f"&redirect_uri=/user/{alice.username}/oauth_callback&state=x"
        ),
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 403
    assert "code=" not in answer.headers.get("Location", "")
