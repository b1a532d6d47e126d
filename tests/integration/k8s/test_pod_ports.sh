#!/usr/bin/env bash
# Integration test of kuryr-k8s-controller's vif and kuryrport handlers on the real rig running Kuryr-C as its
# CNI (scripts/stack up --k8s; the rig's own controller, daemon and kuryr-cni), in a namespace of its own:
#   ports     5 pods Running: 5 KuryrPorts (finalizer, VIF readable and active), 5 Neutron ports, one per pod,
#             with device_owner compute:kuryr, device_id = pod uid, binding:host_id = the node, the configured
#             security group, the cluster marker tag, name <ns>/<pod>, the pod's IP, ACTIVE; pods carry the
#             pod finalizer
#   delete    the pods deleted: 0 of their ports left, 0 KuryrPorts, the pods gone (finalizers removed)
#   sigkill   30 pods created, the controller SIGKILLed twice while they come up and once while they are deleted
#             (restarted each time as the rig runs it): all 30 Running with exactly one port each (0 duplicates),
#             then 0 ports and 0 KuryrPorts left (0 orphans)
# Needs root and the rig with Kuryr-C (exit 77 otherwise). Kills and restarts the rig's controller: run it with
# flock /work/locks/k8s.lock on a shared machine. Leaves no namespace, pod or port behind.
set -uo pipefail
. "$(dirname "$0")/rig.sh"
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
rig_attach
if [ "$(cat "$K8S_RUN/cni" 2>/dev/null)" != kuryr ] || ! _k8s_pid kuryr-k8s-controller >/dev/null; then
    echo "SKIP: the rig does not run Kuryr-C as its CNI (scripts/stack up --k8s --cni kuryr)"
    rig_detach
    exit 77
fi
eval "$(cd "$repo" && scripts/stack env)"
conf=$K8S_KURYR_CONF
opt() { sed -n "s/^$1 *= *//p" "$conf" | head -1; }
subnet=$(opt pod_subnet)
sg=$(opt pod_security_groups)
cluster=$(opt cluster_name)
marker=kuryr.cluster:${cluster:-kubernetes}
net=$(openstack subnet show "$subnet" -f value -c network_id)
node=$(kubectl get nodes -o jsonpath='{.items[0].metadata.name}')
ns=h20ctrl-pods-$$
ctl_exe=$(readlink "/proc/$(_k8s_pid kuryr-k8s-controller)/exe")

# The controller as the rig runs it, started again after a kill.
ctl_restart() { _k8s_start kuryr-k8s-controller "$ctl_exe" --config-file "$conf"; }
ctl_kill() {
    local pid i
    pid=$(_k8s_pid kuryr-k8s-controller) && kill -KILL "$pid" &&
        for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

cleanup() {
    trap - EXIT
    _k8s_pid kuryr-k8s-controller >/dev/null || ctl_restart
    kubectl delete namespace "$ns" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1
    rig_detach
    echo "pod_ports: $passed passed, $failed failed"
    [ "$failed" = 0 ] && exit 0
    exit 1
}
trap cleanup EXIT

# mkpods PREFIX N: N busybox pods (no Deployment: each pod's name and uid is the test's).
mkpods() {
    local i
    for ((i = 1; i <= $2; i++)); do
        cat <<EOF
---
apiVersion: v1
kind: Pod
metadata: {name: $1-$i, namespace: $ns}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: $KURYR_K8S_BUSYBOX_IMAGE, imagePullPolicy: Never, command: [sleep, "3600"]}
EOF
    done | kubectl create -f - >/dev/null
}
running() { kubectl -n "$ns" get pods --field-selector=status.phase=Running -o name | wc -l; }
wait_running() {  # wait_running N SECONDS
    local i
    for ((i = 0; i < $2; i++)); do [ "$(running)" -ge "$1" ] && return 0; sleep 1; done
    return 1
}
wait_no_pods() {
    local i
    for ((i = 0; i < $1; i++)); do [ -z "$(kubectl -n "$ns" get pods -o name)" ] && return 0; sleep 1; done
    return 1
}
pods_json() { kubectl -n "$ns" get pods -o json; }
kps_json() { kubectl -n "$ns" get kuryrports -o json; }
ports_json() { /usr/bin/python3 "$here/pod_ports.py" "$net"; }

