#!/usr/bin/env bash
# Integration test of kuryr-daemon on the real rig (kube-apiserver) and the real stack (Neutron with its Linux
# bridge agent), independent of the controller and of kuryr-cni: this test plays both.
#   setup     a Neutron network and subnet of its own (10.97.x.0/24), a port bound to the L2 agent's host with
#             device_owner compute:kuryr; a KuryrPort in the test's namespace, labelled with the daemon's node,
#             its status.vifs written through the shared VIF codec (vif_json) with active=false; a netns
#   status    /status answers 204 once the daemon's caches are synced; /ready 200
#   add       POST /addNetwork over the root-only socket (mode 0600): the daemon plugs the port (the host tap
#             joins brq, carries the attachment record), Neutron turns the port ACTIVE, the test then sets
#             active=true as the controller would, and the ADD answers 202 with the interface (name, MAC, MTU,
#             sandbox = the netns path), the address with its prefix and the gateway; in the netns eth0 has the
#             port's MAC, the network's MTU, the address and the default route
#   exists    a second ADD into the same netns is refused with 409 and leaves the first plug working
#   check     POST /checkNetwork: 204
#   timeout   an ADD for a pod with no KuryrPort ends with 504, code 11, within the configured timeout
#   stale     a DEL for an older container id of the same pod: 204, and the plug is untouched
#   sigkill   the daemon is SIGKILLed after the ADD and started again; its DEL then unplugs (eth0 and the tap
#             gone), a second DEL is 204 too; /metrics counts the ADDs and DELs
#   gc        a second plug, then POST /gc with an empty valid-attachments list removes its host device
# Leaves no process, netns, link, Neutron object or Kubernetes object behind. Exit 0 pass, 1 fail, 77 skip
# (not root, no rig, no stack). Environment: KURYR_DAEMON_BIN, KURYR_VIF_JSON_BIN (meson passes both).
set -uo pipefail
. "$(dirname "$0")/rig.sh"
. "$(dirname "$0")/pod_port.sh"
bin=${KURYR_DAEMON_BIN:-$repo/build/daemon/kuryr-daemon}
PP_VIF_JSON=${KURYR_VIF_JSON_BIN:-$repo/build/tests/integration/k8s/vif_json}

passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$bin" ] && [ -x "$PP_VIF_JSON" ] || { echo "FAIL: no daemon binary at $bin or $PP_VIF_JSON"; exit 1; }
eval "$("$repo/scripts/stack" env 2>/dev/null)" || skip "no stack environment"
rig_attach

tag=h20d$$
ns=kuryr-daemon-test-$$
netns=kuryr-dtest-$$
netns2=kuryr-dtest2-$$
# The daemon runs as a node of its own name (its port is still bound to the agent's host): its GC acts on
# every attachment record of its node, and must never reach the pods the rig's own daemon plugged.
node=kuryr-daemon-test-node-$$
work=$(mktemp -d /tmp/kuryr-daemon-test.XXXXXX)
sock=$work/cni.sock
hport=$((20000 + $$ % 10000))
crds_before=0
kubectl get crd kuryrports.openstack.org >/dev/null 2>&1 && crds_before=1
dpid=""

