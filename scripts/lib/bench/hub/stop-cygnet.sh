#!/usr/bin/env bash
# Stops the Cygnet started by run-cygnet.sh (Ctrl-C to `cygnet up`, which stops every session too).
set -euo pipefail
RUN_ROOT="${HUBBENCH_CYGNET_ROOT:-/tmp/hubbench-cygnet}"
if [[ -f "$RUN_ROOT/current.env" ]]; then
    # shellcheck disable=SC1091
    source "$RUN_ROOT/current.env"
fi
pid="${UP_PID:-$(pgrep -n -f "cygnet up --state-dir $RUN_ROOT/run" || true)}"
[[ -n "$pid" ]] || exit 0
kill -INT "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
kill -KILL "$pid" 2>/dev/null || true
rm -f "$RUN_ROOT/current.env"
