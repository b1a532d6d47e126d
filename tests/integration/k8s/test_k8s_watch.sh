#!/usr/bin/env bash
# Watch correctness of libkuryr's informer against the rig's real kube-apiserver (k8s_watch_check.c does the
# writing and the checking). While it creates, updates and deletes KURYR_WATCH_OBJECTS (500) ConfigMaps in five
# rounds, this script, half-way through
#   round 3  SIGKILLs kube-apiserver and starts it again (same flags, as the rig does);
#   round 4  SIGKILLs it, moves etcd's revision on and compacts etcd while it is down, and starts it again: the
#            new watch cache begins past the informer's resourceVersion, so its watch gets 410 Gone. The checker
#            holds the informer's thread from just before the kill to the end of the round, so everything written
#            after the restart (deletes among it) reaches the informer only through the relist's differences.
# The writer keeps writing through each outage (retrying until the apiserver is back).
# Then the informer's cache must equal a fresh LIST and the handlers must have seen every object's final state,
# each change once (see k8s_watch_check.c for the exact checks).
# Uses a running rig, or brings one up and down itself. KURYR_K8S_RESTART_LOCK, when set, names a file to
# flock around each apiserver restart (others sharing the rig). Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail
. "$(dirname "$0")/rig.sh"
checker=${KURYR_WATCH_CHECK_BIN:-$repo/build/tests/integration/k8s/k8s_watch_check}
objects=${KURYR_WATCH_OBJECTS:-500}
ns=kuryr-watch-test-$$

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$checker" ] || { echo "FAIL: no checker at $checker"; exit 1; }
rig_attach

checker_pid=""
cleanup() {
    [ -n "$checker_pid" ] && kill -KILL "$checker_pid" 2>/dev/null && wait "$checker_pid" 2>/dev/null
    # The apiserver must be left running whatever happened.
    _k8s_pid kube-apiserver >/dev/null || start_apiserver >/dev/null 2>&1
    kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
    rig_detach
}
trap 'rc=$?; trap - EXIT; cleanup; exit $rc' EXIT
trap 'exit 1' INT TERM

# Descriptors no daemon may inherit: the checker's pipes and the restart lock (an apiserver holding the lock's
# descriptor would hold the lock for ever).
private_fds=""

locked() {
    local lockfd rc
    [ -n "${KURYR_K8S_RESTART_LOCK:-}" ] || { "$@"; return; }
    exec {lockfd}>>"$KURYR_K8S_RESTART_LOCK"
    flock "$lockfd"
    private_fds+=" $lockfd"
    "$@"
    rc=$?
    private_fds=${private_fds% "$lockfd"}
    exec {lockfd}>&-
    return $rc
}

start_apiserver() {
    # Starts only what is not running (the apiserver) and waits for /readyz, without our private descriptors.
    (
        for fd in $private_fds; do eval "exec $fd>&-"; done
        _k8s_start_control_plane
    )
}

# etcd's v3 JSON gateway: key and value are base64.
etcd_call() { curl -sf -X POST "$K8S_ETCD_URL/v3/$1" -d "$2"; }

kill_apiserver() {
    local pid i
    pid=$(_k8s_pid kube-apiserver) || return 0
    kill -KILL "$pid"
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}

# Kills kube-apiserver ($1 = gone: and moves etcd on past what the informer saw), lets the checker write on
# through the outage (answer on fd $2), then starts the apiserver again.
disrupt() {
    local how=$1 answer_fd=$2 t0 rev=""
    t0=$(date +%s%N)
    kill_apiserver || { echo "FAIL: kube-apiserver did not die"; return 1; }
    if [ "$how" = gone ]; then
        # A write outside /registry moves the revision past everything the informer saw; compaction makes
        # that history unreachable in etcd as well. The restarted watch cache starts at the new revision.
        etcd_call kv/put '{"key":"a3VyeXItd2F0Y2gtdGVzdA==","value":"MQ=="}' >/dev/null &&
        etcd_call kv/deleterange '{"key":"a3VyeXItd2F0Y2gtdGVzdA=="}' >/dev/null || { echo "FAIL: etcd put"; return 1; }
        rev=$(etcd_call kv/range '{"key":"AA==","limit":1,"keys_only":true}' | sed -n 's/.*"revision":"\([0-9]*\)".*/\1/p')
        [ -n "$rev" ] && etcd_call kv/compaction "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null ||
            { echo "FAIL: etcd compaction"; return 1; }
    fi
    echo go >&"$answer_fd"
    start_apiserver >/dev/null || { echo "FAIL: kube-apiserver did not come back"; return 1; }
    echo "disruption ($how${rev:+, etcd compacted at $rev}): kube-apiserver killed mid-round and ready again" \
         "$(( ($(date +%s%N) - t0) / 1000000 )) ms later"
}

kubectl create namespace "$ns" >/dev/null || { echo "FAIL: create namespace $ns"; exit 1; }
coproc CHECK { exec "$checker" "$ns" "$objects" 2>&1; }
checker_pid=$CHECK_PID
private_fds="${CHECK[0]} ${CHECK[1]}"
failed=0
while IFS= read -r line <&"${CHECK[0]}"; do
    echo "$line"
    case $line in
        "ROUND 3 MID") locked disrupt plain "${CHECK[1]}" || failed=1 ;;
        "ROUND 4 MID") locked disrupt gone "${CHECK[1]}" || failed=1 ;;
        "ROUND "*" MID" | "ROUND "*" END") echo next >&"${CHECK[1]}" ;;
        FAIL:*) failed=1 ;;
    esac
done
wait "$checker_pid"
rc=$?
checker_pid=""
[ $rc = 0 ] && [ $failed = 0 ] && { echo "k8s_watch: pass"; exit 0; }
echo "k8s_watch: FAIL (checker exit $rc)"
exit 1
