#!/usr/bin/env bash
# Cinder's part of the stack on its own: `up --cinder` twice is a no-op, `down --cinder` leaves no Cinder process,
# no share mount, no loop device on the share image and nothing on :8776 while the rest of the stack runs on, and
# `up --cinder` brings it back. Ends with Cinder up (it is only run on a stack with Cinder).
# Exit 77 (skip) when not root or the stack does not run Cinder.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
stack=$repo/scripts/stack
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
envs=$("$stack" env 2> /dev/null)
grep -q KURYR_STACK_CINDER=1 <<< "$envs" || { echo "SKIP: the stack does not run Cinder"; exit 77; }
dir=${KURYR_STACK_DIR:-/var/lib/kuryr-stack}
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }
running() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2> /dev/null; }
share_mounts() { awk -v b="$dir/cinder/mnt/" 'index($2, b) == 1 {print $2}' /proc/self/mounts; }
share_loops() { losetup -j "$dir/cinder/share.img" -O NAME -n 2> /dev/null; }

others_before=$(for c in mariadb rabbitmq keystone neutron-server dockerd; do cat "$dir/run/$c.pid"; done | tr '\n' ' ')
cinder_pids=$(for c in cinder-api cinder-scheduler cinder-volume; do cat "$dir/run/$c.pid" 2> /dev/null; done)
out=$("$stack" up --cinder 2>&1)
grep -q "nothing to do" <<< "$out" && ok "up --cinder on a stack with Cinder is a no-op" || not_ok "second up --cinder: $out"
[ -n "$(share_mounts)" ] && [ -n "$(share_loops)" ] && ok "share mounted from a loop device" ||
    not_ok "share not mounted ($(share_mounts)) or no loop device ($(share_loops))"
st=$("$stack" status 2>&1)
grep -q "cinder API .* answers" <<< "$st" && ok "status shows the Cinder API" || not_ok "status: no Cinder API line"

"$stack" down --cinder > /tmp/stack-cinder-down.log 2>&1 && ok "down --cinder succeeds" ||
    { cat /tmp/stack-cinder-down.log; not_ok "down --cinder"; }
left=""
for p in $cinder_pids $(pgrep -f -- "$dir/etc/cinder" || true); do
    running "$p" && left="$left $p($(tr '\0' ' ' < "/proc/$p/cmdline" | cut -c1-60))"
done
[ -z "$left" ] && ok "no Cinder process left" || not_ok "Cinder processes left:$left"
[ -z "$(share_mounts)" ] && ok "no share mount left" || not_ok "mounts left: $(share_mounts)"
[ -z "$(share_loops)" ] && ok "no loop device left on the share image" || not_ok "loop devices left: $(share_loops)"
if ! (exec 3<> /dev/tcp/127.0.0.1/8776) 2> /dev/null; then ok "nothing listens on :8776"; else not_ok ":8776 still open"; fi
envs=$("$stack" env)
grep -q KURYR_STACK_CINDER <<< "$envs" && not_ok "env still names Cinder" || ok "env no longer names Cinder"
others_after=$(for c in mariadb rabbitmq keystone neutron-server dockerd; do cat "$dir/run/$c.pid"; done | tr '\n' ' ')
[ "$others_before" = "$others_after" ] && "$stack" status > /dev/null && ok "the rest of the stack ran on untouched" ||
    not_ok "other services changed: '$others_before' -> '$others_after'"

"$stack" up --cinder > /tmp/stack-cinder-up.log 2>&1 && ok "up --cinder brings it back" ||
    { cat /tmp/stack-cinder-up.log; not_ok "up --cinder again"; }
"$stack" status > /dev/null && ok "status reports every component up" || not_ok "status after up --cinder"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
