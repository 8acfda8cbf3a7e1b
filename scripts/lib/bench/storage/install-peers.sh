#!/usr/bin/env bash
# Installs what `scripts/bench storage` needs: Apache with mod_dav (apache2), nginx with its dav and dav-ext modules,
# nextcloudcmd and curl. Safe to run again: it installs only what is missing.
#
# The benchmark starts private Apache and nginx instances on free loopback ports; it never uses the system-wide
# services. Debian's packages start those services on install (unless a policy-rc.d forbids it), where they would hold
# port 80 and take memory and CPU while we measure. So a service whose package this run installs is stopped and
# disabled at once. A service that was installed before is left as it was (someone may use it); a running one is only
# reported, since our instances do not share its port.
set -euo pipefail
# shellcheck source=../../common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../common.sh"

packages=(apache2 nginx libnginx-mod-http-dav-ext nextcloud-desktop-cmd curl)
services=(apache2 nginx)

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# stop_and_disable SERVICE: works with systemd as PID 1 and without it (containers, where `service` runs the init
# script); `systemctl disable` edits the unit links even when systemd is not running.
stop_and_disable() {
    local service="$1"
    service "$service" stop >/dev/null 2>&1 || true
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable --quiet "$service" >/dev/null 2>&1 || true
    fi
    update-rc.d "$service" disable >/dev/null 2>&1 || true
    cygnet_note "stopped and disabled the system-wide $service service (the benchmark runs its own instances)"
}

# The pid file each Debian service writes when it runs.
system_pid_file() {
    case "$1" in
    apache2) echo /run/apache2/apache2.pid ;;
    nginx) echo /run/nginx.pid ;;
    esac
}

freshly_installed=()
for service in "${services[@]}"; do
    is_installed "$service" || freshly_installed+=("$service")
done

cygnet_apt_ensure "${packages[@]}"

for service in "${freshly_installed[@]}"; do
    stop_and_disable "$service"
done

for service in "${services[@]}"; do
    pid_file=$(system_pid_file "$service")
    if [[ -s "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        cygnet_note "note: the system-wide $service service is running (pid $(cat "$pid_file")); it is left alone," \
            "but it takes memory and some CPU beside the benchmark"
    fi
done
