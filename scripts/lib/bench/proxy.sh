#!/usr/bin/env bash
# Side-by-side benchmark of cygnet-proxy against nginx and configurable-http-proxy (CHP).
#
# HTTP: wrk pinned to CPU 1 (-t1 -c20 -d10s) fetches a small JSON file from an nginx backend,
#   (a) directly, (b) through an nginx reverse proxy, (c) through CHP, (d) through cygnet-proxy.
#   Peers are interleaved in rounds and the median of the rounds is reported.
# WebSocket: a client on CPU 1 does N sequential ping-pong round trips with an echo backend,
#   directly and through each proxy; the median added microseconds per round trip is reported.
#
# Safe to run repeatedly: every port is picked free at start, everything lives in a private
# temp dir, and every process started here is stopped on exit.
# Knobs (environment): ROUNDS, DURATION, WS_MESSAGES, CYGNET_ARGS (extra cygnet-proxy flags).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
WS_MESSAGES="${WS_MESSAGES:-20000}"
TOKEN="bench-$(date +%s%N)"
WORK="$(mktemp -d /tmp/proxy-bench.XXXXXX)"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() { command -v "$1" >/dev/null || { echo "missing $1: $2" >&2; exit 1; }; }
need wrk "apt-get install wrk"
need nginx "apt-get install nginx"
need taskset "apt-get install util-linux"

# --- tools -------------------------------------------------------------------------------
VENV="${CHP_VENV:-/opt/hubbench/chp-venv}"
if [[ ! -x "$VENV/bin/configurable-http-proxy" || ! -x "$VENV/bin/python" ]] \
    || ! "$VENV/bin/python" -c "import websockets" 2>/dev/null; then
    /usr/bin/python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q configurable-http-proxy websockets
fi
# scripts/bench has built the release binaries (scripts/install).
CYGNET="$ROOT/.build/release/cygnet-proxy"

free_ports() {
    "$VENV/bin/python" - "$1" <<'EOF'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}
read -r BACKEND WSBACKEND NGINX CHP CHP_API CYG CYG_API <<<"$(free_ports 7)"

start() { # start NAME COMMAND... : run in background, remember the pid
    local name="$1"; shift
    "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=("$!")
}

wait_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "port $1 did not open; logs in $WORK" >&2
    exit 1
}

# --- backend: nginx serving a small JSON file ---------------------------------------------
mkdir -p "$WORK/www" "$WORK/tmp"
chmod 755 "$WORK" # nginx workers run as an unprivileged user
echo '{"status":"ok","service":"cygnet","version":"1.0","users":42}' >"$WORK/www/data.json"
cat >"$WORK/backend.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/backend.pid;
error_log $WORK/backend-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
    uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$BACKEND;
        location / { root $WORK/www; default_type application/json; }
    }
}
EOF
start backend nginx -c "$WORK/backend.conf" -e "$WORK/backend-error.log"

# --- WebSocket echo backend ---------------------------------------------------------------
cat >"$WORK/ws_echo.py" <<'EOF'
import asyncio, sys
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main():
    async with serve(echo, "127.0.0.1", int(sys.argv[1]), compression=None):
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
EOF
start ws-backend "$VENV/bin/python" "$WORK/ws_echo.py" "$WSBACKEND"

# --- (b) nginx reverse proxy --------------------------------------------------------------
cat >"$WORK/nginx-proxy.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx-proxy.pid;
error_log $WORK/nginx-proxy-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
    uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
    upstream backend { server 127.0.0.1:$BACKEND; keepalive 64; }
    upstream wsbackend { server 127.0.0.1:$WSBACKEND; }
    server {
        listen 127.0.0.1:$NGINX;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /ws {
            proxy_pass http://wsbackend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 3600s;
        }
    }
}
EOF
start nginx-proxy nginx -c "$WORK/nginx-proxy.conf" -e "$WORK/nginx-proxy-error.log"

# --- (c) CHP and (d) cygnet-proxy, both configured through their REST API ------------------
start chp env CONFIGPROXY_AUTH_TOKEN="$TOKEN" "$VENV/bin/configurable-http-proxy" \
    --ip 127.0.0.1 --port "$CHP" --api-ip 127.0.0.1 --api-port "$CHP_API"
start cygnet env CYGNET_PROXY_AUTH_TOKEN="$TOKEN" "$CYGNET" \
    --listen "127.0.0.1:$CYG" --api-listen "127.0.0.1:$CYG_API" --log-level warning ${CYGNET_ARGS:-}

for port in "$BACKEND" "$WSBACKEND" "$NGINX" "$CHP" "$CHP_API" "$CYG" "$CYG_API"; do wait_port "$port"; done
for api in "$CHP_API" "$CYG_API"; do
    curl -fsS -H "Authorization: token $TOKEN" -X POST -d "{\"target\":\"http://127.0.0.1:$BACKEND\"}" \
        "http://127.0.0.1:$api/api/routes/" >/dev/null
    curl -fsS -H "Authorization: token $TOKEN" -X POST -d "{\"target\":\"http://127.0.0.1:$WSBACKEND\"}" \
        "http://127.0.0.1:$api/api/routes/ws" >/dev/null
