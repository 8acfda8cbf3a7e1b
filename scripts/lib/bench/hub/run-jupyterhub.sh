#!/usr/bin/env bash
# Set up and start the peer for hubbench: JupyterHub 6.1.1 with PAM logins, LocalProcessSpawner and the
# Python port of configurable-http-proxy, on free loopback ports.
#
#   ./run-jupyterhub.sh          # install what is missing, (re)start the hub, print how to reach it
#   ./stop-jupyterhub.sh         # stop the hub, the proxy and every single-user server
#
# Safe to run twice: a hub started earlier by this script is stopped first, and every run gets a fresh
# state directory (database, cookie secret, config, logs), so no server or session carries over.
#
# Settings (environment):
#   HUBBENCH_VENV        the hub's virtualenv               (/opt/hubbench/jupyterhub-venv)
#   HUBBENCH_USERS       users benchu01..benchuNN, made as Unix users (PAM) and registered in the hub (100)
#   HUBBENCH_PASSWORD    password of the Unix users          (hubbench-pw-2026; loopback-only test accounts)
#   HUBBENCH_PORT        public port of the proxy            (a free one)
#   HUBBENCH_RUN_ROOT    where run directories are made      (/tmp/hubbench-jupyterhub)
#
# Writes $HUBBENCH_RUN_ROOT/current.env (sourceable: HUB_URL, HUB_PID, PROXY_PID_FILE, MEMORY_PID_FILES,
# API_TOKEN, PASSWORD, RUN_DIR)
# for hubbench.py and stop-jupyterhub.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${HUBBENCH_VENV:-/opt/hubbench/jupyterhub-venv}"
USERS="${HUBBENCH_USERS:-100}"
PASSWORD="${HUBBENCH_PASSWORD:-hubbench-pw-2026}"
RUN_ROOT="${HUBBENCH_RUN_ROOT:-/tmp/hubbench-jupyterhub}"
JUPYTERHUB_VERSION=6.1.1

log() { printf '[run-jupyterhub %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "run as root (PAM needs /etc/shadow, the spawner needs setuid)" >&2; exit 1; }

# --- 1. the virtualenv --------------------------------------------------------------------------------------
# Debian's /usr/bin/python3 on purpose: each single-user server runs as its own Unix user and must be able to
# execute the venv's interpreter; a venv made from the pyenv python under /root is not reachable for them.
if ! "$VENV/bin/python" -c 'import jupyterhub, sys; sys.exit(jupyterhub.__version__ != "'"$JUPYTERHUB_VERSION"'")' 2>/dev/null \
   || [ ! -x "$VENV/bin/configurable-http-proxy" ] || [ ! -x "$VENV/bin/jupyter-lab" ]; then
    if [ ! -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import ensurepip' 2>/dev/null; then
        log "installing python3-venv"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    log "creating $VENV and installing jupyterhub==$JUPYTERHUB_VERSION configurable-http-proxy jupyterlab"
    mkdir -p "$(dirname "$VENV")"
    /usr/bin/python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check \
        "jupyterhub==$JUPYTERHUB_VERSION" configurable-http-proxy jupyterlab
fi
chmod -R a+rX "$VENV"

# --- 2. Unix users for PAM ----------------------------------------------------------------------------------
# All of them are Unix users, even those that never log in: JupyterHub's PAM (Local)Authenticator refuses to
# register a hub user that has no Unix account.
created=0
credentials=""
for i in $(seq 1 "$USERS"); do
    u=$(printf 'benchu%02d' "$i")
    if ! id "$u" >/dev/null 2>&1; then
        useradd --create-home --shell /bin/bash "$u"
        created=$((created + 1))
    fi
    credentials+="$u:$PASSWORD"$'\n'
done
printf '%s' "$credentials" | chpasswd
log "Unix users benchu01..$(printf 'benchu%02d' "$USERS") ready ($created created), password '$PASSWORD'"

# --- 3. stop an earlier run ---------------------------------------------------------------------------------
if [ -f "$RUN_ROOT/current.env" ]; then
    log "stopping the hub of an earlier run"
    "$HERE/stop-jupyterhub.sh"
fi

# --- 4. a fresh run directory and config --------------------------------------------------------------------
mkdir -p "$RUN_ROOT"
# Keep the logs of the last few runs only.
ls -1dt "$RUN_ROOT"/run.* 2>/dev/null | tail -n +5 | while read -r old; do rm -rf -- "$old"; done
RUN_DIR=$(mktemp -d "$RUN_ROOT/run.XXXXXX")
chmod 700 "$RUN_DIR"
read -r PORT HUB_PORT API_PORT < <(/usr/bin/python3 - <<'EOF'
import socket
# Bind all three at once so they are distinct; a tiny race with other programs remains, as with any free port.
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)
PORT="${HUBBENCH_PORT:-$PORT}"
API_TOKEN=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))')

