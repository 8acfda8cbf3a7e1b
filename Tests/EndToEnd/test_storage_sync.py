"""`cygnet-storage` with the desktop sync engines, run headless: owncloudcmd and nextcloudcmd. Two machines
(two local folders of one user) and the server's disk, which a session writes directly, must end up
holding the same files, and a conflicting edit must never lose data."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests

from cygnet_e2e import wait_for
from storage_e2e import (
    Account,
    StorageServer,
    Tree,
    assert_same_mtimes,
    assert_same_tree,
    client_environment,
    digest,
    excerpt,
    read_tree,
    require_client,
    run_client,
    running_storage,
    tree_of,
    write_tree,
)

pytest_plugins = ["storage_e2e"]

CLIENTS = ["owncloudcmd", "nextcloudcmd"]
SYNC_TIMEOUT = 300.0
# Both clients run a sync again while it finds more to do, at most 3 times; owncloudcmd 2.11 then prints this
# and never exits (a client bug): fail at once rather than after SYNC_TIMEOUT.
GAVE_UP = "Another sync is needed, but not done because restart count is exceeded"
# Trees are made an hour in the past, so an edit (mtime now) is always seconds away from what was synced.
AN_HOUR_AGO = 3600
# The desktop clients (not the cmd ones, which list every folder on each run) poll only the root's ETag,
# every 30 s by default, and sync only when it changed.
POLL_INTERVAL = 30.0
ETAG_PROPFIND = b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'

class Machine:
    """One computer syncing a local folder with the user's files: its own folder, HOME and sync journal,
    like a laptop running the desktop client."""

    def __init__(self, name: str, client: str, server: StorageServer, account: Account, base: Path):
        self.name = name
        self.client = require_client(client)
        self.server = server
        self.account = account
        self.folder = base / name
        self.folder.mkdir(parents=True)
        self.work_dir = base / f"{name}-client"
        self.env = client_environment(self.work_dir / "home")
        # owncloudcmd aborts without an exclude list, and Debian ships it none: give both clients an empty one.
        self.exclude_list = self.work_dir / "exclude.lst"
        self.exclude_list.write_text("# nothing beyond the client's built-in rules\n")

    def sync(self):
        """One run of the client (it repeats itself while it finds more to do); fails on a non-zero exit.
        The base URL is enough: both clients find the DAV root from it and the user's id."""
        argv = [
            self.client,
            "--non-interactive",
            "--trust",
            "--user", self.account.username,
            "--password", self.account.password,
            "--exclude", str(self.exclude_list),
            str(self.folder),
            self.server.base_url,
        ]
        result = run_client(
            argv, self.env, self.work_dir, timeout=SYNC_TIMEOUT, give_up_on=GAVE_UP, abort_if=self.server.exit_notice
        )
        if result.returncode != 0:
            raise AssertionError(
                f"{Path(self.client).name} on machine {self.name} exited with {result.returncode}"
                f" ({self.server.exit_notice() or 'cygnet-storage still runs'}):\n{excerpt(result.stdout)}"
            )
        return result

    def tree(self) -> Tree:
        return read_tree(self.folder)

    def path(self, relative: str) -> Path:
        return self.folder / relative


