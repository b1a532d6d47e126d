#!/usr/bin/env bash
# Restarts the stack, so a runner calls it on its own: `up` twice is a no-op, and `down` leaves no stack
# process, no brq*/vxlan-*/tap* link and no qdhcp-* namespace. Ends with the stack up again, as it was
# found (or down, if it was down).
#   tests/integration/stack/test_stack_lifecycle.sh [--backend ovn] [--noauth]
# Exit 77 (skip) when not root.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
stack=$repo/scripts/stack
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
dir=${KURYR_STACK_DIR:-/var/lib/kuryr-stack}
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }

was_up=0
"$stack" env > /dev/null 2>&1 && was_up=1

"$stack" up "$@" > /tmp/stack-lifecycle-up1.log 2>&1 || { cat /tmp/stack-lifecycle-up1.log; not_ok "first up"; }
pids_before=$(cat "$dir"/run/*.pid 2> /dev/null | sort | tr '\n' ' ')
out=$("$stack" up "$@" 2>&1)
rc=$?
pids_after=$(cat "$dir"/run/*.pid 2> /dev/null | sort | tr '\n' ' ')
if [ $rc = 0 ] && grep -q "nothing to do" <<< "$out" && [ "$pids_before" = "$pids_after" ]; then
    ok "second up is a no-op (same PIDs)"
else
    not_ok "second up is a no-op (rc=$rc, PIDs before '$pids_before' after '$pids_after'): $out"
fi

st=$("$stack" status 2>&1) && ok "status reports every component up" || not_ok "status after up: $st"

"$stack" down > /tmp/stack-lifecycle-down.log 2>&1 && ok "down succeeds" || { cat /tmp/stack-lifecycle-down.log; not_ok "down"; }
left=""
# A zombie only waits for the adopting init to reap it: it runs nothing and holds nothing.
running() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2> /dev/null; }
for p in $pids_before; do running "$p" && left="$left $p($(tr '\0' ' ' < "/proc/$p/cmdline" | cut -c1-60))"; done
# Workers, beam.smp, containerd and dnsmasq are not in the PID files but name the state dir in their arguments.
# (k8s and kuryr daemons also name it, but are not the stack's own.)
for p in $(pgrep -f -- "$dir/(mysql|rabbitmq|docker|neutron|run|ovs|keystone|etc/(neutron|keystone))" || true); do
    [ "$p" = $$ ] || ! running "$p" || left="$left $p($(tr '\0' ' ' < "/proc/$p/cmdline" | cut -c1-60))"
done
[ -z "$left" ] && ok "no stack process left" || not_ok "stack processes left:$left"
links=$(ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep -E '^(brq|vxlan-|tap|br-int$|ovs-netdev$|genev_sys)' | tr '\n' ' ')
[ -z "$links" ] && ok "no brq*/vxlan-*/tap*/OVS link left" || not_ok "links left: $links"
ns=$(ip netns list | awk '{print $1}' | grep -E '^qdhcp-' | tr '\n' ' ')
[ -z "$ns" ] && ok "no qdhcp-* namespace left" || not_ok "namespaces left: $ns"
if ! (exec 3<> /dev/tcp/127.0.0.1/9696) 2> /dev/null; then ok "nothing listens on :9696"; else not_ok ":9696 still open"; fi
"$stack" status > /dev/null 2>&1 && not_ok "status says up after down" || ok "status reports down after down"

if [ $was_up = 1 ]; then
    # brought up with a descriptor of ours open (as under `flock FILE scripts/stack up`): no service keeps it
    marker=$(mktemp /tmp/stack-lifecycle-fd.XXXXXX)
    "$stack" up "$@" > /tmp/stack-lifecycle-up2.log 2>&1 7< "$marker" && ok "up again after down" || { cat /tmp/stack-lifecycle-up2.log; not_ok "up after down"; }
    holders=""
    for p in $(cat "$dir"/run/*.pid 2> /dev/null); do
        for q in $p $(pgrep -P "$p" 2> /dev/null); do
            ls -l "/proc/$q/fd" 2> /dev/null | grep -q -- "$marker" && holders="$holders $q"
        done
    done
    [ -z "$holders" ] && ok "no stack service inherited the caller's descriptors" ||
        not_ok "the caller's descriptor is held by:$holders"
    rm -f "$marker"
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
