#!/usr/bin/env bash
# Starts Cygnet for hubbench, the same way run-jupyterhub.sh starts the peer: the release `cygnet up` with a
# fresh state folder on free loopback ports, and the same 100 users benchu01..benchu100 with the same password
# (imported as a roster). Writes $HUBBENCH_CYGNET_ROOT/current.env (HUB_URL, PASSWORD, MEMORY_PID_FILES,
# API_TOKEN, UP_PID) for hubbench.py and stop-cygnet.sh. Safe to run twice: a previous one is stopped first.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
BIN="${CYGNET_BIN_DIR:-$ROOT/.build/release}"
USERS="${HUBBENCH_USERS:-100}"
PASSWORD="${HUBBENCH_PASSWORD:-hubbench-pw-2026}"
RUN_ROOT="${HUBBENCH_CYGNET_ROOT:-/tmp/hubbench-cygnet}"

log() { printf '[run-cygnet %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

"$HERE/stop-cygnet.sh" >/dev/null 2>&1 || true
mkdir -p "$RUN_ROOT"
run_dir=$(mktemp -d "$RUN_ROOT/run.XXXXXX")
state="$run_dir/state"

# A port with the three after it free (cygnet up puts its services there).
port=$(/usr/bin/python3 - <<'PY'
import socket
def free(p):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", p)); return True
        except OSError:
            return False
while True:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    if p + 3 < 65536 and all(free(p + i) for i in range(1, 4)):
        print(p); break
PY
)

log "starting $BIN/cygnet up on port $port (state $state)"
setsid "$BIN/cygnet" up --state-dir "$state" --port "$port" >"$run_dir/cygnet-up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 600); do
    grep -q "Cygnet is ready" "$run_dir/cygnet-up.log" && break
    kill -0 "$up_pid" 2>/dev/null || { cat "$run_dir/cygnet-up.log" >&2; exit 1; }
    sleep 0.2
done
grep -q "Cygnet is ready" "$run_dir/cygnet-up.log" || { log "not ready after 120 s"; exit 1; }

log "importing $USERS users"
{
    echo "username,name,email,groups,password"
    for i in $(seq 1 "$USERS"); do printf 'benchu%02d,,,,%s\n' "$i" "$PASSWORD"; done
} >"$run_dir/roster.csv"
"$BIN/cygnet" --state-dir "$state" users import "$run_dir/roster.csv" >/dev/null

# An admin token for hubbench's user count, and the hub knowing every user (as JupyterHub's API registration does).
token=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(24))')
kill -INT "$up_pid"
while kill -0 "$up_pid" 2>/dev/null; do sleep 0.1; done
cat >>"$state/cygnet.yaml" <<YAML

hub:
  services:
    hubbench:
      token: "$token"
      scopes: ["admin:users", "admin:servers"]
YAML
setsid "$BIN/cygnet" up --state-dir "$state" --port "$port" >>"$run_dir/cygnet-up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 600); do
    [[ $(grep -c "Cygnet is ready" "$run_dir/cygnet-up.log") -ge 2 ]] && break
    sleep 0.2
done
for i in $(seq 1 "$USERS"); do
    curl -fsS -o /dev/null -X POST -H "Authorization: token $token" \
        "http://127.0.0.1:$port/hub/api/users/$(printf 'benchu%02d' "$i")" || true
done

pids_dir="$run_dir/pids"
mkdir -p "$pids_dir"
pgrep -n -f "cygnet-hub --config $state/" >"$pids_dir/cygnet-hub.pid"
pgrep -n -f "cygnet-proxy --listen 127.0.0.1:$port " >"$pids_dir/cygnet-proxy.pid"
cat >"$RUN_ROOT/current.env" <<ENV
HUB_URL=http://127.0.0.1:$port
PASSWORD=$PASSWORD
API_TOKEN=$token
UP_PID=$up_pid
RUN_DIR=$run_dir
MEMORY_PID_FILES="$pids_dir/cygnet-hub.pid $pids_dir/cygnet-proxy.pid"
ENV
log "ready at http://127.0.0.1:$port (hub $(cat "$pids_dir/cygnet-hub.pid"), proxy $(cat "$pids_dir/cygnet-proxy.pid"))"
