"""`cygnet-storage` against litmus, the WebDAV conformance suite: every test of the basic, copymove, props,
locks and http suites must pass (warnings are listed, not failed on)."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from storage_e2e import Account, client_environment, require_client, run_client, running_storage, tail

pytest_plugins = ["storage_e2e"]

SUITES = ["basic", "copymove", "props", "locks", "http"]
LITMUS_TIMEOUT = 300.0

# " 4. put_get_utf8_segment.. pass": the number and name of a test, then what litmus says about it.
TEST_LINE = re.compile(r"^\s*(\d+)\.\s(\S+?)\.*(?:\s+(.*))?$")
SUMMARY_LINE = re.compile(r"<- summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed")


class LitmusWarning(UserWarning):
    """A litmus WARNING: allowed by RFC 4918 but worth a look; pytest lists these in its warnings summary."""


@dataclass
class LitmusTest:
    number: int
    name: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def failed(self) -> bool:
        return re.search(r"\bFAIL\b", self.text) is not None

    @property
    def skipped(self) -> bool:
        return re.search(r"\bSKIPPED\b", self.text) is not None

    @property
    def warnings(self) -> list[str]:
        return [line.strip() for line in self.lines if "WARNING:" in line]

    def describe(self) -> str:
        said = [line.strip(" .") for line in self.lines if line.strip(" .")]
        return f"{self.number:2d}. {self.name}: " + " / ".join(said)


@dataclass
class LitmusReport:
    tests: list[LitmusTest]
    summary: tuple[int, int, int] | None  # tests run, passed, failed

    @classmethod
    def parse(cls, output: str) -> "LitmusReport":
        """Groups litmus's output by test. Without a terminal litmus writes each test twice (its name, then
        `\\r` and the name with the result), and a warning or a failure reason may run on to the next lines."""
        tests: dict[int, LitmusTest] = {}
        current: LitmusTest | None = None
        summary = None
        for line in output.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            if match := SUMMARY_LINE.search(line):
                summary = (int(match.group(2)), int(match.group(3)), int(match.group(4)))
                current = None
            elif line.startswith(("->", "<-", "See debug.log")):
                current = None
            elif match := TEST_LINE.match(line):
                number = int(match.group(1))
                current = tests.setdefault(number, LitmusTest(number, match.group(2)))
                # The first, progress-only copy of the line carries nothing but the name.
                if match.group(3):
                    current.lines.append(match.group(3))
            elif current is not None and line.strip():
                current.lines.append(line.strip())
        return cls(list(tests.values()), summary)

    @property
    def problems(self) -> list[LitmusTest]:
        return [test for test in self.tests if test.failed or test.skipped]

    @property
    def warnings(self) -> list[str]:
        return [f"{test.number}. {test.name}: {warning}" for test in self.tests for warning in test.warnings]


def run_litmus(url: str, account: Account, suite: str, work_dir: Path):
    """litmus SUITE against `url` (it works in `litmus/` below it), in `work_dir`, where it writes
    debug.log and child.log."""
    litmus = require_client("litmus")
    work_dir.mkdir(parents=True, exist_ok=True)
    env = client_environment(work_dir / "home", TESTS=suite)
    return run_client([litmus, url, account.username, account.password], env, work_dir, timeout=LITMUS_TIMEOUT)


def check_litmus(suite: str, returncode: int, output: str, work_dir: Path) -> LitmusReport:
    """Fails unless litmus ran the suite to its end with no test failed or skipped; the message shows the
    failing tests, any warnings, and litmus's network trace of the first failing test."""
    report = LitmusReport.parse(output)
    if report.warnings:
        warnings.warn(LitmusWarning(f"litmus {suite}: " + "; ".join(report.warnings)), stacklevel=2)
    ran_to_the_end = report.summary is not None and report.summary[2] == 0
    if returncode == 0 and ran_to_the_end and not report.problems:
        return report
    lines = [f"litmus {suite} exited with {returncode}; summary: {report.summary or 'none (litmus stopped early)'}"]
    lines += ["failed or skipped:"] + [f"  {test.describe()}" for test in report.problems]
    if report.warnings:
        lines += ["warnings:"] + [f"  {warning}" for warning in report.warnings]
    if report.problems:
        first = report.problems[0]
        lines += [f"litmus's trace of test {first.number} ({work_dir / 'debug.log'}):"]
        lines += [debug_trace(work_dir, first.number)]
    else:
        lines += ["litmus output (end):", tail(output, 30)]
    raise AssertionError("\n".join(lines))


def debug_trace(work_dir: Path, number: int, max_lines: int = 80, width: int = 300) -> str:
    """The part of litmus's debug.log written while test `number` ran: its requests and the responses."""
    debug_log = work_dir / "debug.log"
    if not debug_log.exists():
        return "(no debug.log)"
    section = debug_log.read_text(errors="replace").split(f"******* Running test {number}: ", 1)
    if len(section) < 2:
        return "(test not found in debug.log)"
    lines = section[1].split("\n******* Running test ", 1)[0].splitlines()[1:]
    cut = [line if len(line) <= width else line[:width] + " …" for line in lines[:max_lines]]
    return "\n".join(cut + ([f"… {len(lines) - max_lines} more lines"] if len(lines) > max_lines else []))


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    """One server for the module: each suite works as a user of its own, so suites cannot see each other's
    leftovers."""
    with running_storage(tmp_path_factory.mktemp("litmus-storage")) as server:
        yield server


@pytest.mark.parametrize("suite", SUITES)
def test_litmus_suite_passes(storage, suite, tmp_path):
    account = storage.add_account(f"litmus-{suite}")
    result = run_litmus(storage.dav_url(account.username), account, suite, tmp_path)
    report = check_litmus(suite, result.returncode, result.stdout, tmp_path)
    assert report.tests, f"litmus {suite} reported no tests:\n{result.stdout}"


@pytest.mark.parametrize("suite", ["basic", "props"])
def test_litmus_suite_passes_on_the_legacy_webdav_root(storage, suite, tmp_path):
    """/remote.php/webdav/ (older clients, and the capabilities' webdav-root) is the user's space too."""
    account = storage.add_account(f"legacy-{suite}")
    legacy = f"{storage.base_url}/remote.php/webdav/"
    result = run_litmus(legacy, account, suite, tmp_path)
    check_litmus(suite, result.returncode, result.stdout, tmp_path)

    auth = (account.username, account.password)
    put = requests.put(legacy + "through the legacy root.txt", data=b"legacy", auth=auth, timeout=30)
    assert put.status_code == 201, f"PUT through /remote.php/webdav/ answered {put.status_code}: {put.text[:300]}"
    got = requests.get(storage.dav_url(account.username) + "through the legacy root.txt", auth=auth, timeout=30)
    assert (got.status_code, got.content) == (200, b"legacy"), "the legacy root is not the same space"
    assert (storage.space(account.username) / "through the legacy root.txt").read_bytes() == b"legacy"
