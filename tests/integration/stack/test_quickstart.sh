#!/usr/bin/env bash
# The README's quick start, run as an operator would: `scripts/quickstart` must end with the two demo containers
# answering each other's pings and their Neutron ports ACTIVE with the containers' addresses; `scripts/quickstart
# down` must stop the daemon and the stack and leave no demo network or port in Neutron (checked after bringing
# the stack back up). Ends with the stack as it was found: up with the same back end, or down.
#   tests/integration/stack/test_quickstart.sh
# Uses KURYR_BUILD_DIR (default build) for the daemon. Exit 77 (skip) when not root.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$repo"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
dir=${KURYR_STACK_DIR:-/var/lib/kuryr-stack}
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }

# the running stack's back end, empty when it is down
current_backend() { scripts/stack env 2> /dev/null | sed -n "s/^export KURYR_STACK_BACKEND='\(.*\)'$/\1/p"; }
backend=$(current_backend)
# the quick start brings up the default (linuxbridge) stack: start from it
if [ -n "$backend" ] && [ "$backend" != linuxbridge ]; then
    scripts/stack down > /dev/null 2>&1
fi

log=$(mktemp)
restore() {
    rm -f "$log"
    if [ -z "$backend" ]; then
        scripts/stack down > /dev/null 2>&1
        return
    fi
    local now
    now=$(current_backend)
    [ -n "$now" ] && [ "$now" != "$backend" ] && scripts/stack down > /dev/null 2>&1
    scripts/stack up --backend "$backend" > /dev/null 2>&1 || echo "warning: the stack did not come back up"
}
trap restore EXIT

scripts/quickstart > "$log" 2>&1
rc=$?
sed 's/\x1b\[[0-9;]*m//g' "$log" | tail -n 25
if [ $rc = 0 ]; then ok "scripts/quickstart exits 0"; else not_ok "scripts/quickstart exited $rc"; fi

# "kuryr-demo-a: 10.77.0.x    kuryr-demo-b: 10.77.0.y"
read -r ip_a ip_b < <(sed -n 's/^kuryr-demo-a: \([0-9.]*\) *kuryr-demo-b: \([0-9.]*\)$/\1 \2/p' "$log")
if [[ ${ip_a:-} == 10.77.0.* && ${ip_b:-} == 10.77.0.* && $ip_a != "$ip_b" ]]; then
    ok "the two containers have distinct addresses in the demo subnet ($ip_a, $ip_b)"
else
    not_ok "container addresses: '${ip_a:-}' '${ip_b:-}'"
fi
# busybox: "3 packets transmitted, 3 packets received, 0% packet loss", with replies from b's address
if grep -q "3 packets received" "$log" && grep -q "bytes from ${ip_b:-none}:" "$log"; then
    ok "kuryr-demo-a's pings to kuryr-demo-b are answered"
else
    not_ok "no ping replies from kuryr-demo-b in the output"
fi
for ip in ${ip_a:-none} ${ip_b:-none}; do
    if grep -Eq "^[0-9a-f-]{36} +ACTIVE +$ip +([0-9a-f]{2}:){5}[0-9a-f]{2} +$(hostname)\$" "$log"; then
        ok "the Neutron port of $ip is ACTIVE, bound to this host"
    else
        not_ok "no ACTIVE Neutron port row for $ip"
    fi
done
neutron_net=$(sed -n 's/^Docker network kuryr-demo .* = Neutron network [^ ]* (\([0-9a-f-]*\)).*/\1/p' "$log")
[ -n "$neutron_net" ] && ok "the output names the Neutron network ($neutron_net)" || not_ok "no Neutron network in the output"

scripts/quickstart down > "$log" 2>&1
rc=$?
if [ $rc = 0 ]; then ok "scripts/quickstart down exits 0"; else not_ok "scripts/quickstart down exited $rc"; tail -20 "$log"; fi
if [ -f "$dir/quickstart/kuryr-libnetwork.pid" ] || pgrep -f "libnetwork/kuryr-libnetwork --config-file" > /dev/null ||
    [ -S /run/docker/plugins/kuryr.sock ]; then
    not_ok "kuryr-libnetwork is still running (or its socket is left)"
else
    ok "kuryr-libnetwork stopped, its socket removed"
fi
if scripts/stack status > /dev/null 2>&1; then not_ok "the stack still runs"; else ok "the stack is down"; fi
if ip -o link show | grep -Eq ' (tap|brq)[0-9a-f]{8}'; then
    not_ok "tap/brq links left: $(ip -o link show | grep -Eo ' (tap|brq)[0-9a-f-]+' | tr '\n' ' ')"
else
    ok "no tap or brq link left"
fi

# Neutron's side: bring the stack up again and look for the demo's network and ports
if scripts/stack up > /dev/null 2>&1; then
    left=$(eval "$(scripts/stack env)"; /usr/bin/python3 - "${neutron_net:-none}" <<'PY'
import sys
import openstack
conn = openstack.connect(cloud="kuryr-stack-admin")
net = conn.network.find_network(sys.argv[1]) if sys.argv[1] != "none" else None
ports = [p.id for p in conn.network.ports(device_owner="compute:kuryr")
         if any(ip["ip_address"].startswith("10.77.0.") for ip in p.fixed_ips)]
print(" ".join(([f"network {net.id}"] if net else []) + [f"port {p}" for p in ports]))
PY
)
    if [ -z "$left" ]; then ok "Neutron holds no demo network or port"; else not_ok "left in Neutron: $left"; fi
else
    not_ok "the stack did not come back up to check Neutron"
fi

echo "quickstart: $pass passed, $fail failed"
[ $fail = 0 ]
