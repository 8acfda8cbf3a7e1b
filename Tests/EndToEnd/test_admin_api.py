"""The admin REST API under /auth/admin, reached with a client_credentials token that carries
`cygnet:admin`: users and groups made through it are real (they log in, their groups show in
the ID token), and it refuses callers without the scope or without a token."""

from __future__ import annotations

import pytest
import requests

from cygnet_e2e import authorization_code, display_name, tokens_for, verify_id_token


def admin_token(world, client) -> str:
    response = world.provider.token(client, grant_type="client_credentials", scope="cygnet:admin")
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body, "client_credentials must not issue refresh tokens"
    return body["access_token"]


class AdminAPI:
    def __init__(self, world, token: str):
        self.base = f"{world.instance.issuer}/admin"
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path):
        return requests.get(self.base + path, headers=self.headers, timeout=10)

    def post(self, path, body):
        return requests.post(self.base + path, json=body, headers=self.headers, timeout=30)

    def patch(self, path, body):
        return requests.patch(self.base + path, json=body, headers=self.headers, timeout=30)

    def delete(self, path):
        return requests.delete(self.base + path, headers=self.headers, timeout=10)


def listed_names(response, key) -> set[str]:
    data = response.json()
    if isinstance(data, dict):
        data = next((value for value in data.values() if isinstance(value, list)), [])
    return {entry[key] if isinstance(entry, dict) else entry for entry in data}


@pytest.fixture(scope="module")
def api(world, admin_client) -> AdminAPI:
    return AdminAPI(world, admin_token(world, admin_client))


def test_user_created_through_the_api_can_log_in(world, api):
    created = api.post(
        "/users",
        {
            "username": "apiuser",
            "name": "Api User",
            "email": "apiuser@example.test",
            "password": "api-user-password",
            "groups": [world.group],
        },
    )
    assert created.status_code in (200, 201), created.text
    assert "password" not in created.json(), "the API must not echo passwords"

    assert "apiuser" in listed_names(api.get("/users"), "username")
    fetched = api.get("/users/apiuser")
    assert fetched.status_code == 200
    assert fetched.json()["email"] == "apiuser@example.test"

    tokens = tokens_for(world.provider, world.public, "apiuser", "api-user-password", world.scope)
    claims = verify_id_token(world.provider, tokens["id_token"], world.public.client_id, tokens["_nonce"])
    assert claims["preferred_username"] == "apiuser"
    assert claims["name"] == "Api User"
    assert world.group in claims["groups"]
    # The CLI sees the same user.
    assert "apiuser" in world.instance.usernames()


def test_user_created_without_password_gets_one_generated(api):
    created = api.post("/users", {"username": "apigenerated", "name": "Generated", "email": "gen@example.test"})
    assert created.status_code in (200, 201), created.text


def test_groups_and_members(world, api):
    assert api.post("/groups", {"name": "chemistry"}).status_code in (200, 201)
    assert "chemistry" in listed_names(api.get("/groups"), "name")
    member = world.new_user("chemist")
    assert api.post("/groups/chemistry/members", {"username": member.username}).status_code in (200, 201, 204)
    assert member.username in listed_names(api.get("/groups/chemistry/members"), "username")

    tokens = tokens_for(world.provider, world.confidential, member.username, member.password, world.scope)
    claims = verify_id_token(world.provider, tokens["id_token"], world.confidential.client_id, tokens["_nonce"])
    assert "chemistry" in claims["groups"]


def test_patch_and_delete_a_user(world, api):
    user = world.new_user("shortlived")
    patched = api.patch("/users/shortlived", {"name": "Renamed Person"})
    assert patched.status_code == 200, patched.text
    assert display_name(api.get("/users/shortlived").json()) == "Renamed Person"

    assert api.delete("/users/shortlived").status_code in (200, 204)
    assert api.get("/users/shortlived").status_code == 404
    assert "shortlived" not in world.instance.usernames()
    with pytest.raises(AssertionError):
        authorization_code(world.provider, world.public, requests.Session(), user.username, user.password, world.scope)


def test_bad_user_is_refused_and_not_created(api):
    response = api.post("/users", {"username": "Not Valid!", "name": "x", "email": "x@example.test"})
    assert response.status_code == 400, response.text
    assert "Not Valid!" not in listed_names(api.get("/users"), "username")
    duplicate = api.post("/users", {"username": "alice", "name": "Second Alice", "email": "a2@example.test"})
    assert duplicate.status_code == 409, duplicate.text


def test_admin_api_without_token_is_401(world):
    response = requests.get(f"{world.instance.issuer}/admin/users", timeout=10)
    assert response.status_code == 401


def test_admin_api_without_admin_scope_is_403_insufficient_scope(world):
    tokens = tokens_for(world.provider, world.confidential, world.alice.username, world.alice.password, world.scope)
    response = requests.get(
        f"{world.instance.issuer}/admin/users",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert response.status_code == 403
    described = response.headers.get("WWW-Authenticate", "") + response.text
    assert "insufficient_scope" in described


def test_admin_scope_needs_an_admin_client(world):
    plain_service = world.instance.add_client(
        "e2e-plain-service", ["http://localhost:8791/unused"], extra=["--allow-client-credentials"]
    )
    response = world.provider.token(plain_service, grant_type="client_credentials", scope="cygnet:admin")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope", response.text

    response = world.provider.token(world.confidential, grant_type="client_credentials")
    assert response.status_code in (400, 401) and response.json()["error"] == "unauthorized_client", response.text


def test_public_client_cannot_use_client_credentials(world):
    response = world.provider.token(world.public, grant_type="client_credentials", scope="cygnet:admin")
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("unauthorized_client", "invalid_client")
