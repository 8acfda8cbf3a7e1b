# shellcheck shell=bash
# Shared helpers for scripts/install, scripts/up, scripts/test and scripts/bench.
# Sourced, not run. Every function prints at most one progress line per long step.

CYGNET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CYGNET_ROOT

# The toolchain lives in /opt/swift on our machines; make it reachable even from a login
# shell that did not put it on PATH.
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    PATH="/opt/swift/usr/bin:$PATH"
    export PATH
fi

cygnet_die() {
    echo "error: $*" >&2
    exit 1
}

cygnet_note() {
    echo "==> $*"
}

# cygnet_run_step LOG LABEL COMMAND...
# Runs COMMAND with its output sent to LOG, printing one line: "==> LABEL … done (N s)".
# On failure prints the last 40 lines of LOG and returns the command's exit status.
cygnet_run_step() {
    local log="$1" label="$2"
    shift 2
    mkdir -p "$(dirname "$log")"
    local started=$SECONDS status=0
    printf '==> %s … ' "$label"
    "$@" >"$log" 2>&1 || status=$?
    local elapsed=$((SECONDS - started))
    if ((status == 0)); then
        echo "done (${elapsed} s)"
    else
        echo "FAILED after ${elapsed} s (exit ${status})"
        if grep -q 'error:' "$log"; then
            echo "---- first errors in $log ----" >&2
            grep -m 20 'error:' "$log" >&2 || true
        fi
        echo "---- last 40 lines of $log ----" >&2
        tail -n 40 "$log" >&2
        echo "---- end of $log ----" >&2
    fi
    return "$status"
}

# What the Swift toolchain and our packages need that a minimal Debian 12 may lack.
# SQLite is bundled by sqlite-nio and TLS by swift-nio-ssl, so no -dev packages for them;
# SwiftPM itself loads libcurl4, libxml2, libsqlite3-0 and libncurses6 at run time.
# shellcheck disable=SC2034 # used by the scripts that source this file
CYGNET_TOOLCHAIN_PACKAGES=(
    ca-certificates git pkg-config
    libc6-dev libgcc-12-dev libstdc++-12-dev zlib1g-dev libdeflate-dev
    libssl-dev libsqlite3-dev libcurl4-openssl-dev libfuse3-dev fuse3
    libcurl4 libxml2 libsqlite3-0 libncurses6
)

cygnet_require_swift() {
    command -v swift >/dev/null 2>&1 || cygnet_die "the Swift toolchain is not installed (expected 'swift' on PATH or in /opt/swift/usr/bin).
       Install Swift 6.3 for Debian 12 from swift.org, then run this again."
}

# cygnet_apt_ensure PACKAGE...
# Installs the Debian packages that are not installed yet. Runs 'apt-get update' at most once
# per script run, and only when something is missing.
cygnet_apt_ensure() {
    local missing=() package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$package")
        fi
    done
    ((${#missing[@]} == 0)) && return 0

    if [[ $(id -u) -ne 0 ]]; then
        cygnet_die "these Debian packages are missing: ${missing[*]}
       Run this script as root, or install them first: sudo apt-get install ${missing[*]}"
    fi
    command -v apt-get >/dev/null 2>&1 || cygnet_die "apt-get not found: Cygnet's scripts expect Debian 12"

    local log="$CYGNET_ROOT/.build/logs/apt.log"
    export DEBIAN_FRONTEND=noninteractive
    if [[ -z "${CYGNET_APT_UPDATED:-}" ]]; then
        cygnet_run_step "$log.update" "apt-get update" apt-get update ||
            cygnet_die "apt-get update failed (see $log.update)"
        CYGNET_APT_UPDATED=1
        export CYGNET_APT_UPDATED
    fi
    cygnet_run_step "$log" "installing Debian packages: ${missing[*]}" \
        apt-get install -y --no-install-recommends "${missing[@]}" ||
        cygnet_die "could not install: ${missing[*]} (see $log)"
}

# cygnet_is_up_to_date BINARY: true when BINARY exists and no file in Sources/ or Package.swift
# is newer than it.
cygnet_is_up_to_date() {
    local binary="$1"
    [[ -x "$binary" ]] || return 1
    local newer
    newer=$(cd "$CYGNET_ROOT" && find Sources Package.swift -newer "$binary" -print -quit 2>/dev/null)
    [[ -z "$newer" ]]
}

# The Python environment for end-to-end tests and benchmarks: .build/test-venv.
cygnet_python_venv() {
    cygnet_requirements_venv "$CYGNET_ROOT/.build/test-venv" "$CYGNET_ROOT/Tests/EndToEnd/requirements.txt" \
        venv "Python test packages"
}

# The Python environment sessions run (jupyterhub-singleuser and JupyterLab) until the software
# repositories provide stacks: /opt/cygnet/jupyter, made from Debian's /usr/bin/python3 so that
# every per-user Unix account can run it.
CYGNET_SESSION_PYTHON=/opt/cygnet/jupyter
cygnet_session_python() {
    cygnet_requirements_venv "$CYGNET_SESSION_PYTHON" "$CYGNET_ROOT/scripts/lib/session-requirements.txt" \
        session-venv "JupyterLab and jupyterhub-singleuser (about a minute)"
}

# cygnet_requirements_venv VENV REQUIREMENTS LOG-NAME WHAT
# A venv from Debian's /usr/bin/python3 (one made from another Python may point into root's home)
# holding REQUIREMENTS; does nothing when it already holds exactly that file's contents.
cygnet_requirements_venv() {
    local venv="$1" requirements="$2" log="$CYGNET_ROOT/.build/logs/$3" what="$4"
    local stamp="$venv/.requirements.sha256"
    local wanted
    wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        return 0
    fi
    [[ -x "$venv/bin/python" ]] ||
        cygnet_run_step "$log.log" "creating Python environment $venv" /usr/bin/python3 -m venv "$venv" ||
        cygnet_die "could not create the Python environment $venv (is python3-venv installed?)"
    cygnet_run_step "$log-pip.log" "installing $what into $venv" \
        "$venv/bin/pip" install --disable-pip-version-check --no-input -r "$requirements" ||
        cygnet_die "pip install failed (see $log-pip.log)"
    chmod -R a+rX "$venv" # session accounts run the session environment
    echo "$wanted" >"$stamp"
}