cleanup() {
    [ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    pp_cleanup
    ip netns del "$netns" 2>/dev/null
    ip netns del "$netns2" 2>/dev/null
    kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
    [ "$crds_before" = 0 ] && kubectl delete -f "$repo/etc/kubernetes/crds/" --ignore-not-found >/dev/null 2>&1
    rig_detach
    rm -rf "$work"
}
finish() {
    local rc=$?
    trap - EXIT
    cleanup
    echo "daemon: $passed passed, $failed failed"
    [ "$failed" = 0 ] && [ $rc = 0 ] && exit 0
    exit 1
}
trap finish EXIT
trap 'fail "interrupted"; exit 1' INT TERM
rig_pause_controller  # this test writes the KuryrPorts' VIFs and their activation itself

# wait_for WHAT CMD...: polls CMD (a liveness cap, not a timing assertion: 60 s is far beyond any bound here).
wait_for() {
    local what=$1 i; shift
    for ((i = 0; i < 600; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "timed out waiting for $what"
    return 1
}

start_daemon() {
    "$bin" --config-file "$work/kuryr.conf" >>"$work/daemon.log" 2>&1 &
    dpid=$!
    # Answering (not just the socket file: a SIGKILLed daemon leaves its file behind) and synced.
    wait_for "the daemon's /status 204" status_204
}
status_204() { [ "$(status_of "$(post status '{}')")" = 204 ]; }
# post VERB BODY: prints the body, then the HTTP status on a line of its own.
post() { curl -s --max-time 240 --unix-socket "$sock" -X POST -d "$2" -w '\n%{http_code}' "http://kuryr/$1"; }
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
cni_body() { # CONTAINER NETNS POD [UID]
    printf '{"CNI_COMMAND":"X","CNI_CONTAINERID":"%s","CNI_NETNS":"%s","CNI_IFNAME":"eth0","CNI_PATH":"/opt/cni/bin","CNI_ARGS":"IgnoreUnknown=1;K8S_POD_NAMESPACE=%s;K8S_POD_NAME=%s;K8S_POD_UID=%s","config_kuryr":{"cniVersion":"1.0.0","name":"kuryr","type":"kuryr-cni"}}' \
        "$1" "$2" "$ns" "$3" "${4:-}"
}

# ---- setup -------------------------------------------------------------------------------------------------
pp_neutron_login || skip "Keystone, Neutron or its Linux bridge agent unavailable (scripts/stack up)"
if [ "$crds_before" = 0 ]; then
    kubectl apply -f "$repo/etc/kubernetes/crds/" >/dev/null &&
        kubectl wait --for=condition=Established crd/kuryrports.openstack.org --timeout=60s >/dev/null ||
        { fail "CRDs"; exit 1; }
fi
kubectl create namespace "$ns" >/dev/null || { fail "namespace"; exit 1; }
sub=10.97.$(($$ % 200))
pp_network "$tag" "$sub.0/24" "$sub.1" || { fail "Neutron network"; exit 1; }
net_id=$pp_net_id mtu=$pp_mtu
# write_kp NAME UID PORT_ID MAC IP ACTIVE: the KuryrPort, its status.vifs through the status subresource.
write_kp() { pp_kuryrport "$ns" "$1" "$node" "$2" "$3" "$4" "$5" "$sub.0/24" "$sub.1" "$6"; }

uid=$(cat /proc/sys/kernel/random/uuid)
pp_port "$tag-pod1" "$uid" || { fail "Neutron port"; exit 1; }
port_id=$pp_port_id mac=$pp_mac ip=$pp_ip
tap="tap${port_id:0:11}"
write_kp pod1 "$uid" "$port_id" "$mac" "$ip" 0 || { fail "KuryrPort"; exit 1; }
ip netns add "$netns" && ip netns add "$netns2" || { fail "netns"; exit 1; }
cat >"$work/kuryr.conf" <<EOF
[DEFAULT]
debug = true
[kubernetes]
kubeconfig = $KUBECONFIG
[cni_daemon]
socket_path = $sock
node_name = $node
vif_annotation_timeout = 100
node_port = false
[cni_health_server]
port = $hport
EOF

# ---- status ------------------------------------------------------------------------------------------------
start_daemon
check "socket is root-only (0600)" test "$(stat -c %a "$sock")" = 600
pass "/status 204 once synced"
check "/ready 200" test "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$hport/ready")" = 200

# ---- add ---------------------------------------------------------------------------------------------------
cid=$(printf 'c1%062d' $$)
post addNetwork "$(cni_body "$cid" "/var/run/netns/$netns" pod1 "$uid")" >"$work/add.out" &
addpid=$!
tap_in_brq() { [ "$(basename "$(readlink "/sys/class/net/$tap/master" 2>/dev/null)")" = "brq${net_id:0:11}" ]; }
wait_for "the tap in brq${net_id:0:11}" tap_in_brq &&
    pass "host tap joined the Linux bridge"
check "the tap carries the attachment record" grep -q "^kuryr.cni:$node $cid eth0 $port_id bridge $mac\$" \
    "/sys/class/net/$tap/ifalias"
port_active() { [ "$(pp_neutron GET "ports/$port_id" | pp_py 'j["port"]["status"]')" = ACTIVE ]; }
wait_for "Neutron port ACTIVE" port_active && pass "Neutron port ACTIVE once plugged"
check "the ADD waits for active=true" kill -0 "$addpid"
write_kp pod1 "$uid" "$port_id" "$mac" "$ip" 1 || fail "set active"
wait "$addpid"
out=$(cat "$work/add.out")
check "ADD 202" test "$(status_of "$out")" = 202
body=$(body_of "$out")
expect=$(/usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
i = r["interfaces"][0]
ok = (i["name"] == "eth0" and i["mac"] == sys.argv[2] and i["mtu"] == int(sys.argv[3]) and i["sandbox"] == sys.argv[4]
      and r["ips"][0]["address"] == sys.argv[5] + "/24" and r["ips"][0]["interface"] == 0
      and r["ips"][0]["gateway"] == sys.argv[6] and {"dst": "0.0.0.0/0", "gw": sys.argv[6]} in r["routes"]
      and "cniVersion" not in r)
print("ok" if ok else "bad")' "$body" "$mac" "$mtu" "/var/run/netns/$netns" "$ip" "$sub.1" 2>&1)
check "ADD result (interface, MAC, MTU, sandbox, address, gateway, route): $body" test "$expect" = ok
check "eth0 in the netns has the port's MAC and MTU" \
    grep -q "mtu $mtu .*link/ether $mac" <<<"$(ip -n "$netns" -o link show eth0)"
check "eth0 has the address" grep -q "inet $ip/24" <<<"$(ip -n "$netns" -o addr show eth0)"
check "default route via the gateway" grep -q "default via $sub.1 dev eth0" <<<"$(ip -n "$netns" route)"

# ---- exists, check -----------------------------------------------------------------------------------------
out=$(post addNetwork "$(cni_body "$cid" "/var/run/netns/$netns" pod1 "$uid")")
check "second ADD into the same netns: 409" test "$(status_of "$out")" = 409
check "the first plug still works" test -e "/sys/class/net/$tap"
check "CHECK 204" test "$(status_of "$(post checkNetwork "$(cni_body "$cid" "/var/run/netns/$netns" pod1 "$uid")")")" = 204

# ---- timeout -----------------------------------------------------------------------------------------------
sed -i 's/^vif_annotation_timeout = .*/vif_annotation_timeout = 2/' "$work/kuryr.conf"
kill -TERM "$dpid" && wait "$dpid"
dpid=""
start_daemon
out=$(post addNetwork "$(cni_body "c-none" "/var/run/netns/$netns2" nopod)")
check "ADD without a KuryrPort: 504 with code 11" \
    test "$(status_of "$out")" = 504 -a "$(body_of "$out" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')" = 11

# ---- stale, sigkill ----------------------------------------------------------------------------------------
out=$(post delNetwork "$(cni_body "c0-older-sandbox" "/var/run/netns/$netns" pod1 "$uid")")
check "stale DEL (older container id): 204" test "$(status_of "$out")" = 204
plug_there() { ip -n "$netns" -o link show eth0 >/dev/null 2>&1; }
check "stale DEL left the plug alone" plug_there
kill -KILL "$dpid" && wait "$dpid" 2>/dev/null
dpid=""
start_daemon
out=$(post delNetwork "$(cni_body "$cid" "/var/run/netns/$netns" pod1 "$uid")")
check "DEL after the daemon was SIGKILLed and restarted: 204" test "$(status_of "$out")" = 204
check "eth0 gone from the netns" test -z "$(ip -n "$netns" -o link show eth0 2>/dev/null)"
check "host tap gone" test ! -e "/sys/class/net/$tap"
out=$(post delNetwork "$(cni_body "$cid" "" pod1 "$uid")")
check "repeated DEL without a netns: 204" test "$(status_of "$out")" = 204
metrics=$(curl -s "127.0.0.1:$hport/metrics")
check "/metrics counts DELs" grep -q '^kuryr_daemon_requests_total{command="DEL"} 2$' <<<"$metrics"
check "/metrics has the ADD latency histogram" grep -q '^kuryr_daemon_request_seconds_count{command="ADD"} ' <<<"$metrics"

# ---- gc ----------------------------------------------------------------------------------------------------
write_kp pod1 "$uid" "$port_id" "$mac" "$ip" 1 || fail "KuryrPort active"
out=$(post addNetwork "$(cni_body "c2" "/var/run/netns/$netns2" pod1 "$uid")")
check "ADD of a new sandbox (port already active): 202" test "$(status_of "$out")" = 202
out=$(post gc '{"CNI_COMMAND":"GC","CNI_PATH":"/opt/cni/bin","config_kuryr":{"cniVersion":"1.1.0","name":"kuryr","cni.dev/valid-attachments":[{"containerID":"c2","ifname":"eth0"}]}}')
check "GC keeping c2: 204, tap kept" test "$(status_of "$out")" = 204 -a -e "/sys/class/net/$tap"
out=$(post gc '{"CNI_COMMAND":"GC","CNI_PATH":"/opt/cni/bin","config_kuryr":{"cniVersion":"1.1.0","name":"kuryr","cni.dev/valid-attachments":[]}}')
check "GC with no valid attachment: 204, host tap gone" test "$(status_of "$out")" = 204 -a ! -e "/sys/class/net/$tap"
kill -TERM "$dpid" && wait "$dpid"
check "SIGTERM: exit 0" test $? = 0
dpid=""
check "no link left with this test's record" test -z "$(grep -l " $port_id " /sys/class/net/*/ifalias 2>/dev/null)"
if [ "$failed" != 0 ]; then echo "---- daemon log"; tail -n 60 "$work/daemon.log"; fi
