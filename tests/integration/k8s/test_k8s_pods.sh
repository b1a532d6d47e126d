#!/usr/bin/env bash
# Pods on Kuryr-C's CNI (issue 20, "how it must be shown"), black-box against the rig brought up with the stack
# (scripts/stack up --k8s, CNI kuryr) and the real Neutron:
#   deployment  20 replicas Running; each pod has exactly one Neutron port (device_id = its uid) whose IP is the
#               pod's IP and whose MAC is the pod's eth0 MAC, ACTIVE and bound to the node
#   ping        one pod pings every other pod
#   probe       a pod with an HTTP readiness probe (busybox httpd) becomes Ready: kubelet reaches the pod's IP,
#               which only the node's own port into the pod network makes possible
#   scale 0     no pod port left on the pod network (the node port excepted) and none of their host devices
#   kill        kuryr-k8s-controller, and then kuryr-daemon, SIGKILLed (and started again) while 30 pods are being
#               created and again while they are being deleted: all 30 end Running, then all gone; no orphaned
#               port (a pod port whose pod does not exist), no pod with two ports, no host device left
#               (left out with KURYR_PODS_KILL=0)
# Skips (77) unless the rig runs Kuryr-C (KURYR_K8S_CNI=kuryr). Leaves its namespace deleted.
set -uo pipefail
. "$(dirname "$0")/rig.sh"

rig_attach
[ "${KURYR_K8S_CNI:-}" = kuryr ] || skip "the rig's CNI is ${KURYR_K8S_CNI:-bridge}, not Kuryr-C"
if [ -z "${OS_CLIENT_CONFIG_FILE:-}" ]; then eval "$("$repo/scripts/stack" env)" || skip "no stack"; fi
ns=kuryr-pods-test-$$
replicas=${KURYR_PODS_REPLICAS:-20}
work=$(mktemp -d /tmp/kuryr-pods-test.XXXXXX)

finish() {
    local rc=$?
    trap - EXIT
    kubectl delete namespace "$ns" --ignore-not-found --wait=true --timeout=300s >/dev/null 2>&1
    rm -rf "$work"
    echo "k8s_pods: $passed passed, $failed failed"
    [ "$failed" = 0 ] && [ $rc = 0 ] && exit 0
    exit 1
}
trap finish EXIT
trap 'fail "interrupted"; exit 1' INT TERM

# The pod network's ports as JSON lines {id, name, device_id, mac, ips, status, host} (the kuryr user's view).
neutron_ports() {
    /usr/bin/python3 - <<'PY'
import json, openstack
c = openstack.connect(cloud="kuryr-stack")
net = c.network.find_network("kuryr-k8s-pods")
for p in c.network.ports(network_id=net.id) if net else []:
    print(json.dumps({"id": p.id, "name": p.name, "device_id": p.device_id, "mac": p.mac_address,
                      "ips": [f["ip_address"] for f in p.fixed_ips], "status": p.status, "host": p.binding_host_id,
                      "owner": p.device_owner}))
PY
}

kubectl create namespace "$ns" >/dev/null || { fail "create namespace"; exit 1; }

# ---- deployment ------------------------------------------------------------------------------------------
cat <<EOF | kubectl apply -f - >/dev/null || fail "deployment: apply"
apiVersion: apps/v1
kind: Deployment
metadata: {name: pods, namespace: $ns}
spec:
  replicas: $replicas
  selector: {matchLabels: {app: pods}}
  template:
    metadata: {labels: {app: pods}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: busybox, image: $KURYR_K8S_BUSYBOX_IMAGE, imagePullPolicy: Never, command: [sleep, "3600"]}
EOF
if kubectl -n "$ns" rollout status deployment/pods --timeout=600s >/dev/null; then
    pass "deployment: $replicas pods Running"
else
    fail "deployment: not rolled out"
    kubectl -n "$ns" get pods -o wide | head -30
    exit 1
fi
kubectl -n "$ns" get pods -l app=pods -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.uid} {.status.podIP}{"\n"}{end}' \
    >"$work/pods"
