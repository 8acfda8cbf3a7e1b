"""`cygnet-storage` through rclone's WebDAV backend (vendor owncloud): a tree with awkward names and a few
large files goes up, is checked by hash, comes back down byte for byte, and follows local edits with
`rclone sync`. What rclone sees must also be what a session sees on disk."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
from pathlib import Path

import pytest

from storage_e2e import (
    Account,
    StorageServer,
    assert_same_mtimes,
    assert_same_tree,
    client_environment,
    excerpt,
    read_tree,
    require_client,
    run_client,
    running_storage,
    tail,
    write_tree,
)

pytest_plugins = ["storage_e2e"]

REMOTE = "cyg"
FOLDER = "tree"  # where the tree goes in the user's files
# rclone retries failed requests and whole commands by default: off, so that a failure is never hidden.
NO_RETRIES = ["--retries", "1", "--low-level-retries", "1"]
FIXED_MTIME = 1_600_000_000  # 2020-09-13: far enough from "now" that a lost mtime shows

# Percent-encoding, '#' (a URL fragment if left raw), '+' (a space in form encoding), '&', a literal "%20"
# that must not be decoded twice, and non-ASCII in several scripts.
FILE_NAMES = [
    "plain {i}.txt",
    "with  two  spaces {i}.txt",
    "ünïcødé – ñ {i}.txt",
    "日本語のファイル {i}.txt",
    "emoji 🦢 {i}.dat",
    "hash#tag {i}.bin",
    "100% done {i}.txt",
    "literal %20 and %2F {i}.txt",
    "a+b=c {i}.txt",
    "salt & pepper {i}.txt",
    "quote's (copy) [{i}].txt",
    "semi;colon,comma@at!{i}~.txt",
]
FOLDERS = [
    "",
    "plain",
    "plain/deeper",
    "plain/deeper/deepest",
    "with space",
    "with space/ünïcødé – ñ",
    "日本語",
    "a+b & c",
    "100% #1",
    "literal %41",
]


def awkward_tree(count: int = 200, seed: int = 7) -> dict[str, bytes]:
    """About `count` files spread over nested folders: mostly small, some empty, three of a few MB."""
    rng = random.Random(seed)
    files: dict[str, bytes] = {}
    for index in range(count - 3):
        folder = FOLDERS[index % len(FOLDERS)]
        name = FILE_NAMES[index % len(FILE_NAMES)].format(i=index)
        size = rng.choice([0, 1, 100, 4096, 65_536, rng.randrange(1, 300_000)])
        files[f"{folder}/{name}".lstrip("/")] = rng.randbytes(size)
    for index, size in enumerate([1 << 20, (3 << 20) + 1, (6 << 20) - 7]):
        files[f"{FOLDERS[index + 1]}/large {index}.bin"] = rng.randbytes(size)
    return files


def set_fixed_mtimes(root: Path, files: dict[str, bytes]):
    """Distinct whole-second mtimes in the past, so that the test can tell whether they survive the trip."""
    for index, relative in enumerate(sorted(files)):
        os.utime(root / relative, (FIXED_MTIME + index, FIXED_MTIME + index))


class Rclone:
    """rclone with a remote `cyg:` defined by environment variables only (no config file is read or written)."""

    def __init__(self, server: StorageServer, account: Account, work_dir: Path, vendor: str = "owncloud"):
        self.binary = require_client("rclone")
        self.server = server
        self.work_dir = work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        obscured = subprocess.run(
            [self.binary, "obscure", account.password], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
        prefix = f"RCLONE_CONFIG_{REMOTE.upper()}_"
        self.env = client_environment(
            work_dir / "home",
            RCLONE_CONFIG=str(work_dir / "no-such-rclone.conf"),
            **{
                prefix + "TYPE": "webdav",
                prefix + "URL": server.dav_url(account.username),
                prefix + "VENDOR": vendor,
                prefix + "USER": account.username,
                prefix + "PASS": obscured,
            },
        )

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """One rclone command, logging what it does (-v), without a progress report."""
        argv = [self.binary, *args, *NO_RETRIES, "--stats", "0", "-v"]
        result = run_client(argv, self.env, self.work_dir, abort_if=self.server.exit_notice)
        if check and result.returncode != 0:
            raise AssertionError(
                f"rclone {' '.join(args)} exited with {result.returncode}"
                f" ({self.server.exit_notice() or 'cygnet-storage still runs'}):\n{excerpt(result.stdout)}"
            )
        return result

    def check(self, local: Path, remote: str, expected_files: int):
        """`rclone check` by hash: no differences, every file matched, and every hash really compared. Without
        an MD5 in oc:checksums rclone still exits 0, only noting that hashes "could not be checked"."""
        result = self.run("check", str(local), remote, check=False)
        output = result.stdout
        issues = [
            line.strip()
            for line in output.splitlines()
            if "ERROR" in line or "could not be checked" in line or "No common hash" in line
        ]
        if result.returncode != 0:
            issues.insert(0, f"exit status {result.returncode}")
        if "Using md5 for hash comparisons" not in output:
            issues.append("rclone did not say that it compares MD5 hashes")
        if "0 differences found" not in output:
            issues.append("rclone did not report 0 differences")
        matching = re.search(r"(\d+) matching files", output)
        if not matching or int(matching.group(1)) != expected_files:
            issues.append(f"{matching.group(1) if matching else 'no'} matching files instead of {expected_files}")
        assert not issues, f"rclone check {local} {remote}:\n" + "\n".join(issues[:20]) + "\n\n" + excerpt(output)

    def listing(self, remote: str) -> dict[str, dict]:
        """`rclone lsjson -R --hash` of the files below `remote`, by path (stdout alone: it is JSON)."""
        argv = [self.binary, "lsjson", "-R", "--hash", "--files-only", remote, *NO_RETRIES]
        result = subprocess.run(argv, capture_output=True, text=True, env=self.env, cwd=self.work_dir, timeout=300)
        assert result.returncode == 0, f"rclone lsjson {remote} exited with {result.returncode}:\n{tail(result.stderr)}"
        return {entry["Path"]: entry for entry in json.loads(result.stdout)}


def assert_listing_has_hashes(listing: dict[str, dict], root: Path):
    """Every local file is listed with its size and the right MD5 (and SHA-1 where the server sends it)."""
    problems = []
    local_files = sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())
    for relative in local_files:
        entry = listing.get(relative)
        if entry is None:
            problems.append(f"{relative!r}: not listed")
            continue
        data = (root / relative).read_bytes()
        hashes = entry.get("Hashes") or {}
        if entry.get("Size") != len(data):
            problems.append(f"{relative!r}: size {entry.get('Size')} instead of {len(data)}")
        if hashes.get("md5") != hashlib.md5(data).hexdigest():
            problems.append(f"{relative!r}: md5 {hashes.get('md5')!r} instead of {hashlib.md5(data).hexdigest()}")
        if hashes.get("sha1") and hashes["sha1"] != hashlib.sha1(data).hexdigest():
            problems.append(f"{relative!r}: sha1 {hashes['sha1']!r} instead of {hashlib.sha1(data).hexdigest()}")
    extra = sorted(set(listing) - set(local_files))
    problems += [f"{path!r}: listed, but not a local file" for path in extra]
    assert not problems, f"rclone lsjson --hash ({len(problems)} problems):\n" + "\n".join(problems[:20])


@pytest.fixture
def storage(tmp_path):
    with running_storage(tmp_path / "server") as server:
        yield server


@pytest.fixture
def uploaded(storage, tmp_path):
    """The awkward tree, copied up with `rclone copy`: (rclone, account, local source folder, file count)."""
    account = storage.add_account("rclone-user")
    rclone = Rclone(storage, account, tmp_path / "rclone")
    source = tmp_path / "source"
    files = awkward_tree()
    write_tree(source, files)
    set_fixed_mtimes(source, files)
    rclone.run("copy", str(source), f"{REMOTE}:{FOLDER}")
    return rclone, account, source, len(files)


def test_copy_up_check_by_hash_and_copy_down(storage, uploaded, tmp_path):
    rclone, account, source, count = uploaded
    remote = f"{REMOTE}:{FOLDER}"

    # What a session sees on disk is exactly what was sent, names included.
    assert_same_tree(read_tree(storage.space(account.username) / FOLDER), read_tree(source), "the server's disk")

    rclone.check(source, remote, expected_files=count)
    assert_listing_has_hashes(rclone.listing(remote), source)

    down = tmp_path / "down"
    rclone.run("copy", remote, str(down))
    assert_same_tree(read_tree(down), read_tree(source), "the tree copied back down")
    # rclone sends X-OC-Mtime on upload and sets local mtimes from getlastmodified on download.
    assert_same_mtimes(storage.space(account.username) / FOLDER, source, "the server's disk")
    assert_same_mtimes(down, source, "the tree copied back down")


def test_sync_follows_a_local_edit_delete_and_rename(storage, uploaded):
    rclone, account, source, count = uploaded
    remote = f"{REMOTE}:{FOLDER}"
    names = sorted(path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file())
    edited, deleted, renamed, moved = names[3], names[10], names[20], names[30]

    (source / edited).write_bytes(b"edited locally, and longer than before " * 100)
    (source / deleted).unlink()
    (source / renamed).rename((source / renamed).with_name("renamed ü#%+& " + Path(renamed).name))
    (source / "new folder ñ").mkdir()
    (source / moved).rename(source / "new folder ñ" / Path(moved).name)

    # --track-renames: the rename and the move become server-side MOVEs, matched by hash.
    rclone.run("sync", str(source), remote, "--track-renames")

    rclone.check(source, remote, expected_files=count - 1)
    assert_listing_has_hashes(rclone.listing(remote), source)
    assert_same_tree(
        read_tree(storage.space(account.username) / FOLDER), read_tree(source), "the server's disk after the sync"
    )
