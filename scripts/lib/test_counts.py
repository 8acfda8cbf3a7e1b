"""Counts passed, failed and skipped tests from a test run's reports, for scripts/test's summary.

usage: test_counts.py junit FILE...   JUnit/xUnit XML (pytest, Swift Testing)
       test_counts.py xctest LOG      the 'Executed N tests, with M failures' line of XCTest

Prints "PASSED FAILED SKIPPED" (three integers), or nothing when no report could be read.
"""

import re
import sys
import xml.etree.ElementTree as ElementTree


def junit_counts(paths):
    passed = failed = skipped = 0
    found = False
    for path in paths:
        try:
            root = ElementTree.parse(path).getroot()
        except (OSError, ElementTree.ParseError):
            continue
        found = True
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    return (passed, failed, skipped) if found else None


def xctest_counts(log_path):
    try:
        with open(log_path, encoding="utf-8", errors="replace") as log:
            text = log.read()
    except OSError:
        return None
    # The last summary line covers 'All tests'.
    matches = re.findall(r"Executed (\d+) tests?, with (\d+) failures?", text)
    if not matches:
        return None
    executed, failures = (int(value) for value in matches[-1])
    return (executed - failures, failures, 0)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, paths = argv[1], argv[2:]
    counts = junit_counts(paths) if mode == "junit" else xctest_counts(paths[0])
    if counts is not None:
        print(*counts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