def sync_tree(files: int, folders: int = 20, seed: int = 3) -> dict[str, bytes]:
    """`files` small files spread over `folders` folders (half of them nested in the other half), with a few
    awkward names. Every folder gets files, so no folder is empty."""
    rng = random.Random(seed)
    tops = [f"Folder {index:02d}" + (" – ünï" if index % 3 == 0 else "") for index in range(folders // 2)]
    all_folders = tops + [f"{top}/sub #{index} & more" for index, top in enumerate(tops)]
    tree: dict[str, bytes] = {}
    for index in range(files):
        folder = all_folders[index % len(all_folders)]
        name = f"note {index:04d}" + (" 100% +é" if index % 50 == 7 else "") + ".txt"
        body = f"file {index} in {folder}\n".encode() + rng.randbytes(rng.randrange(0, 2048)).hex().encode()
        tree[f"{folder}/{name}"] = body
    return tree


def edit(path: Path, data: bytes):
    """Rewrites a file as a person would. Clients compare mtimes in whole seconds, so the test makes sure the
    new one is seconds away from the old; a future mtime is no way out (owncloudcmd then finds the file
    "changed during sync" and retries until it gives up)."""
    old = path.stat().st_mtime
    path.write_bytes(data)
    assert time.time() - old >= 2, f"{path} was synced with a recent mtime; trees must be made in the past"


def settle():
    """Waits until local edits are a few seconds old, as they are when a person syncs after editing. Both clients
    leave a file modified less than about two seconds ago for later ("still being changed"), and note that in
    their journal so that the next run may skip it too: a sync right after an edit would then test their
    back-off, not the server (nextcloudcmd failed this way now and then in CI)."""
    time.sleep(2.5)


def server_tree(server: StorageServer, account: Account) -> Tree:
    return read_tree(server.space(account.username))


def synced_machines(client: str, server: StorageServer, tmp_path: Path, files: dict[str, bytes]):
    """Machines A and B of one user: `files` created in A, synced up by A, then down into an empty B."""
    account = server.add_account("sync-user")
    a = Machine("A", client, server, account, tmp_path)
    b = Machine("B", client, server, account, tmp_path)
    write_tree(a.folder, files, mtime=time.time() - AN_HOUR_AGO)
    expected = tree_of(files)
    a.sync()
    assert_same_tree(server_tree(server, account), expected, "the server's disk after A's first sync")
    assert_same_mtimes(server.space(account.username), a.folder, "the server's disk after A's first sync")
    b.sync()
    assert_same_tree(b.tree(), expected, "machine B after its first sync")
    assert_same_mtimes(b.folder, a.folder, "machine B after its first sync")
    return a, b, account


def is_conflict_copy(relative: str) -> bool:
    """nextcloudcmd names them "x (conflicted copy 2026-11-26 000422).txt"; ownCloud clients have used both
    that and "x_conflict-20261126-000422.txt"."""
    return "conflict" in Path(relative).name.lower()


@pytest.fixture(params=CLIENTS)
def client(request) -> str:
    require_client(request.param)
    return request.param


@pytest.fixture
def storage(tmp_path):
    with running_storage(tmp_path / "server") as server:
        yield server


def test_edits_renames_and_deletes_on_two_machines_meet(client, storage, tmp_path):
    files = sync_tree(1000)
    a, b, account = synced_machines(client, storage, tmp_path, files)
    names = sorted(files)
    renamed_folder = "Folder 04"
    outside = [name for name in names if not name.startswith(renamed_folder + "/")]
    edited_in_a, edited_in_b, renamed_in_a, deleted_in_b = outside[1], outside[502], outside[103], outside[704]
    new_name = str(Path(renamed_in_a).with_name("renamed in A ü#%& " + Path(renamed_in_a).name).as_posix())

    expected = dict(files)
    expected[edited_in_a] = b"edited on machine A\n" * 40
    edit(a.path(edited_in_a), expected[edited_in_a])
    expected[edited_in_b] = b"edited on machine B\n" * 50
    edit(b.path(edited_in_b), expected[edited_in_b])
    a.path(renamed_in_a).rename(a.path(new_name))
    expected[new_name] = expected.pop(renamed_in_a)
    # A folder with a subfolder and about a hundred files: one MOVE on the server, one rename on B.
    a.path(renamed_folder).rename(a.path(renamed_folder + " renamed"))
    for name in [name for name in expected if name.startswith(renamed_folder + "/")]:
        expected[renamed_folder + " renamed" + name[len(renamed_folder):]] = expected.pop(name)
    b.path(deleted_in_b).unlink()
    del expected[deleted_in_b]

    settle()
    a.sync()
    b.sync()
    a.sync()

    assert_same_tree(server_tree(storage, account), tree_of(expected), "the server's disk")
    assert_same_tree(a.tree(), tree_of(expected), "machine A")
    assert_same_tree(b.tree(), tree_of(expected), "machine B")
    assert_same_mtimes(b.folder, a.folder, "machine B")


def test_a_conflicting_edit_keeps_both_versions(client, storage, tmp_path):
    files = sync_tree(40, folders=4)
    a, b, account = synced_machines(client, storage, tmp_path, files)
    contested = sorted(files)[5]
    version_a = b"the version written on machine A\n" * 3
    version_b = b"the version written on machine B, which synced last\n" * 5
    edit(a.path(contested), version_a)
    edit(b.path(contested), version_b)

    settle()
    a.sync()  # A's edit reaches the server first ...
    b.sync()  # ... so B finds both sides changed: B lost the race.
    a.sync()

    b_tree = b.tree()
    b_conflicts = [path for path in b_tree if is_conflict_copy(path)]
    assert b_conflicts, f"machine B kept no conflict copy of {contested!r}; its folder holds:\n{sorted(b_tree)}"
    stem = Path(contested).stem
    assert all(stem in path for path in b_conflicts), f"conflict copies not named after {contested!r}: {b_conflicts}"
    assert digest(version_b) in {b_tree[path] for path in b_conflicts}, (
        f"none of B's conflict copies {b_conflicts} holds B's version"
    )
    storage_tree = server_tree(storage, account)
    a_tree = a.tree()
    for where, tree in (("the server's disk", storage_tree), ("machine A", a_tree), ("machine B", b_tree)):
        assert tree.get(contested) == digest(version_a), f"{where}: {contested!r} is not A's version, which won"

    # Conflict copies aside (a client may keep them local or upload them), all three agree.
    def without_conflicts(tree: Tree) -> Tree:
        return {path: value for path, value in tree.items() if not is_conflict_copy(path)}

    assert_same_tree(without_conflicts(storage_tree), without_conflicts(a_tree), "the server's disk vs A")
    assert_same_tree(without_conflicts(b_tree), without_conflicts(a_tree), "machine B vs A")
    everything = set(storage_tree.values()) | set(a_tree.values()) | set(b_tree.values())
    assert {digest(version_a), digest(version_b)} <= everything, "a version of the contested file was lost"


def test_changes_made_on_the_servers_disk_reach_the_next_sync(client, storage, tmp_path):
    """A session writes the user's files directly, behind the server's back: the next sync must see it."""
    files = sync_tree(40, folders=4)
    a, _, account = synced_machines(client, storage, tmp_path, files)
    space = storage.space(account.username)
    rewritten, same_size, deleted = sorted(files)[2], sorted(files)[9], sorted(files)[17]

    # As an editor saves: new content, new size, the mtime whatever the clock says.
    (space / rewritten).write_bytes(b"rewritten by a session, longer than before\n" * 60)
    # Same size, new bytes, and an mtime set explicitly (a minute after the synced one, still in the past).
    new_bytes = bytes(255 - byte for byte in files[same_size])
    bumped = int((space / same_size).stat().st_mtime) + 60
    (space / same_size).write_bytes(new_bytes)
    os.utime(space / same_size, (bumped, bumped))
    (space / "made in a session" / "results").mkdir(parents=True)
    (space / "made in a session" / "results" / "table.csv").write_bytes(b"x,y\n1,2\n")
    (space / deleted).unlink()

    a.sync()

    assert_same_tree(a.tree(), server_tree(storage, account), "machine A after changes on the server's disk")
    assert a.path(same_size).read_bytes() == new_bytes
    assert int(a.path(same_size).stat().st_mtime) == bumped, "machine A did not get the file's mtime from the server"


def root_etag(server: StorageServer, account: Account) -> str:
    """The ETag of the user's root, asked for as the desktop clients poll it (PROPFIND, Depth 0)."""
    response = requests.request(
        "PROPFIND",
        server.dav_url(account.username),
        data=ETAG_PROPFIND,
        headers={"Depth": "0", "Content-Type": "application/xml"},
        auth=(account.username, account.password),
        timeout=30,
    )
    assert response.status_code == 207, f"PROPFIND of the root answered {response.status_code}: {response.text[:500]}"
    etag = ElementTree.fromstring(response.content).find(".//{DAV:}getetag")
    assert etag is not None and etag.text, f"no getetag for the root:\n{response.text[:1000]}"
    return etag.text


def test_the_root_etag_changes_when_a_session_writes_deep_inside(storage):
    """A change deep in the tree, made on disk behind the server's back, must reach the root's ETag (within a
    desktop client's poll interval), or desktop clients never sync it."""
    account = storage.add_account("etag-user")
    space = storage.space(account.username)
    deep = "one/two/three/four/deep.txt"
    write_tree(space, {deep: b"first version\n", "top.txt": b"top\n"}, mtime=time.time() - AN_HOUR_AGO)
    before = root_etag(storage, account)

    # Rewritten in place: no folder's mtime changes, only the file's.
    (space / deep).write_bytes(b"second version, written by a session\n")
    wait_for(
        lambda: root_etag(storage, account) != before,
        POLL_INTERVAL,
        interval=0.5,
        what=f"a new root ETag after {deep} was rewritten on disk",
    )

    after_edit = root_etag(storage, account)
    (space / "one" / "two" / "new.txt").write_bytes(b"new\n")
    wait_for(
        lambda: root_etag(storage, account) != after_edit,
        POLL_INTERVAL,
        interval=0.5,
        what="a new root ETag after a file was created on disk in one/two/",
    )
