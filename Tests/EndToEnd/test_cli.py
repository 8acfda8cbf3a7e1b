"""The admin CLI (`cygnet --state-dir DIR users|groups|clients …`) against the state directory of
a running `cygnet up`: what it changes takes effect in the running server at once."""

from __future__ import annotations

import pytest
import requests

from cygnet_e2e import (
    PASSWORD_LINE,
    Page,
    authorization_code,
    display_name,
    is_redirect,
    login,
    pkce_pair,
    roster_csv,
    tokens_for,
    users_from_json,
    verify_id_token,
)


def can_log_in(world, username, password) -> bool:
    _, challenge = pkce_pair()
    url = world.provider.authorize_url(
        world.public, scope=world.scope, state="s", code_challenge=challenge, code_challenge_method="S256"
    )
    return is_redirect(login(requests.Session(), url, username, password))


def test_users_add_generates_and_prints_a_password(world):
    result = world.instance.cli("users", "add", "generated", "--name", "Gen Erated", "--email", "gen@example.test")
    match = PASSWORD_LINE.search(result.stdout)
    assert match, f"no 'password:' line:\n{result.stdout}"
    assert can_log_in(world, "generated", match.group(1))


def test_users_list_json_describes_users(world):
    users = users_from_json(world.instance.cli("users", "list", "--json").stdout)
    assert "admin" in users and world.alice.username in users
    alice = users[world.alice.username]
    assert alice.get("email") == world.alice.email
    assert display_name(alice) == world.alice.name
    assert world.group in alice.get("groups", [world.group])
    assert not any("password" in key.lower() and value for key, value in alice.items()), "no password material"
    plain = world.instance.cli("users", "list").stdout
    assert world.alice.username in plain


def test_users_passwd_changes_the_password(world):
    user = world.new_user("changer")
    world.instance.cli("users", "passwd", user.username, "--password-stdin", input="a-brand-new-password\n")
    assert can_log_in(world, user.username, "a-brand-new-password")
    assert not can_log_in(world, user.username, user.password)


def test_disable_and_enable(world):
    user = world.new_user("sometimes")
    tokens = tokens_for(world.provider, world.confidential, user.username, user.password, world.scope)
    world.instance.cli("users", "disable", user.username)
    assert not can_log_in(world, user.username, user.password)
    refused = world.provider.refresh(world.confidential, tokens["refresh_token"])
    assert refused.status_code == 400, "a disabled user's refresh token must stop working"
    world.instance.cli("users", "enable", user.username)
    assert can_log_in(world, user.username, user.password)


def test_users_add_refuses_bad_and_duplicate_names(world):
    before = world.instance.usernames()
    bad = world.instance.cli("users", "add", "Bad Name", check=False)
    assert bad.returncode != 0 and bad.stderr.strip()
    duplicate = world.instance.cli("users", "add", world.alice.username, check=False)
    assert duplicate.returncode != 0 and duplicate.stderr.strip()
    assert world.instance.usernames() == before


def test_groups_membership_shows_in_the_id_token(world):
    instance = world.instance
    user = world.new_user("grouped")
    instance.cli("groups", "add", "astronomy")
    assert "astronomy" in instance.cli("groups", "list").stdout
    instance.cli("groups", "add-member", "astronomy", user.username, world.alice.username)

    tokens = tokens_for(world.provider, world.confidential, user.username, user.password, world.scope)
    claims = verify_id_token(world.provider, tokens["id_token"], world.confidential.client_id, tokens["_nonce"])
    assert "astronomy" in claims["groups"]

    instance.cli("groups", "remove-member", "astronomy", user.username)
    tokens = tokens_for(world.provider, world.confidential, user.username, user.password, world.scope)
    claims = verify_id_token(world.provider, tokens["id_token"], world.confidential.client_id, tokens["_nonce"])
    assert "astronomy" not in claims.get("groups", [])


def test_clients_list_and_remove(world):
    instance = world.instance
    client = instance.add_client("e2e-doomed", ["http://localhost:8777/cb"], public=True)
    assert client.client_id in instance.cli("clients", "list").stdout
    authorization_code(
        world.provider, client, requests.Session(), world.alice.username, world.alice.password, world.scope
    )

    instance.cli("clients", "remove", client.client_id)
    assert client.client_id not in instance.cli("clients", "list").stdout
    _, challenge = pkce_pair()
    url = world.provider.authorize_url(
        client, scope=world.scope, state="s", code_challenge=challenge, code_challenge_method="S256"
    )
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers


def test_clients_add_refuses_a_client_without_redirect_uri(world):
    result = world.instance.cli("clients", "add", "e2e-nowhere", check=False)
    assert result.returncode != 0


def test_roster_import(world, tmp_path):
    rows = [
        ("pupil1", "Pupil One", "pupil1@example.test", world.group, "pupil-one-password"),
        ("pupil2", "Pupil Two", "pupil2@example.test", "", ""),
        ("pupil3", "Pupil Three", "", f"{world.group}", "pupil-three-password"),
    ]
    roster = tmp_path / "class.csv"
    roster.write_text(roster_csv(rows))
    result = world.instance.cli("users", "import", str(roster))
    assert "pupil2" in result.stdout, "the generated password of pupil2 must be shown"

    users = users_from_json(world.instance.cli("users", "list", "--json").stdout)
    assert {"pupil1", "pupil2", "pupil3"} <= users.keys()
    assert can_log_in(world, "pupil1", "pupil-one-password")
    tokens = tokens_for(world.provider, world.confidential, "pupil3", "pupil-three-password", world.scope)
    claims = verify_id_token(world.provider, tokens["id_token"], world.confidential.client_id, tokens["_nonce"])
    assert world.group in claims["groups"]


def test_roster_with_semicolon_separated_groups(world, tmp_path):
    world.instance.cli("groups", "add", "biology")
    roster = tmp_path / "groups.csv"
    roster.write_text(roster_csv([("multi", "Multi Group", "", f"{world.group};biology", "multi-group-password")]))
    world.instance.cli("users", "import", str(roster))
    users = users_from_json(world.instance.cli("users", "list", "--json").stdout)
    if "groups" not in users["multi"]:
        pytest.skip("users list --json does not list groups")
    assert {world.group, "biology"} <= set(users["multi"]["groups"])


def test_login_page_is_a_plain_html_form(world):
    """What a browser gets: a POST form with username, password and hidden fields only."""
    _, challenge = pkce_pair()
    url = world.provider.authorize_url(
        world.public, scope=world.scope, state="s", code_challenge=challenge, code_challenge_method="S256"
    )
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers.get("Content-Type", "").startswith("text/html")
    form = Page.of(response).login_form()
    assert form is not None
    password_inputs = [field for field in form.inputs if field.get("name") == "password"]
    assert password_inputs[0].get("type") == "password"
