#!/usr/bin/env bash
# Integration test of kuryr-k8s-controller, its CRDs and its manifests on the real Kubernetes rig:
#   crds        the four CRDs install and are Established; short names resolve; a KuryrPort's status written
#               through the status subresource shows in `kubectl get kp`'s columns, one in a plain update does not
#   rbac        the controller's ServiceAccount may do what the controller does and nothing broader
#   ha          two controllers (the SA's token, probe handler, a 3 s Lease, 1 s retry); the leader is SIGKILLed
#               20 times while a writer keeps changing the probe ConfigMap; each time the standby takes over
#               (measured from the kill to its "leading: started" line), and the record of who acted (every
#               "probe: acted" line, every leadership start and every kill) never shows two leaders at once
#   sigterm     SIGTERM: exit 0, the Lease is released and the standby takes over
#   memcheck    one controller under valgrind through a take-over, changes, a create, a delete and SIGTERM: no
#               error, no leak; tsan: the same with the tsan round's ThreadSanitizer build, when there is one
#   deployment  the image (scripts/build-image --save) imported into the rig's containerd, the manifests
#               applied (kuryr.conf pointed at the rig's apiserver), the pod Ready and acting
# Brings the rig up if it is not running (and down again at the end if it did). Leaves no process, object or
# image behind. Exit 0 pass, 1 fail, 77 skip (not root, no Go >= 1.24 to build the rig).
# Environment: KURYR_CONTROLLER_BIN (the binary; meson passes it), KURYR_HA_KILLS (default 20),
# KURYR_TSAN_BUILD_DIR (default build-tsan).
set -uo pipefail
. "$(dirname "$0")/rig.sh"
bin=${KURYR_CONTROLLER_BIN:-$repo/build/controller/kuryr-k8s-controller}
kills=${KURYR_HA_KILLS:-20}
ns=kube-system
lease=kuryr-k8s-controller

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$bin" ] || { echo "FAIL: no controller binary at $bin"; exit 1; }
rig_attach
crds_before=0
kubectl get crd kuryrports.openstack.org >/dev/null 2>&1 && crds_before=1

