"""scripts/bench auth: figures for cygnet-auth, printed as a table; never fails on timing.

1. idle memory: VmRSS of the cygnet-auth process after `cygnet up` is ready;
2. refresh-grant throughput: wrk pinned to CPU 1, one connection per thread, each thread
   carrying its own rotating refresh token (refresh-grant.lua);
3. authorization-code round trip: authorize GET with an existing login session cookie (no
   password hashing) → code → token exchange, median over N runs.
Runs against the binaries in $CYGNET_BIN_DIR (scripts/bench sets .build/release).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[2]
sys.path.insert(0, str(REPOSITORY / "Tests" / "EndToEnd"))

import warnings  # noqa: E402

import authlib.deprecate  # noqa: E402
import requests  # noqa: E402

# authlib.jose (used by the test helpers) warns that joserfc will replace it; not news for a benchmark.
warnings.filterwarnings("ignore", category=authlib.deprecate.AuthlibDeprecationWarning)

from cygnet_e2e import (  # noqa: E402
    CygnetInstance,
    Provider,
    authorization_code,
    is_redirect,
    pkce_pair,
    process_name,
    query_of,
)

REDIRECT_URI = "http://localhost:8765/callback"


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def auth_pid(instance: CygnetInstance) -> int | None:
    for pid in instance.child_pids():
        if process_name(pid).startswith("cygnet-auth"):
            return pid
    return None


def refresh_tokens(provider, client, browser, count: int, scope: str) -> list[str]:
    tokens = []
    for _ in range(count):
        flow = authorization_code(provider, client, browser, "bench", "bench-password-123", scope)
        response = provider.exchange_code(client, flow.code, flow.verifier)
        response.raise_for_status()
        tokens.append(response.json()["refresh_token"])
    return tokens


def run_wrk(url: str, client, tokens, duration: int, work: Path) -> dict:
    tokens_file = work / "refresh-tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    credentials = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
    environment = {
        **os.environ,
        "CYGNET_BENCH_TOKENS": str(tokens_file),
        "CYGNET_BENCH_AUTHORIZATION": f"Basic {credentials}",
    }
    command = [
        "taskset", "-c", "1",
        "wrk", f"-t{len(tokens)}", f"-c{len(tokens)}", f"-d{duration}s", "--latency",
        "-s", str(HERE / "refresh-grant.lua"),
        url,
    ]  # fmt: skip
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=duration + 60)
    output = result.stdout + result.stderr
    figures = {"wrk output": output}
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        figures["requests per second"] = float(match.group(1))
    for percentile in ("50%", "99%"):
        if match := re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+\w+)", output, re.MULTILINE):
            figures[f"latency p{percentile[:-1]}"] = match.group(1)
    if match := re.search(r"refresh grants failed: (\d+)", output):
        figures["failed"] = int(match.group(1))
    if match := re.search(r"(\d+) requests in", output):
        figures["requests"] = int(match.group(1))
    return figures


def code_round_trips(provider, client, browser, runs: int, scope: str) -> list[float]:
    """Seconds per authorize (session cookie, no password) + token exchange."""
    timings = []
    for run in range(runs):
        verifier, challenge = pkce_pair()
        url = provider.authorize_url(
            client, scope=scope, state=f"s{run}", nonce=f"n{run}", code_challenge=challenge,
            code_challenge_method="S256",
        )  # fmt: skip
        started = time.perf_counter()
        response = browser.get(url, allow_redirects=False, timeout=30)
        if not is_redirect(response):
            raise RuntimeError(f"authorize with a session cookie did not redirect: {response.status_code}")
        code = query_of(response.headers["Location"])["code"]
        exchanged = provider.exchange_code(client, code, verifier)
        timings.append(time.perf_counter() - started)
        exchanged.raise_for_status()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench auth", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk load (default 10)")
    parser.add_argument("--connections", type=int, default=4, help="wrk threads = connections (default 4)")
    parser.add_argument("--runs", type=int, default=200, help="code round trips to time (default 200)")
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1

    work = Path(tempfile.mkdtemp(prefix="cygnet-bench-auth-"))
    instance = CygnetInstance(work / "state")
    rows: list[tuple[str, str]] = []
    try:
        started = time.monotonic()
        instance.start()
        rows.append(("cygnet up, first start until ready", f"{time.monotonic() - started:.2f} s"))
        time.sleep(2)  # let start-up allocations settle before reading idle memory
        pid = auth_pid(instance)
        idle = rss_kib(pid) if pid else None
        rows.append(("cygnet-auth idle RSS", f"{idle / 1024:.1f} MiB" if idle else "cygnet-auth not found"))

        provider = Provider.discover(instance.issuer)
        scope = " ".join(provider.supported_scopes())
        client = instance.add_client("bench", [REDIRECT_URI], scopes=provider.supported_scopes())
        instance.add_user("bench", "bench-password-123", "Bench Mark", "bench@example.test")
        browser = requests.Session()

        # cygnet-auth on its own port (what its targets are about), then through the front door (the proxy),
        # as people's browsers and other applications reach it. Each run rotates its own refresh tokens.
        targets = [
            ("cygnet-auth's own port", f"http://127.0.0.1:{instance.port + 1}/auth/token"),
            ("through the front door (cygnet-proxy)", f"{instance.issuer}/token"),
        ]
        for label, url in targets:
            tokens = refresh_tokens(provider, client, browser, arguments.connections, scope)
            figures = run_wrk(url, client, tokens, arguments.duration, work)
            rows.append(
                (
                    f"refresh grants/s, {label} (wrk -t{len(tokens)} -c{len(tokens)} -d{arguments.duration}s, CPU 1)",
                    f"{figures.get('requests per second', float('nan')):.0f}",
                )
            )
            rows.append(
                (f"  latency p50 / p99", f"{figures.get('latency p50')} / {figures.get('latency p99')}")
            )
            rows.append((f"  failed", f"{figures.get('failed', '?')} of {figures.get('requests', '?')}"))
            if "requests per second" not in figures or figures.get("failed"):
                print(figures["wrk output"], file=sys.stderr)

        timings = code_round_trips(provider, client, browser, arguments.runs, scope)
        timings_ms = sorted(value * 1000 for value in timings)
        rows.append(
            (
                f"code round trip (authorize + token), median of {len(timings)}",
                f"{statistics.median(timings_ms):.2f} ms",
            )
        )
        rows.append(("code round trip p90", f"{timings_ms[int(len(timings_ms) * 0.9) - 1]:.2f} ms"))
        loaded = rss_kib(pid) if pid else None
        rows.append(("cygnet-auth RSS after the load", f"{loaded / 1024:.1f} MiB" if loaded else "?"))
    finally:
        instance.stop()
        instance.kill()

    width = max(len(name) for name, _ in rows)
    print()
    print(f"{'cygnet-auth':<{width}}  figure")
    print(f"{'-' * width}  ------")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
