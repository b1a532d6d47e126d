#!/usr/bin/env bash
# The external CNI judges against kuryr-cni and the REAL kuryr-daemon, on the rig (kube-apiserver) and the stack
# (Neutron with its Linux bridge agent). The test stands in for the controller only: a Neutron port of its own
# (10/8 network), bound to the agent's host, and a KuryrPort carrying it (pod_port.sh); then a netns, and:
#   cni-judge  (tests/cni-judge/libcni112: libcni v1.1.2, containerd 1.6's caller) VERSION; at 0.3.0, 0.3.1,
#              0.4.0 and 1.0.0 ValidateNetworkList, ADD (result of that version: eth0 in the netns path with the
#              port's MAC and address), CHECK (0.4.0 on), DEL, DEL again; the shipped conflist once more as
#              containerd reads it; 1.1.0 through libcni's exec layer: ADD, CHECK, STATUS, GC keeping the
#              attachment, CHECK, DEL, DEL without netns; and 21 bad inputs with the spec's codes (4, 6, 7, 1, 11)
#   cnitool    (github.com/containernetworking/cni v1.3.1) with the shipped conflist: add (libcni 1.3.1 picks
#              1.1.0 from cniVersions; eth0 really in the netns with the port's MAC and address), check,
#              status, del (eth0 and the host tap gone), gc
# The daemon runs as a node of its own name, so its GC (which acts on its node's attachment records) can never
# touch the rig's pods. Leaves no process, netns, link, Neutron or Kubernetes object or libcni cache file behind.
# Exit 0 pass, 1 fail, 77 skip (not root, no rig, no stack, no Go). Environment: KURYR_DAEMON_BIN,
# KURYR_CNI_BIN, KURYR_VIF_JSON_BIN (meson passes them).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rig.sh"
. "$here/pod_port.sh"
daemon_bin=${KURYR_DAEMON_BIN:-$repo/build/daemon/kuryr-daemon}
cni_bin=${KURYR_CNI_BIN:-$repo/build/cni/kuryr-cni}
PP_VIF_JSON=${KURYR_VIF_JSON_BIN:-$repo/build/tests/integration/k8s/vif_json}

passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

for b in "$daemon_bin" "$cni_bin" "$PP_VIF_JSON"; do [ -x "$b" ] || { echo "FAIL: no binary at $b"; exit 1; }; done
rig_attach
eval "$("$repo/scripts/stack" env 2>/dev/null)" || skip "no stack environment"
judges=$("$repo/tests/cni-judge/build") || { [ $? = 77 ] && skip "no Go toolchain"; echo "FAIL: judge build"; exit 1; }

tag=kuryr-cj$$
ns=kuryr-cni-judge-$$
node=kuryr-cni-judge-node-$$
netns=kuryr-cj-$$
netname=kuryr-judge-$$
work=$(mktemp -d /tmp/kuryr-cni-judge.XXXXXX)
sock=$work/cni.sock
hport=$((30000 + $$ % 10000))
dpid=""
crds_before=0
kubectl get crd kuryrports.openstack.org >/dev/null 2>&1 && crds_before=1

