"""`cygnet-software publish`, tags, rollback and garbage collection, checked with an independent reader."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cvmfs_reader import FormatError
from software_e2e import SOFTWARE, assert_matches_source, publish_tree, repository, software

NAME = "test.cygnet.local"


@pytest.fixture
def published(tmp_path):
    return publish_tree(tmp_path, NAME, "--tag", "first")


def object_files(software_dir: Path) -> set[str]:
    data = software_dir / "repositories" / NAME / "data"
    return {str(p.relative_to(data)) for p in data.rglob("*") if p.is_file() and p.parent.name != "txn"}


def test_published_tree_matches_its_source(published):
    source, software_dir = published
    repo = repository(software_dir, NAME)
    assert repo.manifest["S"] == "1"
    assert_matches_source(repo, source)
    # Hard links are split: two entries, one shared object.
    assert repo.entries[b"/hardlink-to-tool"].hash == repo.entries[b"/bin/tool"].hash
    assert repo.entries[b"/big.bin"].flags & 64, "a file over 4 MiB is chunked"
    # /nested is a catalog of its own: the reader checked the parent's mountpoint row (flag 2) before loading it.
    assert repo.entries[b"/nested"].flags & 32 and repo.entries[b"/nested/inner.txt"]


def test_shake128_repository(tmp_path):
    source, software_dir = publish_tree(tmp_path, NAME, "--hash", "shake128")
    repo = repository(software_dir, NAME)
    assert repo.manifest["C"].endswith("-shake128")
    assert_matches_source(repo, source)


def test_second_publish_stores_only_what_changed(published):
    source, software_dir = published
    before = object_files(software_dir)
    (source / "bin" / "tool").write_text("#!/bin/sh\necho changed\n")
    (source / "new.txt").write_text("new\n")
    (source / "empty-dir").rmdir()
    result = software(software_dir, "publish", NAME, str(source))
    # The tool, its hard link (same inode, so its ctime changed too) and the new file.
    assert "3 files stored" in result.stdout, result.stdout
    repo = repository(software_dir, NAME)
    assert repo.manifest["S"] == "2"
    assert_matches_source(repo, source)
    added = object_files(software_dir) - before
    # Two file objects, the catalogs (root + nested), history: nothing of the 20 MiB file again.
    assert len(added) <= 5, added


def test_rollback_to_a_tag_and_garbage_collection(published):
    source, software_dir = published
    first = {p: e for p, e in repository(software_dir, NAME).entries.items()}
    (source / "readonly.txt").chmod(0o644)
    (source / "readonly.txt").write_text("second revision\n")
    (source / "big.bin").write_bytes(os.urandom(5 << 20))
    software(software_dir, "publish", NAME, str(source), "--tag", "second")
    tags = software(software_dir, "tags", NAME).stdout
    assert "first" in tags and "second" in tags

    software(software_dir, "rollback", NAME, "first")
    repo = repository(software_dir, NAME)
    assert repo.manifest["S"] == "3", "a rollback is a new revision"
    assert repo.contents(repo.entries[b"/readonly.txt"]) == b"read me\n"
    assert set(repo.entries) == set(first)

    result = software(software_dir, "gc", NAME)
    assert "removed" in result.stdout
    # Both tags survive garbage collection and can still be read in full.
    software(software_dir, "rollback", NAME, "second")
    repo = repository(software_dir, NAME)
    assert repo.contents(repo.entries[b"/readonly.txt"]) == b"second revision\n"
    assert repo.contents(repo.entries[b"/big.bin"]) == (source / "big.bin").read_bytes()


def test_gc_removes_untagged_revisions(tmp_path):
    """gc keeps the current revision, tagged ones and `trunk-previous` (the undo target); the rest goes."""
    source = tmp_path / "source"
    source.mkdir()
    software_dir = tmp_path / "sw"
    (source / "data.bin").write_bytes(os.urandom(100_000))
    software(software_dir, "publish", NAME, str(source))
    old = object_files(software_dir)
    for _ in range(2):
        (source / "data.bin").write_bytes(os.urandom(100_000))
        software(software_dir, "publish", NAME, str(source))
    software(software_dir, "gc", NAME)
    remaining = object_files(software_dir)
    gone = old - remaining
    assert any(name.endswith("C") for name in gone) and any(name[-1] in "0123456789abcdef" for name in gone), gone
    assert_matches_source(repository(software_dir, NAME), source)


def test_tampering_is_detected(published):
    _, software_dir = published
    base = software_dir / "repositories" / NAME
    manifest = (base / ".cvmfspublished").read_bytes()
    (base / ".cvmfspublished").write_bytes(manifest.replace(b"D240", b"D999"))
    with pytest.raises(FormatError, match="body hash"):
        repository(software_dir, NAME)


def test_kill_during_publish_keeps_the_previous_revision(published, tmp_path):
    source, software_dir = published
    big = tmp_path / "big-source"
    big.mkdir()
    for index in range(40):
        (big / f"file-{index}.bin").write_bytes(os.urandom(4 << 20))
    process = subprocess.Popen(
        [SOFTWARE, "publish", NAME, str(big), "--software-dir", str(software_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    transactions = software_dir / "repositories" / NAME / "data" / "txn"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(transactions.iterdir()):
        assert process.poll() is None, process.stdout.read()
    process.send_signal(signal.SIGKILL)
    process.wait()
    repo = repository(software_dir, NAME)
    assert repo.manifest["S"] == "1"
    assert_matches_source(repo, source)
    # The next publish cleans up and succeeds.
    software(software_dir, "publish", NAME, str(big))
    assert not any(transactions.iterdir())
    assert_matches_source(repository(software_dir, NAME), big)


def test_bad_input_gets_a_clear_message(tmp_path, published):
    source, software_dir = published
    result = software(software_dir, "publish", "Bad/Name", str(source), check=False)
    assert result.returncode != 0 and "is not a repository name" in result.stderr
    result = software(software_dir, "publish", NAME, str(source / "readonly.txt"), check=False)
    assert result.returncode != 0 and "is not a directory" in result.stderr
    result = software(software_dir, "publish", NAME, str(tmp_path / "missing"), check=False)
    assert result.returncode != 0 and "No such file" in result.stderr
    result = software(software_dir, "publish", NAME, str(source), "--tag", "first", check=False)
    assert result.returncode != 0 and "exists already" in result.stderr
    result = software(software_dir, "rollback", NAME, "nope", check=False)
    assert result.returncode != 0 and "has no tag 'nope'" in result.stderr and "first" in result.stderr
    device_tree = tmp_path / "with-device"
    device_tree.mkdir()
    os.mknod(device_tree / "null", 0o600 | 0o020000, os.makedev(1, 3))
    result = software(software_dir, "publish", NAME, str(device_tree), check=False)
    assert result.returncode != 0 and "is a device file" in result.stderr
    # None of that touched the published revision.
    repo = repository(software_dir, NAME)
    assert repo.manifest["S"] == "1"
    assert_matches_source(repo, source)


def test_a_directory_of_100k_files(tmp_path):
    source = tmp_path / "many"
    directory = source / "d"
    directory.mkdir(parents=True)
    for index in range(100_000):
        (directory / f"f{index:06d}").write_bytes(b"%d\n" % index)
    software(tmp_path / "sw", "publish", NAME, str(source))
    repo = repository(tmp_path / "sw", NAME)
    assert len(repo.children(b"/d")) == 100_000
    assert repo.contents(repo.entries[b"/d/f099999"]) == b"99999\n"
