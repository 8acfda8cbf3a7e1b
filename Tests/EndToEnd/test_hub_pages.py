"""The hub's pages beyond the main path: launch links that open a file, "always start with this
configuration", the admin page (sessions with their resource use, stopping someone's session, the
limits it enforces), resource limits applied to the session, and signing out of both hub and sign-in."""

from __future__ import annotations

import secrets

import requests

from cygnet_e2e import Page, wait_for
from hub_e2e import HubBrowser


def person(cygnet, prefix="p", admin=False) -> HubBrowser:
    username = prefix + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    cygnet.add_user(username, password, admin=admin)
    browser = HubBrowser(cygnet.base_url, username)
    browser.login(password)
    return browser


def test_a_launch_link_starts_the_session_and_opens_the_file(cygnet):
    browser = person(cygnet)
    answer = browser.session.get(
        browser.url("/hub/spawn?cores=1&memory_mb=1024&open=notebooks/intro.ipynb"), allow_redirects=False, timeout=30
    )
    assert answer.status_code == 303 and answer.headers["Location"] == f"/hub/spawn-pending/{browser.username}"
    assert browser.progress().ready
    pending = browser.session.get(browser.url(f"/hub/spawn-pending/{browser.username}"), allow_redirects=False, timeout=30)
    assert pending.headers["Location"] == f"/user/{browser.username}/lab/tree/notebooks/intro.ipynb"
    # The session got what the link asked for, enforced by the kernel where it can be.
    browser.open_lab()
    kernel = browser.start_kernel()
    groups = browser.execute(kernel, "print(open('/proc/self/cgroup').read())")
    assert f"cygnet/{'jupyter-' + browser.username}" in groups
    limit = browser.execute(
        kernel,
        "import glob\nfor p in glob.glob('/sys/fs/cgroup/memory/cygnet/*/memory.limit_in_bytes') + "
        "glob.glob('/sys/fs/cgroup/cygnet/*/memory.max'):\n"
        f"    print(p, open(p).read().strip()) if 'jupyter-{browser.username}/' in p else None",
    )
    assert str(1024 * 1024 * 1024) in limit, limit
    browser.stop()


def test_always_start_with_this_configuration_skips_the_form(cygnet):
    browser = person(cygnet)
    answer = browser.submit_spawn(cores=1, memory_mb=512, always=1)
    assert answer.status_code == 303
    assert browser.progress().ready
    browser.stop()
    again = browser.session.get(browser.url("/hub/spawn"), allow_redirects=False, timeout=30)
    assert again.status_code == 303, "with saved choices, /hub/spawn starts at once"
    assert browser.progress().ready
    model = browser.session.get(browser.url(f"/hub/api/users/{browser.username}"), timeout=30).json()
    assert model["servers"][""]["user_options"]["memory_mb"] == 512
    browser.stop()
    # The form stays reachable, and submitting without the box forgets the saved choices.
    assert "spawn-form" in browser.spawn_form().text
    browser.submit_spawn(cores=1)
    assert browser.progress().ready
    browser.stop()
    assert browser.session.get(browser.url("/hub/spawn"), allow_redirects=False, timeout=30).status_code == 200


def test_the_admin_page_shows_sessions_and_stops_them(cygnet):
    student = person(cygnet, "s")
    assert student.start().ready
    teacher = person(cygnet, "t", admin=True)
    page = teacher.session.get(teacher.url("/hub/admin"), timeout=30)
    assert page.status_code == 200
    text = Page.of(page).text
    assert student.username in text and "running" in text
    assert "Memory and CPU limits are enforced" in text or "NOT enforced" in text
    stop = [form for form in Page.of(page).forms if form.action == f"/hub/admin/users/{student.username}/stop"]
    assert stop, "no stop button for the student"
    teacher.session.post(teacher.url(stop[0].action), data=stop[0].hidden_fields(), timeout=30)
    wait_for(
        lambda: student.session.get(student.url(f"/hub/api/users/{student.username}"), timeout=30).json()["servers"] == {},
        60,
        what="the student's session to stop",
    )
    home = student.session.get(student.url("/hub/home"), timeout=30)
    assert "An administrator" in home.text
    # Not for everyone.
    assert "Administrators only" in student.session.get(student.url("/hub/admin"), timeout=30).text


def test_an_administrator_may_open_a_session_openly(cygnet):
    student = person(cygnet, "s")
    assert student.start().ready
    teacher = person(cygnet, "t", admin=True)
    lab = teacher.session.get(teacher.url(f"/user/{student.username}/lab"), timeout=60)
    assert lab.status_code == 200 and "jupyter-config-data" in lab.text
    assert "administrator opened another user's session" in cygnet.tail(400)
    student.stop()


def test_signing_out_ends_the_hub_session_and_the_sign_in(cygnet):
    browser = person(cygnet)
    out = browser.session.get(browser.url("/hub/logout"), timeout=30)
    assert out.status_code == 200
    assert "cygnet-hub-session" not in browser.session.cookies
    # Back at the hub, the browser must sign in again: the sign-in service shows its login form.
    again = browser.session.get(browser.url("/hub/home"), timeout=30)
    assert Page.of(again).login_form() is not None, again.url
    assert requests.get(browser.url(f"/hub/api/users/{browser.username}"), cookies=browser.session.cookies, timeout=30).status_code == 403


def test_an_administrator_adds_a_class_from_the_admin_page(cygnet):
    teacher = person(cygnet, "t", admin=True)
    page = teacher.session.get(teacher.url("/hub/admin"), timeout=30)
    form = [f for f in Page.of(page).forms if f.action == "/hub/admin/users"][0]
    names = ["k" + secrets.token_hex(3), "k" + secrets.token_hex(3)]
    # One bad name: nothing is created.
    refused = teacher.session.post(
        teacher.url("/hub/admin/users"),
        data=form.hidden_fields() | {"names": "\n".join(names + ["Not Valid!"]), "group": "class-5"},
        timeout=30,
    )
    assert refused.status_code == 400 and "Not Valid!" in refused.text
    assert not (set(names) & cygnet.usernames())
    added = teacher.session.post(
        teacher.url("/hub/admin/users"), data=form.hidden_fields() | {"names": "\n".join(names), "group": "class-5"},
        timeout=30,
    )
    assert added.status_code == 200
    rows = [cell for cell in Page.of(added).text.split() if cell]
    passwords = {name: rows[rows.index(name) + 1] for name in names}
    assert set(names) <= cygnet.usernames()
    student = HubBrowser(cygnet.base_url, names[0])
    student.login(passwords[names[0]])
    model = student.session.get(student.url(f"/hub/api/users/{names[0]}"), timeout=30).json()
    assert model["groups"] == ["class-5"]
