#!/usr/bin/env bash
# Pods on Kuryr-C's CNI (issue 20, "how it must be shown"), black-box against the rig brought up with the stack
# (scripts/stack up --k8s, CNI kuryr) and the real Neutron:
#   deployment  20 replicas Running; each pod has exactly one Neutron port (device_id = its uid) whose IP is the
#               pod's IP and whose MAC is the pod's eth0 MAC, ACTIVE and bound to the node
#   ping        one pod pings every other pod
#   probe       a pod with an HTTP readiness probe (busybox httpd) becomes Ready: kubelet reaches the pod's IP,
#               which only the node's own port into the pod network makes possible
#   scale 0     no pod port left on the pod network (the node port excepted) and none of their host devices
# Skips (77) unless the rig runs Kuryr-C (KURYR_K8S_CNI=kuryr). Leaves its namespace deleted.
set -uo pipefail
. "$(dirname "$0")/rig.sh"

passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; exit 77; }

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
