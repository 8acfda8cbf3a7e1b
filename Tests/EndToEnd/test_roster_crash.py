"""`kill -9` in the middle of a 5,000-row roster import leaves either every row or none, and
the appliance keeps working on the same database afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import running_cygnet
from cygnet_e2e import cli_command, roster_csv

ROWS = 5000
# The import hashes every password before it writes; at the default scrypt cost that takes many
# minutes for 5,000 rows. For the kill during the database write, the import runs with the
# lowest cost the settings allow (through the environment, as any setting can be given), so the
# write comes within about a minute in a debug build.
CHEAP_HASHING = {"CYGNET_AUTH_PASSWORD_HASHING_COST_LOG2": "10"}
# How long to wait for the write before killing it anyway.
WRITE_WAIT = float(os.environ.get("CYGNET_E2E_ROSTER_WRITE_WAIT", "600"))
JOURNAL_GROWTH = 64 * 1024


def journal_bytes(state_dir) -> int:
    """Bytes in SQLite's write-ahead logs and rollback journals under the state directory."""
    total = 0
    for path in state_dir.rglob("*"):
        if path.name.endswith(("-wal", "-journal")):
            try:
                total += path.stat().st_size
            except OSError:
                pass
    return total


def import_and_kill(instance, roster_path, output_path, trigger: str) -> str:
    """Starts `users import` and SIGKILLs it at the chosen moment; returns what happened."""
    baseline = journal_bytes(instance.state_dir)
    environment = {**os.environ, **(CHEAP_HASHING if trigger == "while writing" else {})}
    with open(output_path, "w") as output:
        process = subprocess.Popen(
            cli_command(instance.state_dir, "users", "import", str(roster_path)),
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        started = time.monotonic()
        try:
            while process.poll() is None:
                elapsed = time.monotonic() - started
                writing = journal_bytes(instance.state_dir) - baseline >= JOURNAL_GROWTH
                if (trigger == "early" and elapsed >= 1.0) or (
                    trigger == "while writing" and (writing or elapsed >= WRITE_WAIT)
                ):
                    process.send_signal(signal.SIGKILL)
                    process.wait(10)
                    return f"killed {elapsed:.2f} s in" + (" (database writes seen)" if writing else "")
                time.sleep(0.005)
            assert process.returncode == 0, (
                f"users import failed by itself (status {process.returncode}):\n{Path(output_path).read_text()[-2000:]}"
            )
            return "finished by itself before the kill"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.mark.parametrize("trigger", ["while writing", "early"])  # early: while hashing, before any write
def test_kill_during_roster_import_leaves_all_or_nothing(tmp_path_factory, trigger):
    with running_cygnet(tmp_path_factory, "roster-kill") as instance:
        work = tmp_path_factory.mktemp("roster")
        prefix = "w" if trigger == "while writing" else "e"
        names = [f"{prefix}student{number:04d}" for number in range(ROWS)]
        rows = [(name, f"Student {name}", f"{name}@example.test", "", f"{name}-password") for name in names]
        roster = work / "roster.csv"
        roster.write_text(roster_csv(rows))

        what_happened = import_and_kill(instance, roster, work / "import-output.txt", trigger)

        imported = {name for name in instance.usernames() if name.startswith(f"{prefix}student")}
        print(f"roster import ({trigger}): {what_happened}; {len(imported)} rows imported")
        assert len(imported) in (0, ROWS), f"{len(imported)} of {ROWS} rows imported after: {what_happened}"

        # The appliance and the CLI still work on the same database.
        assert requests.get(f"{instance.issuer}/healthz", timeout=10).status_code == 200
        instance.add_user(f"{prefix}after", "after-the-crash")
        assert f"{prefix}after" in instance.usernames()