# check_ports PODS_JSON PORTS_JSON KPS_JSON: every pod has exactly one port with the right fields and a
# KuryrPort with an active VIF; prints what is wrong, nothing when all is right.
check_ports() {
    /usr/bin/python3 - "$1" "$2" "$3" "$node" "$sg" "$marker" "$ns" <<'EOF'
import json, sys
pods, ports, kps = (json.load(open(f)) for f in sys.argv[1:4])
node, sg, marker, ns = sys.argv[4:8]
by_uid = {}
for p in ports:
    by_uid.setdefault(p["device_id"], []).append(p)
kp_by_name = {k["metadata"]["name"]: k for k in kps["items"]}
for pod in pods["items"]:
    name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]
    mine = by_uid.get(uid, [])
    if len(mine) != 1:
        print(f"{name}: {len(mine)} ports")
        continue
    p = mine[0]
    want = {"host": node, "sgs": [sg], "name": f"{ns}/{name}", "status": "ACTIVE",
            "ips": [pod["status"].get("podIP")]}
    for k, v in want.items():
        if p[k] != v:
            print(f"{name}: port {k} = {p[k]}, not {v}")
    if marker not in p["tags"]:
        print(f"{name}: port tags {p['tags']} lack {marker}")
    if "kuryr.openstack.org/pod-finalizer" not in pod["metadata"].get("finalizers", []):
        print(f"{name}: no pod finalizer")
    kp = kp_by_name.get(name)
    if not kp:
        print(f"{name}: no KuryrPort")
        continue
    vif = kp.get("status", {}).get("vifs", {}).get("eth0", {}).get("vif", {}).get("versioned_object.data", {})
    if vif.get("id") != p["id"] or vif.get("active") is not True:
        print(f"{name}: KuryrPort VIF {vif.get('id')} active={vif.get('active')}")
    if kp["spec"].get("podUid") != uid or "kuryr.openstack.org/kuryrport-finalizer" not in kp["metadata"].get("finalizers", []):
        print(f"{name}: KuryrPort spec or finalizer wrong")
EOF
}
# left_ports PORTS_JSON UIDS...: ports whose device_id is one of the uids.
left_ports() {
    local f=$1; shift
    /usr/bin/python3 -c 'import json,sys; u=set(sys.argv[2:]); print(sum(p["device_id"] in u for p in json.load(open(sys.argv[1]))))' "$f" "$@"
}

work=$(mktemp -d /tmp/h20ctrl-pods.XXXXXX)
trap 'rm -rf "$work"; cleanup' EXIT
kubectl create namespace "$ns" >/dev/null || fail "namespace"

# ---- ports -------------------------------------------------------------------------------------------------
mkpods web 5
if wait_running 5 300; then pass "ports: 5 pods Running"; else fail "ports: 5 pods Running ($(running))"; fi
pods_json >"$work/pods.json"; ports_json >"$work/ports.json"; kps_json >"$work/kps.json"
bad=$(check_ports "$work/pods.json" "$work/ports.json" "$work/kps.json")
[ -z "$bad" ] && pass "ports: one port per pod with device_owner, device_id, host, SG, marker, name, IP, ACTIVE; KuryrPorts with active VIFs" ||
    fail "ports: $bad"
mapfile -t uids < <(kubectl -n "$ns" get pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}')

# ---- delete ------------------------------------------------------------------------------------------------
kubectl -n "$ns" delete pods --all --wait=false >/dev/null
if wait_no_pods 180; then pass "delete: the pods are gone (finalizers removed)"; else fail "delete: pods left"; fi
ports_json >"$work/ports.json"
n=$(left_ports "$work/ports.json" "${uids[@]}")
[ "$n" = 0 ] && pass "delete: 0 of their ports left" || fail "delete: $n ports left"
n=$(kubectl -n "$ns" get kuryrports -o name | wc -l)
[ "$n" = 0 ] && pass "delete: 0 KuryrPorts left" || fail "delete: $n KuryrPorts left"

# ---- sigkill -----------------------------------------------------------------------------------------------
start=$(date +%s)
mkpods crash 30
sleep 2; ctl_kill; ctl_restart
sleep 4; ctl_kill; ctl_restart
if wait_running 30 600; then pass "sigkill: 30 pods Running after 2 SIGKILLs"; else fail "sigkill: $(running) of 30 Running"; fi
pods_json >"$work/pods.json"; ports_json >"$work/ports.json"; kps_json >"$work/kps.json"
bad=$(check_ports "$work/pods.json" "$work/ports.json" "$work/kps.json")
[ -z "$bad" ] && pass "sigkill: exactly one right port per pod (0 duplicates)" || fail "sigkill: $bad"
mapfile -t uids < <(kubectl -n "$ns" get pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}')
kubectl -n "$ns" delete pods --all --wait=false >/dev/null
sleep 2; ctl_kill; ctl_restart
if wait_no_pods 300; then pass "sigkill: the 30 pods are gone after a SIGKILL"; else fail "sigkill: pods left"; fi
ports_json >"$work/ports.json"
n=$(left_ports "$work/ports.json" "${uids[@]}")
[ "$n" = 0 ] && pass "sigkill: 0 orphaned ports" || fail "sigkill: $n orphaned ports"
n=$(kubectl -n "$ns" get kuryrports -o name | wc -l)
[ "$n" = 0 ] && pass "sigkill: 0 KuryrPorts left" || fail "sigkill: $n KuryrPorts left"
echo "sigkill: 30 pods up and down with 3 SIGKILLs in $(($(date +%s) - start)) s"