work=$(mktemp -d /tmp/kuryr-ctl-test.XXXXXX)
image=localhost/kuryr/kuryr-k8s-controller:test-$$
declare -A pids=()   # identity -> pid of the controllers this test runs
cleanup() {
    local id
    for id in "${!pids[@]}"; do kill -KILL "${pids[$id]}" 2>/dev/null; done
    for id in "${!pids[@]}"; do wait "${pids[$id]}" 2>/dev/null; done
    kubectl delete -f "$repo/etc/kubernetes/controller.yaml" --ignore-not-found --wait=true >/dev/null 2>&1
    kubectl -n $ns delete configmap -l kuryr.openstack.org/probe --ignore-not-found >/dev/null 2>&1
    kubectl -n $ns delete lease $lease --ignore-not-found >/dev/null 2>&1
    kubectl delete -f "$repo/etc/kubernetes/controller-rbac.yaml" --ignore-not-found >/dev/null 2>&1
    # The CRDs stay when they were there before (the rig with Kuryr-C's pods installs them and needs them).
    [ "$crds_before" = 0 ] && kubectl delete -f "$repo/etc/kubernetes/crds/" --ignore-not-found >/dev/null 2>&1
    _k8s_ctr images rm "$image" >/dev/null 2>&1
    rig_detach
    rm -rf "$work"
}
finish() {
    local rc=$?
    trap - EXIT
    cleanup
    echo "controller: $passed passed, $failed failed"
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

# ---- crds --------------------------------------------------------------------------------------------------
kubectl apply -f "$repo/etc/kubernetes/crds/" >/dev/null &&
    kubectl wait --for=condition=Established crd/kuryrports.openstack.org crd/kuryrnetworks.openstack.org \
        crd/kuryrnetworkpolicies.openstack.org crd/kuryrloadbalancers.openstack.org --timeout=60s >/dev/null &&
    pass "crds: the four CRDs are Established" || fail "crds: apply"
out=$(kubectl apply -f "$repo/etc/kubernetes/crds/" 2>&1)
[ "$(echo "$out" | grep -c ' unchanged$')" = 4 ] && pass "crds: applying them again changes nothing" ||
    fail "crds: a second apply: $out"
for s in kp kns knp klb; do
    kubectl get "$s" -A >/dev/null 2>&1 && pass "crds: short name $s resolves" || fail "crds: short name $s"
done
cat >"$work/kp.yaml" <<EOF2
apiVersion: openstack.org/v1
kind: KuryrPort
metadata: {name: test-pod, namespace: default}
spec: {podUid: "0e1d2c3b-0000-4000-8000-000000000001", podNodeName: $KURYR_K8S_NODE}
status: {vifs: {}, portId: not-through-the-subresource}
EOF2
kubectl apply -f "$work/kp.yaml" >/dev/null || fail "crds: create a KuryrPort"
[ -z "$(kubectl get kp test-pod -o jsonpath='{.status.portId}')" ] &&
    pass "crds: a status in a plain create is ignored (status subresource)" || fail "crds: status written without the subresource"
kubectl patch kp test-pod --subresource=status --type=merge -p \
    '{"status":{"vifs":{"eth0":{"default":true,"vif":{}}},"portId":"6b067a86-a127-4a4c-a6ca-ea64437f1a4c","ip":"10.0.0.5","state":"Active"}}' \
    >/dev/null || fail "crds: status through the subresource"
out=$(kubectl get kp test-pod)
echo "$out"
if [ "$(echo "$out" | head -1 | tr -s ' ')" = "NAME POD NODE PORT ID IP STATE AGE" ] &&
   echo "$out" | tail -1 | grep -qE "^test-pod +test-pod +$KURYR_K8S_NODE +6b067a86-a127-4a4c-a6ca-ea64437f1a4c +10\.0\.0\.5 +Active "; then
    pass "crds: kubectl get kp shows pod, node, port id, IP and state"
else
    fail "crds: kubectl get kp columns"
fi
kubectl delete kp test-pod >/dev/null

# ---- rbac --------------------------------------------------------------------------------------------------
kubectl apply -f "$repo/etc/kubernetes/controller-rbac.yaml" >/dev/null || fail "rbac: apply"
sa=system:serviceaccount:$ns:kuryr-k8s-controller
can() { [ "$(kubectl auth can-i --as="$sa" "$@" 2>/dev/null)" = yes ]; }
bad=""
for a in "watch kuryrports.openstack.org" "patch kuryrports.openstack.org/status" "create kuryrnetworks.openstack.org" \
         "watch pods" "patch pods" "list namespaces" "create events" "watch endpointslices.discovery.k8s.io" \
         "create leases.coordination.k8s.io -n $ns" "update leases.coordination.k8s.io/$lease -n $ns"; do
    # shellcheck disable=SC2086
    can $a || bad+=" cannot:'$a'"
done
for a in "delete pods" "get secrets -A" "create pods" "update leases.coordination.k8s.io/other -n $ns" \
         "create customresourcedefinitions.apiextensions.k8s.io" "delete nodes" "watch configmaps -n default"; do
    # shellcheck disable=SC2086
    can $a && bad+=" can:'$a'"
done
[ -z "$bad" ] && pass "rbac: the ServiceAccount has what the controller needs and no more" || fail "rbac:$bad"

# ---- ha ----------------------------------------------------------------------------------------------------
kubectl create token kuryr-k8s-controller -n $ns --duration=2h >"$work/token" || fail "ha: token"
write_conf() {  # write_conf FILE PORT
    cat >"$1" <<EOF2
[kubernetes]
api_root = $KURYR_K8S_API_URL
ssl_ca_crt_file = $KURYR_K8S_CA
token_file = $work/token
enabled_handlers = probe
controller_ha = true
controller_ha_lease_duration = 3
controller_ha_renew_deadline = 2
controller_ha_retry_period = 1
[health_server]
port = $2
EOF2
}
write_conf "$work/a.conf" 18182
write_conf "$work/b.conf" 18183
kubectl -n $ns delete configmap kuryr-probe --ignore-not-found >/dev/null  # a killed earlier run's
kubectl -n $ns create configmap kuryr-probe --from-literal=seq=0 >/dev/null &&
    kubectl -n $ns label configmap kuryr-probe kuryr.openstack.org/probe=test >/dev/null || fail "ha: probe ConfigMap"

# start SLOT N: runs controller "ctl-SLOT-N" with the slot's config; waits until it answers /ready.
start() {
    local id=ctl-$1-$2 port
    port=$(sed -n 's/^port = //p' "$work/$1.conf")
    KURYR_CONTROLLER_ID=$id "$bin" --config-file "$work/$1.conf" >>"$work/$id.log" 2>&1 &
    pids[$id]=$!
    wait_for "$id ready" curl -sf "http://127.0.0.1:$port/ready"
}
holder() { kubectl -n $ns get lease $lease -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
started_line() { grep -h "leading: started as $1" "$work/$1.log" 2>/dev/null | head -1; }
# Seconds since the epoch of a log line's "YYYY-MM-DD HH:MM:SS.mmm" prefix.
line_time() { date -d "$(echo "$1" | cut -c1-23)" +%s.%3N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# The writer: a new seq every 0.2 s, so the leader has something to act on all the time.
( i=0; while :; do i=$((i + 1)); kubectl -n $ns patch configmap kuryr-probe --type=merge \
    -p "{\"data\":{\"seq\":\"$i\"}}" >/dev/null 2>&1; sleep 0.2; done ) &
writer=$!
start a 1 && start b 1
wait_for "a leader" sh -c "[ -n \"\$(kubectl -n $ns get lease $lease -o jsonpath='{.spec.holderIdentity}')\" ]"
gen_a=1 gen_b=1
: >"$work/kills"
takeovers=()
for ((k = 1; k <= kills; k++)); do
    old=$(holder)
    [ -n "$old" ] && [ -n "${pids[$old]:-}" ] || { fail "ha: kill $k: the holder '$old' is not one of ours"; break; }
    slot=${old#ctl-}; slot=${slot%%-*}
    # the standby must be ready, so that the takeover measures the election, not a start-up
    t_kill=$(date +%s.%3N)
    kill -KILL "${pids[$old]}"
    wait "${pids[$old]}" 2>/dev/null
    unset "pids[$old]"
    echo "$old $t_kill" >>"$work/kills"
    new=""
    for id in "${!pids[@]}"; do new=$id; done
    wait_for "kill $k: $new to lead" sh -c "grep -q 'leading: started as $new' '$work/$new.log'" || break
    t_start=$(line_time "$(started_line "$new")")
    takeovers+=("$(minus "$t_start" "$t_kill")")
    # the killed slot comes back as a new standby
    if [ "$slot" = a ]; then gen_a=$((gen_a + 1)); start a $gen_a; else gen_b=$((gen_b + 1)); start b $gen_b; fi
    sleep 0.5
done
kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null
# The pipeline still works after all that: the last seq gets stamped by the current leader.
last=$(kubectl -n $ns get configmap kuryr-probe -o jsonpath='{.data.seq}')
leader=$(holder)
wait_for "the last seq stamped" sh -c "[ \"\$(kubectl -n $ns get configmap kuryr-probe -o jsonpath='{.metadata.annotations.kuryr\.openstack\.org/probed-seq} {.metadata.annotations.kuryr\.openstack\.org/probed-by}')\" = '$last $leader' ]" &&
    pass "ha: after $kills kills the leader ($leader) stamped the last change (seq $last)"
if [ ${#takeovers[@]} = "$kills" ]; then
    stats=$(printf '%s\n' "${takeovers[@]}" | sort -n | awk '{a[NR]=$1} END {printf "min %.2f s, median %.2f s, max %.2f s", a[1], a[int((NR+1)/2)], a[NR]}')
    pass "ha: the standby took over after each of $kills SIGKILLs ($stats; Lease 3 s + retry 1 s = 4 s)"
    echo "ha takeover seconds: ${takeovers[*]}"
else
    fail "ha: ${#takeovers[@]} takeovers for $kills kills"
fi
# The record: leadership intervals [started, killed] per identity, and every act of each identity.
/usr/bin/python3 - "$work" <<'PY' && pass "ha: the record never shows two leaders at once, nor an act outside its actor's lead" || fail "ha: two leaders at once (see above)"
import datetime, glob, os, re, sys
work = sys.argv[1]
ts = lambda s: datetime.datetime.strptime(s[:23], "%Y-%m-%d %H:%M:%S.%f").timestamp()
kills = {l.split()[0]: float(l.split()[1]) for l in open(os.path.join(work, "kills"))}
intervals, acts = [], []
for f in glob.glob(os.path.join(work, "ctl-*.log")):
    ident = os.path.basename(f)[:-4]
    start = None
    for line in open(f):
        if "leading: started as" in line:
            start = ts(line)
        elif "leading: stopped as" in line and start is not None:
            intervals.append((start, ts(line), ident)); start = None
        elif "probe: acted" in line:
            acts.append((ts(line), ident))
    if start is not None:
        intervals.append((start, kills.get(ident, float("inf")), ident))
intervals.sort()
bad = 0
for (s1, e1, i1), (s2, e2, i2) in zip(intervals, intervals[1:]):
    if s2 < e1:
        print(f"overlap: {i1} led {s1:.3f}..{e1:.3f} and {i2} started at {s2:.3f}"); bad += 1
for t, ident in acts:
    if not any(i == ident and s <= t <= e for s, e, i in intervals):
        print(f"{ident} acted at {t:.3f} while not leading"); bad += 1
print(f"record: {len(intervals)} leadership intervals, {len(acts)} acts, {bad} violations")
sys.exit(1 if bad or not acts else 0)
PY

# ---- sigterm -----------------------------------------------------------------------------------------------
old=$(holder)
if [ -n "$old" ] && [ -n "${pids[$old]:-}" ]; then
    t_term=$(date +%s.%3N)
    kill -TERM "${pids[$old]}"
    wait "${pids[$old]}"; rc=$?
    unset "pids[$old]"
    [ $rc = 0 ] && grep -q "stopped" "$work/$old.log" && pass "sigterm: $old exited 0" || fail "sigterm: exit $rc"
    grep -q "leading: stopped as $old" "$work/$old.log" && pass "sigterm: $old stopped leading" ||
        fail "sigterm: no 'leading: stopped'"
    new=""; for id in "${!pids[@]}"; do new=$id; done
    if wait_for "$new to lead after SIGTERM" sh -c "grep -q 'leading: started as $new' '$work/$new.log'"; then
        t=$(minus "$(line_time "$(started_line "$new")")" "$t_term")
        pass "sigterm: the Lease was released and $new took over in $t s (without the release: up to 4 s)"
    fi
else
    fail "sigterm: no leader of ours"
fi
for id in "${!pids[@]}"; do kill -TERM "${pids[$id]}"; wait "${pids[$id]}"; unset "pids[$id]"; done
kubectl -n $ns delete lease $lease >/dev/null 2>&1

# ---- memcheck, tsan ----------------------------------------------------------------------------------------
# One controller alone, wrapped, takes the Lease, handles changes, a create and a delete, and stops on SIGTERM;
# its report must be clean. memcheck: no error, no definite or indirect leak at exit. ThreadSanitizer (the
# tsan round's build, when it exists): no report.
wrapped_run() {  # wrapped_run NAME BIN [WRAPPER...]
    local name=$1 wbin=$2 wpid i; shift 2
    KURYR_CONTROLLER_ID=$name "$@" "$wbin" --config-file "$work/a.conf" >"$work/$name.out" 2>&1 &
    wpid=$!
    pids[$name]=$wpid
    wait_for "$name to lead" sh -c "grep -q 'leading: started as $name' '$work/$name.out'" || return 1
    for i in 1 2 3 4 5; do
        kubectl -n $ns patch configmap kuryr-probe --type=merge -p "{\"data\":{\"seq\":\"$name-$i\"}}" >/dev/null
    done
    kubectl -n $ns create configmap kuryr-probe-2 --from-literal=seq=1 >/dev/null &&
        kubectl -n $ns label configmap kuryr-probe-2 kuryr.openstack.org/probe=test >/dev/null
    wait_for "$name to act" sh -c "grep -q 'acted seq=1 ' '$work/$name.out'"
    kubectl -n $ns delete configmap kuryr-probe-2 >/dev/null
    wait_for "$name to see the delete" sh -c "grep -q 'probe: gone' '$work/$name.out'"
    kill -TERM "$wpid"
    wait "$wpid"
    unset "pids[$name]"
}
if command -v valgrind >/dev/null; then
    wrapped_run memcheck "$bin" valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$work/memcheck.log"
    rc=$?
    if [ $rc = 0 ] && grep -q "ERROR SUMMARY: 0 errors" "$work/memcheck.log"; then
        pass "memcheck: no error and no leak through take-over, changes, a delete and SIGTERM"
    else
        fail "memcheck: exit $rc"; sed -n '/HEAP SUMMARY/,$p' "$work/memcheck.log" | head -40
    fi
else
    echo "SKIP: memcheck (no valgrind)"
fi
tsan_bin=${KURYR_TSAN_BUILD_DIR:-$repo/build-tsan}/controller/kuryr-k8s-controller
if [ -x "$tsan_bin" ]; then
    TSAN_OPTIONS="halt_on_error=0 log_path=$work/tsan" wrapped_run tsan "$tsan_bin"
    rc=$?
    if [ $rc = 0 ] && ! grep -qs "WARNING: ThreadSanitizer" "$work"/tsan.*; then
        pass "tsan: no ThreadSanitizer report through take-over, changes, a delete and SIGTERM"
    else
        fail "tsan: exit $rc"; grep -h -A25 "WARNING: ThreadSanitizer" "$work"/tsan.* 2>/dev/null | head -60
    fi
else
    echo "SKIP: tsan (no ThreadSanitizer build at $tsan_bin; the tsan round makes one)"
fi
kubectl -n $ns delete lease $lease >/dev/null 2>&1

# ---- deployment --------------------------------------------------------------------------------------------
if "$repo/scripts/build-image" --save "$work/image.tar" "$bin" "$image" >/dev/null &&
   _k8s_ctr images import "$work/image.tar" >/dev/null; then
    pass "deployment: image $image imported into the rig's containerd"
else
    fail "deployment: image"
fi
# The manifest as shipped, with kuryr.conf pointed at the rig (its apiserver listens on 127.0.0.1 only, which
# the host-network pod reaches), the probe handler, the test image and one replica (one node: one port 8082).
kubectl create -f "$repo/etc/kubernetes/controller.yaml" --dry-run=client -o json >"$work/manifest.json" &&
/usr/bin/python3 - "$work/manifest.json" "$image" "$KURYR_K8S_API_URL" <<'PY' >"$work/rig.json" || fail "deployment: manifest"
import json, sys
# kubectl prints one JSON object per document, one after the other
text, objs, pos, dec = open(sys.argv[1]).read(), [], 0, json.JSONDecoder()
while text[pos:].strip():
    obj, end = dec.raw_decode(text[pos:].lstrip())
    objs.append(obj)
    pos = len(text) - len(text[pos:].lstrip()) + end
doc = {"apiVersion": "v1", "kind": "List", "items": objs}
image, api = sys.argv[2], sys.argv[3]
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
for o in doc["items"]:
    if o["kind"] == "ConfigMap":
        o["data"]["kuryr.conf"] = (f"[kubernetes]\napi_root = {api}\nssl_ca_crt_file = {sa}/ca.crt\n"
                                   f"token_file = {sa}/token\nenabled_handlers = probe\ncontroller_ha = true\n"
                                   "[health_server]\nport = 8082\n")
    if o["kind"] == "Deployment":
        o["spec"]["replicas"] = 1
        o["spec"]["template"]["spec"]["containers"][0]["image"] = image
json.dump(doc, sys.stdout)
PY
kubectl apply -f "$work/rig.json" >/dev/null || fail "deployment: apply"
if kubectl -n $ns rollout status deployment/kuryr-k8s-controller --timeout=120s >/dev/null; then
    pod=$(kubectl -n $ns get pods -l app=kuryr-k8s-controller -o jsonpath='{.items[0].metadata.name}')
    pass "deployment: rolled out, pod $pod Ready"
    kubectl -n $ns patch configmap kuryr-probe --type=merge -p '{"data":{"seq":"deployed"}}' >/dev/null
    wait_for "the pod to stamp the probe" sh -c "[ \"\$(kubectl -n $ns get configmap kuryr-probe -o jsonpath='{.metadata.annotations.kuryr\.openstack\.org/probed-by}')\" = '$pod' ]" &&
        pass "deployment: the pod leads and acts (probe stamped by $pod)"
else
    fail "deployment: rollout"
    kubectl -n $ns describe pods -l app=kuryr-k8s-controller | tail -30
    kubectl -n $ns logs -l app=kuryr-k8s-controller --tail=30
fi
# finish (the EXIT trap) removes the Deployment, RBAC, CRDs, ConfigMaps, Lease and image
