#!/usr/bin/env bash
# Integration test of the Kubernetes test rig (scripts/stack.d/k8s.sh) against real components:
# up leaves a Ready node; a 3-replica busybox Deployment runs with pod IPs from the pod network;
# one pod pings another; down removes every process, mount, link and file the rig made.
#   test_k8s_rig.sh          with no rig running: up, pods, down (all three checked). With a rig running (the
#                            k8s round brought it up once for all its tests): the pods part only, on that rig.
#   test_k8s_rig.sh --down   takes the running rig down and checks that nothing is left (the k8s round's
#                            last step, when the round brought the rig up).
# Exit 0 pass, 1 fail, 77 skip (not root, no Go >= 1.24).
set -uo pipefail
. "$(dirname "$0")/rig.sh"

finish() { echo "k8s_rig: $passed passed, $failed failed"; [ "$failed" = 0 ] && exit 0 || exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root"
mode=full
[ "${1:-}" = --down ] && mode=down
if [ $mode = full ] && _k8s_pid kube-apiserver >/dev/null; then mode=pods; fi
if [ $mode = full ]; then
    command -v go >/dev/null || skip "no Go toolchain (Go >= 1.24 builds the Kubernetes components)"
    gominor=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
    [ "${gominor:-0}" -ge 24 ] || skip "Go $(go env GOVERSION) is older than 1.24"
    for s in $K8S_SERVICES; do
        _k8s_pid "$s" >/dev/null && skip "a k8s rig is partly running ($s); not touching it"
    done
    "$repo/scripts/install-deps" k8s || { fail "install-deps k8s"; finish; }
fi

pids_seen=()
forward_before=$(cat /proc/sys/net/ipv4/ip_forward)
cleanup_checked=0
check_down() {
    cleanup_checked=1
    local f pid leftover
    for f in "$K8S_RUN"/*.pid; do [ -s "$f" ] && pids_seen+=("$(cat "$f")"); done
    k8s_down >/dev/null 2>&1 || fail "down returned non-zero"
    leftover=""
    for pid in "${pids_seen[@]}" $(_k8s_rig_pids); do kill -0 "$pid" 2>/dev/null && leftover+=" $pid"; done
    [ -z "$leftover" ] && pass "down: all rig processes gone" || fail "down: processes left:$leftover"
    leftover=$(for p in /proc/[0-9]*; do { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -F -- "-address $K8S_CTRD_SOCK " ; done)
    [ -z "$leftover" ] && pass "down: no containerd shims left" || fail "down: shims left: $leftover"
    leftover=$(awk -v d="$K8S_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo)
    [ -z "$leftover" ] && pass "down: no mounts left under $K8S_DIR" || fail "down: mounts left: $leftover"
    leftover=""
    ip link show "$K8S_BRIDGE" >/dev/null 2>&1 && leftover+=" $K8S_BRIDGE"
    ip link show "$K8S_NODE_LINK" >/dev/null 2>&1 && leftover+=" $K8S_NODE_LINK"
    leftover+=$(ip -o link show type veth 2>/dev/null | awk -F': ' '{print " "$2}' | grep -F "$K8S_BRIDGE" || true)
    [ -z "$leftover" ] && pass "down: cni0, veths and $K8S_NODE_LINK removed" || fail "down: links left:$leftover"
    [ ! -e "$K8S_CNI_CONF" ] && pass "down: CNI config removed" || fail "down: $K8S_CNI_CONF left"
    [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$forward_before" ] && pass "down: ip_forward untouched" ||
        fail "down: ip_forward changed from $forward_before"
    leftover=$(ls -d /sys/fs/cgroup/*/kubepods /var/lib/cni/results/kuryr-k8s-rig-* 2>/dev/null
        find /var/log/containers -maxdepth 1 -lname "$K8S_DIR/*" 2>/dev/null)
    [ -z "$leftover" ] && pass "down: no kubepods cgroups, CNI result cache or log links left" ||
        fail "down: left behind: $leftover"
    [ ! -e "$K8S_DIR" ] && pass "down: state dir $K8S_DIR removed" || fail "down: $K8S_DIR left: $(ls -A "$K8S_DIR")"
}
on_exit() {
    local rc=$?
    [ "$cleanup_checked" = 1 ] && exit $rc
    # A rig this test did not bring up stays up, with what the test made removed.
    if [ $mode = pods ]; then
        kubectl delete deployment rig-busybox -n "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
        kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
    else
        check_down
    fi
    finish
}
trap on_exit EXIT
trap 'fail "interrupted by a signal"; exit 1' INT TERM
ns=kuryr-rig-test

