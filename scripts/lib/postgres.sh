# shellcheck shell=bash
# A throwaway PostgreSQL cluster for the store tests. Source this file, then:
#
#   cygnet_postgres_start        # exports CYGNET_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/cygnet_test?sslmode=disable
#   trap cygnet_postgres_stop EXIT
#   swift test ...
#   cygnet_postgres_stop         # stops the server and removes its directory
#
# The cluster lives in a temporary directory, listens only on 127.0.0.1 (and on a socket in that directory), trusts
# every local connection and runs without fsync: for tests only. Both functions are safe to call twice. Progress goes
# to stderr, one line per step. Installs Debian's postgresql package if no initdb is found (needs root).

cygnet_postgres__say() {
    echo "postgres: $*" >&2
}

cygnet_postgres__fail() {
    echo "postgres: error: $*" >&2
    return 1
}

# Runs a PostgreSQL program as the postgres user when we are root (the server refuses to run as root).
cygnet_postgres__as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cygnet_postgres__bin_dir() {
    local initdb
    initdb=$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
    [ -n "$initdb" ] && dirname "$initdb"
}

cygnet_postgres__install() {
    if [ -n "$(cygnet_postgres__bin_dir)" ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        cygnet_postgres__fail "PostgreSQL is not installed and we are not root; run: sudo apt-get install -y postgresql"
        return 1
    fi
    cygnet_postgres__say "installing PostgreSQL from Debian (apt-get update; apt-get install -y postgresql)"
    local log
    log=$(mktemp /tmp/cygnet-postgres-apt.XXXXXX.log)
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; } >"$log" 2>&1; then
        cygnet_postgres__fail "apt-get could not install postgresql; see $log"
        return 1
    fi
    rm -f "$log"
    if [ -z "$(cygnet_postgres__bin_dir)" ]; then
        cygnet_postgres__fail "postgresql was installed but /usr/lib/postgresql/*/bin/initdb is still missing"
        return 1
    fi
}

# A port nobody listens on now; the start is retried with another one if it is taken meanwhile.
cygnet_postgres__free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

cygnet_postgres_start() {
    if [ -n "${CYGNET_POSTGRES_DIR:-}" ] && [ -f "$CYGNET_POSTGRES_DIR/data/postmaster.pid" ]; then
        cygnet_postgres__say "already running: ${CYGNET_TEST_POSTGRES_URL:-}"
        return 0
    fi
    cygnet_postgres__install || return 1
    local bin dir port started=""
    bin=$(cygnet_postgres__bin_dir)

    dir=$(mktemp -d /tmp/cygnet-postgres.XXXXXX) || { cygnet_postgres__fail "cannot create a temporary directory"; return 1; }
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$dir"
    fi
    chmod 700 "$dir"
    export CYGNET_POSTGRES_DIR="$dir" CYGNET_POSTGRES_BIN="$bin"

    cygnet_postgres__say "creating a cluster in $dir with $bin/initdb"
    if ! cygnet_postgres__as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        cygnet_postgres_stop
        cygnet_postgres__fail "initdb failed (output above)"
        return 1
    fi

    for _ in 1 2 3 4 5; do
        port=$(cygnet_postgres__free_port) || break
        cygnet_postgres__say "starting the server on 127.0.0.1:$port"
        if cygnet_postgres__as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
            "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null 2>&1; then
            started=yes
            break
        fi
        tail -n 5 "$dir/server.log" >&2 2>/dev/null
    done
    if [ -z "$started" ]; then
        cygnet_postgres_stop
        cygnet_postgres__fail "the server did not start (log above)"
        return 1
    fi

    cygnet_postgres__say "creating database cygnet_test"
    if ! cygnet_postgres__as_owner "$bin/createdb" -h "$dir" -p "$port" -U postgres cygnet_test; then
        cygnet_postgres_stop
        cygnet_postgres__fail "createdb cygnet_test failed"
        return 1
    fi
    export CYGNET_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/cygnet_test?sslmode=disable"
    cygnet_postgres__say "ready: CYGNET_TEST_POSTGRES_URL=$CYGNET_TEST_POSTGRES_URL"
}

cygnet_postgres_stop() {
    local dir="${CYGNET_POSTGRES_DIR:-}" bin="${CYGNET_POSTGRES_BIN:-}"
    if [ -z "$dir" ]; then
        cygnet_postgres__say "not running; nothing to stop"
        return 0
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        cygnet_postgres__say "stopping the server in $dir"
        if ! cygnet_postgres__as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1; then
            echo "postgres: warning: pg_ctl stop failed; the end of its log:" >&2
            tail -n 5 "$dir/server.log" >&2 2>/dev/null
        fi
    fi
    cygnet_postgres__say "removing $dir"
    rm -rf "$dir"
    unset CYGNET_POSTGRES_DIR CYGNET_POSTGRES_BIN CYGNET_TEST_POSTGRES_URL
}