neutron_ports >"$work/ports"
bad=0
declare -a names=() ips=()
while read -r name uid ip; do
    names+=("$name"); ips+=("$ip")
    mine=$(grep -F "\"device_id\": \"$uid\"" "$work/ports")
    n=$(printf '%s' "$mine" | grep -c . || true)
    mac=$(kubectl -n "$ns" exec "$name" -- cat /sys/class/net/eth0/address 2>/dev/null)
    want=$(printf '%s' "$mine" | /usr/bin/python3 -c 'import json,sys; p=json.loads(sys.stdin.read() or "{}"); print(p.get("ips",[""])[0] if p.get("ips") else "", p.get("mac",""), p.get("status",""), p.get("host",""))')
    if [ "$n" != 1 ] || [ "$want" != "$ip $mac ACTIVE $KURYR_K8S_NODE" ]; then
        fail "deployment: pod $name (ip $ip, mac $mac): $n ports, port has '$want'"
        bad=1
    fi
done <"$work/pods"
[ ${#names[@]} = "$replicas" ] && [ $bad = 0 ] &&
    pass "deployment: each pod's IP and MAC are its one Neutron port's, ACTIVE and bound to $KURYR_K8S_NODE"

# ---- ping ------------------------------------------------------------------------------------------------
if [ ${#names[@]} -ge 2 ]; then
    out=$(kubectl -n "$ns" exec "${names[0]}" -- sh -c 'for ip; do ping -c 1 -W 5 "$ip" >/dev/null || echo "no reply from $ip"; done' \
        sh "${ips[@]:1}" 2>&1)
    [ -z "$out" ] && pass "ping: ${names[0]} reaches the $(( ${#ips[@]} - 1 )) other pods" || fail "ping: $out"
fi

# ---- probe -----------------------------------------------------------------------------------------------
cat <<EOF | kubectl apply -f - >/dev/null || fail "probe: apply"
apiVersion: v1
kind: Pod
metadata: {name: probed, namespace: $ns}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: $KURYR_K8S_BUSYBOX_IMAGE
    imagePullPolicy: Never
    command: [sh, -c, "echo ready >/tmp/index.html && exec httpd -f -p 8080 -h /tmp"]
    readinessProbe: {httpGet: {path: /index.html, port: 8080}, periodSeconds: 2}
EOF
if kubectl -n "$ns" wait --for=condition=Ready pod/probed --timeout=180s >/dev/null; then
    pass "probe: the pod with an HTTP readiness probe is Ready (kubelet reached $(kubectl -n "$ns" get pod probed -o jsonpath='{.status.podIP}'))"
else
    fail "probe: not Ready"
    kubectl -n "$ns" describe pod probed | tail -15
fi
kubectl -n "$ns" delete pod probed --wait=true --timeout=120s >/dev/null 2>&1

# ---- scale 0 ---------------------------------------------------------------------------------------------
kubectl -n "$ns" scale deployment/pods --replicas=0 >/dev/null
if kubectl -n "$ns" wait --for=delete pod -l app=pods --timeout=300s >/dev/null 2>&1; then
    pass "scale 0: every pod gone"
else
    fail "scale 0: pods left: $(kubectl -n "$ns" get pods --no-headers 2>&1 | wc -l)"
fi
neutron_ports >"$work/after"
left=$(grep -F -f <(awk '{print "\"device_id\": \"" $2 "\""}' "$work/pods") "$work/after" | grep -c . || true)
[ "$left" = 0 ] && pass "scale 0: no pod port left in Neutron" || fail "scale 0: $left pod ports left in Neutron"
devs=""
while read -r id; do
    ip link show "tap${id:0:11}" >/dev/null 2>&1 && devs+=" tap${id:0:11}"
done < <(/usr/bin/python3 -c 'import json,sys; [print(p["id"]) for p in map(json.loads, open(sys.argv[1]))
                                if not p["name"].startswith("kubelet-")]' "$work/ports")
[ -z "$devs" ] && pass "scale 0: no host device of theirs left" || fail "scale 0: devices left:$devs"

# ---- kill ------------------------------------------------------------------------------------------------
# restart NAME: SIGKILL the rig's process NAME and start the same binary again with the rig's kuryr.conf.
restart() {
    local name=$1 pid exe i
    pid=$(_k8s_pid "$name") || { fail "kill: $name is not running"; return 1; }
    exe=$(readlink "/proc/$pid/exe")
    kill -KILL "$pid"
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    _k8s_start "$name" "$exe" --config-file "$K8S_KURYR_CONF" >/dev/null || { fail "kill: $name did not start again"; return 1; }
    disown -a  # the rig's process now, not this shell's job
}

# wait_count WHAT CMD N OP: polls until CMD's line count OP N (a liveness cap, not a timing assertion).
wait_count() {
    local i n
    for ((i = 0; i < 600; i++)); do
        n=$(eval "$2" 2>/dev/null | grep -c . || true)
        [ "$n" "$4" "$3" ] && return 0
        sleep 0.2
    done
    fail "kill: timed out waiting for $1 (at $n)"
    return 1
}

kill_round() {
    local name=$1 dep=kill-${1#kuryr-} uids live orphans dups devs
    cat <<EOF | kubectl apply -f - >/dev/null || fail "kill $name: apply"
apiVersion: apps/v1
kind: Deployment
metadata: {name: $dep, namespace: $ns}
spec:
  replicas: 30
  selector: {matchLabels: {app: $dep}}
  template:
    metadata: {labels: {app: $dep}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: busybox, image: $KURYR_K8S_BUSYBOX_IMAGE, imagePullPolicy: Never, command: [sleep, "3600"]}
EOF
    # mid-creation: some pods have their KuryrPort, most are not Running yet
    wait_count "KuryrPorts of $dep" "kubectl -n $ns get kp -o name" 5 -ge && restart "$name"
    if kubectl -n "$ns" rollout status "deployment/$dep" --timeout=900s >/dev/null; then
        pass "kill $name while creating: all 30 pods Running"
    else
        fail "kill $name while creating: $(kubectl -n "$ns" get pods -l app="$dep" --no-headers | grep -vc Running) not Running"
    fi
    uids=$(kubectl -n "$ns" get pods -l app="$dep" -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}')
    neutron_ports >"$work/kill-$name"
    dups=$(grep -F -f <(printf '"device_id": "%s"\n' $uids) "$work/kill-$name" |
        /usr/bin/python3 -c 'import json,sys,collections; c=collections.Counter(json.loads(l)["device_id"] for l in sys.stdin); print(sum(1 for v in c.values() if v != 1))')
    [ "$dups" = 0 ] && [ "$(grep -cF -f <(printf '"device_id": "%s"\n' $uids) "$work/kill-$name")" = 30 ] &&
        pass "kill $name while creating: one port per pod" || fail "kill $name while creating: $dups pods with more than one port"
    # mid-deletion
    kubectl -n "$ns" scale "deployment/$dep" --replicas=0 >/dev/null
    wait_count "half of $dep deleted" "kubectl -n $ns get pods -l app=$dep -o name" 15 -le && restart "$name"
    if kubectl -n "$ns" wait --for=delete pod -l app="$dep" --timeout=600s >/dev/null 2>&1; then
        pass "kill $name while deleting: all pods gone"
    else
        fail "kill $name while deleting: $(kubectl -n "$ns" get pods -l app="$dep" --no-headers | wc -l) pods left"
    fi
    # orphans: pod ports (not the node port) whose device_id is no existing pod's uid. A port whose create
    # the kill cut short is the controller's to find and delete; it gets a bounded while (a liveness cap).
    local i
    for ((i = 0; i < 30; i++)); do
        live=$(kubectl get pods -A -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}')
        neutron_ports >"$work/kill-$name-after"
        orphans=$(LIVE="$live" /usr/bin/python3 -c '
import json, os, sys
live = set(os.environ["LIVE"].split())
print(" ".join(p["id"] for p in map(json.loads, open(sys.argv[1]))
               if not p["name"].startswith("kubelet-") and p["owner"] == "compute:kuryr" and p["device_id"] not in live))
' "$work/kill-$name-after")
        [ -z "$orphans" ] && break
        [ $i = 0 ] && echo "kill $name: ports without a pod, waiting for the controller: $orphans"
        sleep 5
    done
    [ -z "$orphans" ] && pass "kill $name: no orphaned port" || fail "kill $name: orphaned ports: $orphans"
    devs=""
    for id in $(/usr/bin/python3 -c 'import json,sys; [print(p["id"]) for p in map(json.loads, open(sys.argv[1]))
                                      if not p["name"].startswith("kubelet-")]' "$work/kill-$name"); do
        ip link show "tap${id:0:11}" >/dev/null 2>&1 && devs+=" tap${id:0:11}"
    done
    [ -z "$devs" ] && pass "kill $name: no host device left" || fail "kill $name: devices left:$devs"
    kubectl -n "$ns" delete deployment "$dep" --wait=true >/dev/null 2>&1
}

# KURYR_PODS_KILL=0 leaves the kill rounds out: scripts/test runs them in the linuxbridge phase only (the recovery
# they prove is the daemons' own and the same on either back end; the OVN phase proves the plumbing).
if [ "${KURYR_PODS_KILL:-1}" != 0 ]; then
    kill_round kuryr-k8s-controller
    kill_round kuryr-daemon
fi
