#!/usr/bin/env bash
# Stop what run-jupyterhub.sh started: the hub (which stops its single-user servers and the proxy itself on
# SIGTERM), then, by process id, anything of it still alive: the proxy and processes of the benchuNN users
# (single-user servers and their kernels). Safe to run when nothing is running.
set -uo pipefail

RUN_ROOT="${HUBBENCH_RUN_ROOT:-/tmp/hubbench-jupyterhub}"
ENV_FILE="$RUN_ROOT/current.env"
log() { printf '[stop-jupyterhub %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

alive() { kill -0 "$1" 2>/dev/null; }

# TERM one process, wait up to $2 seconds, then KILL it.
stop_pid() {
    local pid=$1 grace=${2:-10} what=${3:-process}
    alive "$pid" || return 0
    log "stopping $what (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 $((grace * 10))); do alive "$pid" || return 0; sleep 0.1; done
    log "$what (pid $pid) ignored SIGTERM for ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null
}

if [ -f "$ENV_FILE" ]; then
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    hub_pid=$(cat "$RUN_DIR/jupyterhub.pid" 2>/dev/null || echo "$HUB_PID")
    # Generous grace: on SIGTERM the hub stops every running single-user server before it exits.
    stop_pid "$hub_pid" 60 "JupyterHub"
    [ -f "$PROXY_PID_FILE" ] && stop_pid "$(cat "$PROXY_PID_FILE")" 10 "configurable-http-proxy"
    rm -f "$ENV_FILE"
else
    log "no $ENV_FILE: no hub of run-jupyterhub.sh is known to run"
fi

# Leftovers of single-user servers: every process owned by a benchuNN user (only the hub starts those),
# each stopped by its own pid.
uids=$(getent passwd | awk -F: '$1 ~ /^benchu[0-9]+$/ {print $3}')
if [ -n "$uids" ]; then
    for pid in $(ps -e -o pid=,uid= | awk -v list="$uids" 'BEGIN {n = split(list, u, /\n/); for (i = 1; i <= n; i++) want[u[i]] = 1}
                                                              want[$2] {print $1}'); do
        stop_pid "$pid" 5 "leftover process of a bench user"
    done
fi
log "stopped"