cleanup() {
    [ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    pp_cleanup
    ip netns del "$netns" 2>/dev/null
    kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
    [ "$crds_before" = 0 ] && kubectl delete -f "$repo/etc/kubernetes/crds/" --ignore-not-found >/dev/null 2>&1
    rm -f /var/lib/cni/results/"$netname"-* 2>/dev/null
    rig_detach
    rm -rf "$work"
}
finish() {
    local rc=$?
    trap - EXIT
    cleanup
    echo "cni-judge: $passed passed, $failed failed"
    [ "$failed" = 0 ] && [ $rc = 0 ] && exit 0
    exit 1
}
trap finish EXIT
trap 'fail "interrupted"; exit 1' INT TERM

# wait_for WHAT CMD...: polls CMD (a liveness cap, not a timing assertion: 60 s is far beyond any bound here).
wait_for() {
    local what=$1 i; shift
    for ((i = 0; i < 600; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "timed out waiting for $what"
    return 1
}

# ---- what the controller would have made -------------------------------------------------------------------
pp_neutron_login || skip "Keystone, Neutron or its Linux bridge agent unavailable (scripts/stack up)"
if [ "$crds_before" = 0 ]; then
    kubectl apply -f "$repo/etc/kubernetes/crds/" >/dev/null &&
        kubectl wait --for=condition=Established crd/kuryrports.openstack.org --timeout=60s >/dev/null ||
        { fail "CRDs"; exit 1; }
fi
kubectl create namespace "$ns" >/dev/null || { fail "namespace"; exit 1; }
sub=10.98.$(($$ % 200))
pp_network "$tag" "$sub.0/24" "$sub.1" || { fail "Neutron network"; exit 1; }
uid=$(cat /proc/sys/kernel/random/uuid)
pp_port "$tag-judge" "$uid" || { fail "Neutron port"; exit 1; }
port_id=$pp_port_id mac=$pp_mac ip=$pp_ip
# active=true from the start: the judges' ADDs come one after the other, with nothing to flip it in between.
pp_kuryrport "$ns" judge "$node" "$uid" "$port_id" "$mac" "$ip" "$sub.0/24" "$sub.1" 1 || { fail "KuryrPort"; exit 1; }
ip netns add "$netns" || { fail "netns"; exit 1; }
mkdir -p "$work/bin" "$work/net.d" "$work/cache"
ln -s "$cni_bin" "$work/bin/kuryr-cni"
# The shipped conflist, pointed at this test's daemon and named after the test (libcni's cache is keyed by it).
/usr/bin/python3 - "$repo/etc/cni/net.d/10-kuryr.conflist" "$work/net.d/$netname.conflist" "$netname" "$sock" <<'EOF' ||
import json, sys
c = json.load(open(sys.argv[1]))
c["name"] = sys.argv[3]
c["plugins"][0]["daemon_socket"] = sys.argv[4]
json.dump(c, open(sys.argv[2], "w"))
EOF
    { fail "conflist"; exit 1; }
cat >"$work/kuryr.conf" <<EOF
[kubernetes]
kubeconfig = $KUBECONFIG
[cni_daemon]
socket_path = $sock
node_name = $node
vif_annotation_timeout = 20
node_port = false
[cni_health_server]
port = $hport
EOF
"$daemon_bin" --config-file "$work/kuryr.conf" >>"$work/daemon.log" 2>&1 &
dpid=$!
daemon_ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" -X POST -d '{}' http://kuryr/status)" = 204 ]; }
wait_for "kuryr-daemon ready" daemon_ready || exit 1

args="IgnoreUnknown=1;K8S_POD_NAMESPACE=$ns;K8S_POD_NAME=judge"
tap=tap${port_id:0:11}

# ---- the libcni v1.1.2 harness -----------------------------------------------------------------------------
"$judges/cni-judge" -bin-dir "$work/bin" -netns "/var/run/netns/$netns" -socket "$sock" -args "$args" \
    -cache-dir "$work/cache" -want-ip "$ip/24" -want-mac "$mac" -conflist "$work/net.d/$netname.conflist" \
    >"$work/judge.out" 2>"$work/judge.err"
while read -r verdict rest; do
    case $verdict in
        PASS:) pass "libcni v1.1.2: $rest" ;;
        FAIL:) fail "libcni v1.1.2: $rest" ;;
    esac
done <"$work/judge.out"
grep -q '^cni-judge: [0-9]* passed, 0 failed$' "$work/judge.out" || fail "cni-judge did not finish clean"
check "after the harness: no eth0 left in the netns" test -z "$(ip -n "$netns" -o link show eth0 2>/dev/null)"
check "after the harness: no host tap left" test ! -e "/sys/class/net/$tap"

# ---- cnitool v1.3.1 ----------------------------------------------------------------------------------------
cnitool() { NETCONFPATH=$work/net.d CNI_PATH=$work/bin CNI_ARGS=$args "$judges/cnitool" "$@" "$netname" "/var/run/netns/$netns"; }
out=$(cnitool add 2>"$work/cnitool.err")
rc=$?
check "cnitool add: exit 0" test $rc = 0
verdict=$(/usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
i = r["interfaces"][0]
ok = (r["cniVersion"] == "1.1.0" and i["name"] == "eth0" and i["mac"] == sys.argv[2] and i["sandbox"] == sys.argv[3]
      and r["ips"][0]["address"] == sys.argv[4] and r["ips"][0]["interface"] == 0)
print("ok" if ok else "bad")' "$out" "$mac" "/var/run/netns/$netns" "$ip/24" 2>&1)
check "cnitool add: a 1.1.0 result (picked from cniVersions) with eth0 in the netns, the port's MAC and address" \
    test "$verdict" = ok
check "cnitool add: eth0 in the netns has the port's MAC" grep -q "link/ether $mac" <<<"$(ip -n "$netns" -o link show eth0)"
check "cnitool add: eth0 has the port's address" grep -q "inet $ip/24" <<<"$(ip -n "$netns" -o addr show eth0)"
check "cnitool check: exit 0" cnitool check
check "cnitool status: exit 0" cnitool status
check "cnitool del: exit 0" cnitool del
check "cnitool del: eth0 gone from the netns" test -z "$(ip -n "$netns" -o link show eth0 2>/dev/null)"
check "cnitool del: host tap gone" test ! -e "/sys/class/net/$tap"
check "cnitool gc: exit 0" cnitool gc
check "cnitool left no cache entry" test -z "$(ls /var/lib/cni/results/"$netname"-* 2>/dev/null)"

kill -TERM "$dpid" && wait "$dpid"
check "kuryr-daemon SIGTERM: exit 0" test $? = 0
dpid=""
if [ "$failed" != 0 ]; then
    echo "---- cni-judge stderr"; tail -n 30 "$work/judge.err"
    echo "---- cnitool stderr"; tail -n 10 "$work/cnitool.err"
    echo "---- daemon log"; tail -n 60 "$work/daemon.log"
fi
