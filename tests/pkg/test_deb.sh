#!/usr/bin/env bash
# Builds the .debs from the committed tree, installs them, checks the installed layout, runs the e2e suite
# against the installed daemon, then purges the packages and checks that nothing they made is left.
#
#   flock /tmp/kuryr-e2e.lock tests/pkg/test_deb.sh
# Needs root, the local stack (eval "$(scripts/stack env)") and scripts/install-deps pkg test.
# Environment: KURYR_E2E_PLUGIN (default kuryrd), KURYR_PKG_E2E (pytest targets, default the Docker-path
# tests). Exit 77 = skipped.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
plugin=${KURYR_E2E_PLUGIN:-kuryrd}
tests=${KURYR_PKG_E2E:-tests/e2e/test_network_lifecycle.py tests/e2e/test_containers.py tests/e2e/test_protocol.py
    tests/e2e/test_kuryrctl.py}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i)"
[ -n "${KURYR_STACK_CONF:-}" ] || skip "the local stack is not up (eval \"\$(scripts/stack env)\")"
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || skip "scripts/install-deps pkg first"
for p in kuryr-libnetwork kuryrctl; do
    # an installation that was there before is the operator's: never replace or purge it
    case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" in *"ok installed"*) skip "$p is already installed" ;; esac
done

# Everything the packages (and their maintainer scripts) may create; each must be gone after the purge
# unless it existed before.
paths=(/etc/kuryr /usr/libexec/kuryr /usr/lib/docker/plugins/kuryr /lib/systemd/system/kuryr-libnetwork.service
       /etc/systemd/system/multi-user.target.wants/kuryr-libnetwork.service
       /var/lib/systemd/deb-systemd-helper-enabled/kuryr-libnetwork.service.dsh-also
       /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/kuryr-libnetwork.service
       /usr/bin/kuryr-libnetwork /usr/sbin/kuryrctl)
declare -A existed=()
for p in "${paths[@]}"; do [ -e "$p" ] || [ -L "$p" ] && existed[$p]=1; done

work=$(mktemp -d /tmp/kuryr-pkg.XXXXXX)
installed=0
cleanup() {
    local rc=$?
    if [ $installed = 1 ]; then
        dpkg --purge kuryrctl kuryr-libnetwork >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; rc=1; }
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT

echo "== building the packages from HEAD"
mkdir "$work/src"
git -C "$top" archive HEAD | tar -x -C "$work/src"
(cd "$work/src" && dpkg-buildpackage -us -uc -b -j2 >"$work/build.log" 2>&1) || { tail -40 "$work/build.log"; exit 1; }
ls "$work"/*.deb

echo "== installing"
installed=1
dpkg -i "$work"/kuryr-libnetwork_*.deb "$work"/kuryrctl_*.deb >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }

fail=0
check() { if "$@"; then echo "ok: $*"; else echo "FAIL: $*"; fail=1; fi; }
check test -x /usr/bin/kuryr-libnetwork
check test -x /usr/sbin/kuryrctl
check test -f /etc/kuryr/kuryr.conf.sample
check test -f /lib/systemd/system/kuryr-libnetwork.service
check test -f /usr/lib/docker/plugins/kuryr/kuryr.spec
# Docker is pointed at the root-only socket, never at a TCP port by default
check grep -qx "unix:///run/docker/plugins/kuryr.sock" /usr/lib/docker/plugins/kuryr/kuryr.spec
check test -x /usr/libexec/kuryr/example
check test -f /usr/share/man/man8/kuryr-libnetwork.8.gz
check test -f /usr/share/man/man8/kuryrctl.8.gz
check grep -q "ExecStart=/usr/bin/kuryr-libnetwork" /lib/systemd/system/kuryr-libnetwork.service
check sh -c '/usr/bin/kuryr-libnetwork --version | grep -q "^kuryr-libnetwork "'
check sh -c '/usr/sbin/kuryrctl --version | grep -q "^kuryrctl "'
check sh -c '/usr/bin/kuryr-libnetwork --config-file "$KURYR_STACK_CONF" --dump-config | grep -q "config-reference"'
if command -v systemd-analyze >/dev/null; then
    # PID 1 is not systemd here, so the unit can be verified but not started
    check sh -c 'systemd-analyze verify /lib/systemd/system/kuryr-libnetwork.service 2>&1 | grep -v "docker.service\|keystone.service\|Dependency After" | { ! grep .; }'
fi

echo "== e2e suite against /usr/bin/kuryr-libnetwork and /usr/sbin/kuryrctl (plugin $plugin)"
# shellcheck disable=SC2086
(cd "$top" && KURYR_LIBNETWORK_BIN=/usr/bin/kuryr-libnetwork KURYRCTL_BIN=/usr/sbin/kuryrctl KURYR_E2E_PLUGIN=$plugin \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider $tests) || fail=1

echo "== purging"
dpkg --purge kuryrctl kuryr-libnetwork >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail=1; }
installed=0
for p in "${paths[@]}"; do
    if [ -z "${existed[$p]:-}" ] && { [ -e "$p" ] || [ -L "$p" ]; }; then
        echo "FAIL: $p left behind after purge"
        fail=1
    fi
done
[ $fail = 0 ] && echo "PASS: package built, installed, e2e passed, purged without leftovers"
exit $fail