cat >"$RUN_DIR/jupyterhub_config.py" <<EOF
# Written by run-jupyterhub.sh for hubbench; the peer configured as a small class server would be.
c = get_config()  # noqa

c.JupyterHub.bind_url = "http://127.0.0.1:$PORT"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:$HUB_PORT"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:$API_PORT"
# The PyPI (Python) port of configurable-http-proxy; named explicitly so PATH order cannot pick another one.
c.ConfigurableHTTPProxy.command = ["$VENV/bin/configurable-http-proxy"]
c.ConfigurableHTTPProxy.pid_file = "$RUN_DIR/jupyterhub-proxy.pid"
c.JupyterHub.db_url = "sqlite:///$RUN_DIR/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "$RUN_DIR/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "$RUN_DIR/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allow_all = True

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = ["$VENV/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300

# An API token for the harness and this script (registering users, reading the user list).
c.JupyterHub.services = [{"name": "hubbench", "api_token": "$API_TOKEN"}]
c.JupyterHub.load_roles = [{
    "name": "hubbench",
    "scopes": ["admin:users", "admin:servers", "list:users", "read:users"],
    "services": ["hubbench"],
}]
EOF

# --- 5. start --------------------------------------------------------------------------------------------------
# A clean PATH with the venv first: the hub and the proxy must not pick pyenv shims from root's environment.
log "starting JupyterHub on http://127.0.0.1:$PORT (state in $RUN_DIR)"
(
    cd "$RUN_DIR"
    exec env -i HOME=/root LANG=C.UTF-8 \
        PATH="$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        setsid "$VENV/bin/jupyterhub" -f "$RUN_DIR/jupyterhub_config.py" \
        >"$RUN_DIR/jupyterhub.log" 2>&1 </dev/null
) &
HUB_PID=$!

cat >"$RUN_ROOT/current.env" <<EOF
RUN_DIR=$RUN_DIR
HUB_URL=http://127.0.0.1:$PORT
HUB_PID=$HUB_PID
PROXY_PID_FILE=$RUN_DIR/jupyterhub-proxy.pid
MEMORY_PID_FILES="$RUN_DIR/jupyterhub.pid $RUN_DIR/jupyterhub-proxy.pid"
API_TOKEN=$API_TOKEN
PASSWORD=$PASSWORD
USERS=$USERS
EOF

# Ready when the hub answers through the proxy (so the proxy is up and routes /hub/).
deadline=$((SECONDS + 120))
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/hub/api" 2>/dev/null; do
    if ! kill -0 "$HUB_PID" 2>/dev/null; then
        log "JupyterHub exited; last lines of $RUN_DIR/jupyterhub.log:"; tail -30 "$RUN_DIR/jupyterhub.log" >&2; exit 1
    fi
    [ $SECONDS -lt $deadline ] || { log "JupyterHub did not answer within 120 s"; tail -30 "$RUN_DIR/jupyterhub.log" >&2; exit 1; }
    sleep 0.5
done
log "JupyterHub answers (pid $HUB_PID, proxy pid $(cat "$RUN_DIR/jupyterhub-proxy.pid" 2>/dev/null || echo '?'))"

# --- 6. register users ----------------------------------------------------------------------------------------
# Registered = known to the hub's database without ever having logged in, which is what the memory figure's
# "100 registered users" means. The POST skips names that already exist (409 when all do).
names=$(/usr/bin/python3 -c "import json; print(json.dumps({'usernames': ['benchu%02d' % i for i in range(1, $USERS + 1)]}))")
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: token $API_TOKEN" \
    -H 'Content-Type: application/json' --data "$names" "http://127.0.0.1:$PORT/hub/api/users")
case "$code" in
    201|409) ;;
    *) log "registering users failed: HTTP $code"; exit 1 ;;
esac
total=$(curl -fsS -H "Authorization: token $API_TOKEN" -H 'Accept: application/jupyterhub-pagination+json' \
    "http://127.0.0.1:$PORT/hub/api/users?limit=1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["_pagination"]["total"])')
log "$total users registered in the hub"

cat <<EOF
JupyterHub $JUPYTERHUB_VERSION is ready: http://127.0.0.1:$PORT/
  source $RUN_ROOT/current.env   # HUB_URL, HUB_PID, PROXY_PID_FILE, API_TOKEN, PASSWORD
  log: $RUN_DIR/jupyterhub.log
  stop: $HERE/stop-jupyterhub.sh
EOF