if [ $mode = down ]; then
    _k8s_pid kube-apiserver >/dev/null || skip "no rig running"
    check_down
    finish
fi

# Dotted-quad IP $1 inside CIDR $2?
in_cidr() {
    local ip=$1 net=${2%/*} len=${2#*/} a b c d x y
    IFS=. read -r a b c d <<<"$ip"; x=$(( (a << 24) | (b << 16) | (c << 8) | d ))
    IFS=. read -r a b c d <<<"$net"; y=$(( (a << 24) | (b << 16) | (c << 8) | d ))
    [ $(( (x ^ y) >> (32 - len) )) = 0 ]
}

if [ $mode = full ]; then
    start=$(date +%s)
    if k8s_up; then
        pass "up (node Ready) in $(( $(date +%s) - start ))s"
    else
        fail "up"
        for s in $K8S_SERVICES; do echo "--- $s log (tail)"; tail -15 "$K8S_LOG/$s.log" 2>/dev/null; done
        exit 1
    fi
    [ "$(stat -c %Y "$K8S_CACHE/build.time" 2>/dev/null || echo 0)" -ge "$start" ] &&
        echo "build: $(grep -E 'Elapsed|Maximum resident' "$K8S_CACHE/build.time" | sed 's/^\s*//' | tr '\n' ' ')"
fi

eval "$(k8s_env)"
[ -s "$KUBECONFIG" ] && kubectl get --raw /readyz >/dev/null && pass "k8s_env: KUBECONFIG reaches the apiserver" ||
    fail "k8s_env: KUBECONFIG does not work"

kubectl create namespace "$ns" >/dev/null 2>&1
cat <<EOF | kubectl apply -f - >/dev/null || fail "apply Deployment"
apiVersion: apps/v1
kind: Deployment
metadata: {name: rig-busybox, namespace: $ns}
spec:
  replicas: 3
  selector: {matchLabels: {app: rig-busybox}}
  template:
    metadata: {labels: {app: rig-busybox}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: busybox
        image: $KURYR_K8S_BUSYBOX_IMAGE
        imagePullPolicy: Never
        command: [sleep, "3600"]
EOF
if kubectl -n "$ns" rollout status deployment/rig-busybox --timeout=600s >/dev/null; then
    pass "Deployment of 3 busybox pods rolled out"
else
    fail "Deployment did not roll out"
    kubectl -n "$ns" get pods -o wide; kubectl -n "$ns" describe pods | tail -40
    exit 1
fi

mapfile -t pods < <(kubectl -n "$ns" get pods -l app=rig-busybox --field-selector=status.phase=Running \
    -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
mapfile -t ips < <(kubectl -n "$ns" get pods -l app=rig-busybox --field-selector=status.phase=Running \
    -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}')
[ "${#pods[@]}" = 3 ] && pass "3 pods Running" || fail "${#pods[@]} pods Running, want 3"
bad=""
for ip in "${ips[@]}"; do in_cidr "$ip" "$KURYR_K8S_POD_CIDR" || bad+=" $ip"; done
[ "${#ips[@]}" = 3 ] && [ -z "$bad" ] && pass "pod IPs ${ips[*]} from CNI range $KURYR_K8S_POD_CIDR" ||
    fail "pod IPs '${ips[*]}' not all in $KURYR_K8S_POD_CIDR"
[ "$(printf '%s\n' "${ips[@]}" | sort -u | wc -l)" = 3 ] && pass "pod IPs distinct" || fail "pod IPs not distinct"

if [ "${#pods[@]}" -ge 2 ] && out=$(kubectl -n "$ns" exec "${pods[0]}" -- ping -c 3 -W 5 "${ips[1]}" 2>&1); then
    pass "kubectl exec ${pods[0]}: ping ${ips[1]} ($(echo "$out" | grep -o '[0-9]* packets received'))"
else
    fail "pod-to-pod ping: ${out:-no pods}"
fi

if kubectl -n "$ns" delete deployment rig-busybox --wait=true --timeout=300s >/dev/null; then
    pass "Deployment deleted"
else
    fail "Deployment delete"
fi
# check_down and the summary run from the EXIT trap, so they happen on every path.
