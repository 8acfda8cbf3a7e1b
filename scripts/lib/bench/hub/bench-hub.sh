#!/usr/bin/env bash
# The hub benchmark: Cygnet and JupyterHub 6.1.1 (LocalProcessSpawner, PAM, configurable-http-proxy from PyPI)
# measured the same way by hubbench.py, side by side in one run, each figure on a freshly started service:
#   memory        hub + proxy RSS with 100 registered users and 20 running sessions
#   login-to-lab  sign-in to a ready JupyterLab for one user (median of RUNS)
#   class         30 users sign in and start within 5 s; time until the last is ready; refused requests
# Results: JSON lines in $OUT (default .build/bench/hub), ratios printed at the end.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
PY="$ROOT/.build/test-venv/bin/python"
RUNS="${RUNS:-7}"
QUIET_WAIT="${QUIET_WAIT:-120}"
OUT="${OUT:-$ROOT/.build/bench/hub}"
mkdir -p "$OUT"
export HUBBENCH_RUN_ROOT=/tmp/hubbench-jupyterhub HUBBENCH_CYGNET_ROOT=/tmp/hubbench-cygnet

cleanup() {
    "$HERE/stop-jupyterhub.sh" >/dev/null 2>&1 || true
    "$HERE/stop-cygnet.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

measure() {  # measure FLAVOR FIGURE ARGS...
    local flavor="$1" figure="$2"
    shift 2
    local env_file
    if [[ "$flavor" == jupyterhub ]]; then
        "$HERE/stop-cygnet.sh" >/dev/null 2>&1 || true
        "$HERE/run-jupyterhub.sh" >/dev/null
        env_file="$HUBBENCH_RUN_ROOT/current.env"
    else
        "$HERE/stop-jupyterhub.sh" >/dev/null 2>&1 || true
        "$HERE/run-cygnet.sh"
        env_file="$HUBBENCH_CYGNET_ROOT/current.env"
    fi
    "$PY" "$HERE/hubbench.py" "$figure" --env-file "$env_file" --flavor "$flavor" "$@" \
        | tee "$OUT/$flavor-$figure.jsonl" >/dev/null
}

for flavor in jupyterhub cygnet; do measure "$flavor" memory; done
for flavor in jupyterhub cygnet; do
    measure "$flavor" login-to-lab --runs "$RUNS" --warmup 1 --quiet-wait "$QUIET_WAIT"
done
for flavor in jupyterhub cygnet; do
    measure "$flavor" class --users 'benchu{01..30}' --window 5 --quiet-wait "$QUIET_WAIT"
done
"$PY" "$HERE/summary.py" "$OUT"