done

declare -A PORT=([direct]=$BACKEND [nginx]=$NGINX [chp]=$CHP [cygnet]=$CYG)
PEERS=(direct nginx chp cygnet)
for peer in "${PEERS[@]}"; do
    body="$(curl -fsS "http://127.0.0.1:${PORT[$peer]}/data.json")"
    [[ "$body" == *'"users":42'* ]] || { echo "$peer does not serve the file: $body" >&2; exit 1; }
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- HTTP throughput ----------------------------------------------------------------------
echo "HTTP: wrk -t1 -c20 -d$DURATION on CPU 1, $ROUNDS interleaved rounds"
for peer in "${PEERS[@]}"; do # warm up connection pools and caches
    taskset -c 1 wrk -t1 -c20 -d2s "http://127.0.0.1:${PORT[$peer]}/data.json" >/dev/null
done
declare -A RPS
for round in $(seq "$ROUNDS"); do
    for peer in "${PEERS[@]}"; do
        out="$(taskset -c 1 wrk -t1 -c20 -d"$DURATION" --latency "http://127.0.0.1:${PORT[$peer]}/data.json")"
        if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
            echo "warning: $peer had errors: $(grep "Non-2xx\|Socket errors" <<<"$out")" >&2
        fi
        rps="$(awk '/Requests\/sec/ { print $2 }' <<<"$out")"
        p50="$(awk '$1 == "50%" { print $2 }' <<<"$out")"
        printf '  round %d  %-7s %10.0f req/s  p50 %s\n' "$round" "$peer" "$rps" "$p50"
        RPS[$peer]+="$rps "
    done
done

declare -A MED
for peer in "${PEERS[@]}"; do MED[$peer]="$(tr ' ' '\n' <<<"${RPS[$peer]}" | grep . | median)"; done

# --- WebSocket round-trip latency -----------------------------------------------------------
cat >"$WORK/ws_rtt.py" <<'EOF'
# Sequential ping-pong over one WebSocket with a minimal blocking client, so that the
# client's own overhead is small and identical for every peer. Prints the median RTT in µs.
import base64, os, socket, statistics, struct, sys, time

port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(4096)
if not head.startswith(b"HTTP/1.1 101"):
    sys.exit(f"upgrade refused: {head[:80]!r}")
pending = head.split(b"\r\n\r\n", 1)[1]

def recv_exact(n):
    global pending
    while len(pending) < n:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("connection closed")
        pending += chunk
    data, pending = pending[:n], pending[n:]
    return data

payload = b'{"msg_type":"status","content":{"execution_state":"idle"}}'
mask = os.urandom(4)
masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
frame = struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked
samples = []
for _ in range(count):
    start = time.perf_counter_ns()
    s.sendall(frame)
    header = recv_exact(2)
    body = recv_exact(header[1] & 0x7F)
    samples.append(time.perf_counter_ns() - start)
    assert body == payload
s.close()
print(f"{statistics.median(samples) / 1000:.1f}")
EOF

echo
echo "WebSocket: $WS_MESSAGES sequential round trips on CPU 1, $ROUNDS interleaved rounds"
declare -A WSPORT=([direct]=$WSBACKEND [nginx]=$NGINX [chp]=$CHP [cygnet]=$CYG)
declare -A ADDED
for round in $(seq "$ROUNDS"); do
    direct_rtt=""
    for peer in "${PEERS[@]}"; do
        rtt="$(taskset -c 1 "$VENV/bin/python" "$WORK/ws_rtt.py" "${WSPORT[$peer]}" "$WS_MESSAGES")"
        if [[ "$peer" == direct ]]; then
            direct_rtt="$rtt"
            printf '  round %d  %-7s median RTT %7.1f µs\n' "$round" "$peer" "$rtt"
        else
            added="$(awk -v a="$rtt" -v b="$direct_rtt" 'BEGIN { printf "%.1f", a - b }')"
            ADDED[$peer]+="$added "
            printf '  round %d  %-7s median RTT %7.1f µs  (+%s µs)\n' "$round" "$peer" "$rtt" "$added"
        fi
    done
done

# --- summary ------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "Summary (medians of $ROUNDS rounds)"
for peer in "${PEERS[@]}"; do
    printf '  %-7s %10.0f req/s  (%s of direct)\n' "$peer" "${MED[$peer]}" "$(ratio "${MED[$peer]}" "${MED[direct]}")"
done
echo "  cygnet / chp   = $(ratio "${MED[cygnet]}" "${MED[chp]}")x   (goal >= 10)"
echo "  cygnet / nginx = $(ratio "${MED[cygnet]}" "${MED[nginx]}")x   (goal >= 0.5)"
for peer in nginx chp cygnet; do
    printf '  WebSocket added latency %-7s %6.1f µs per round trip\n' "$peer" \
        "$(tr ' ' '\n' <<<"${ADDED[$peer]}" | grep . | median)"
done
