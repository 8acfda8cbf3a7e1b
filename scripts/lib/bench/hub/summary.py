"""Prints the hub benchmark's figures side by side, as ratios Cygnet / JupyterHub."""

import json
import sys
from pathlib import Path


def summary(directory: Path, flavor: str, figure: str) -> dict:
    path = directory / f"{flavor}-{figure}.jsonl"
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record.get("kind") == "summary":
            return record
    raise SystemExit(f"no summary in {path}")


def main():
    directory = Path(sys.argv[1])
    rows = [
        ("login → ready JupyterLab, median (s)", "login-to-lab", "median_s", "≤ 0.6×"),
        ("class of 30: last ready (s)", "class", "last_ready_s", "≤ 0.5×"),
        ("class of 30: failed requests", "class", "failed_requests", "0"),
        ("hub + proxy RSS, 100 users, 20 sessions (MiB)", "memory", "rss_mib", "≤ 60 MB"),
    ]
    print(f"{'figure':48} {'Cygnet':>10} {'JupyterHub':>11} {'ratio':>7}  target")
    for label, figure, key, target in rows:
        ours = summary(directory, "cygnet", figure)[key]
        theirs = summary(directory, "jupyterhub", figure)[key]
        ratio = f"{ours / theirs:.2f}×" if theirs else "–"
        print(f"{label:48} {ours:>10} {theirs:>11} {ratio:>7}  {target}")


if __name__ == "__main__":
    main()
