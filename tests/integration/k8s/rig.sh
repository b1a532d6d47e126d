# shellcheck shell=bash
# Sourced by the rig's integration tests: one bring-up preamble for all of them.
#   rig_attach   uses the running rig, or brings one up (rig_started=1) when none runs; exits 77 when it
#                cannot (not root, no Go toolchain to build the rig)
#   rig_detach   takes the rig down again if rig_attach brought it up (call it from the test's cleanup), and
#                lets a paused controller go on
#   rig_pause_controller  stops (SIGSTOP) the rig's own kuryr-k8s-controller, when a Kuryr-C rig runs one, until
#                rig_detach: for a test that plays the controller's part on KuryrPorts of its own (the rig's
#                controller would otherwise act on them too, e.g. mark their VIFs active before the test does)
# scripts/test's k8s round brings the rig up once (scripts/stack up --k8s) before its tests, so there every
# test attaches to that one rig; run alone, a test brings up and takes down its own.
#   pass/fail/skip  a check's outcome (counted in passed/failed; skip exits 77)
# Sets repo, sources scripts/stack.d/k8s.sh with its K8S_ variables, and loads k8s_env (KUBECONFIG, PATH).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# shellcheck source=../../../scripts/stack.d/k8s.sh
. "$repo/scripts/stack.d/k8s.sh"
_k8s_vars
rig_started=0
rig_paused_pid=""

passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; exit 77; }

rig_attach() {
    [ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
    if ! _k8s_pid kube-apiserver >/dev/null; then
        command -v go >/dev/null || { echo "SKIP: no Go toolchain to build the rig"; exit 77; }
        k8s_up >/dev/null || { echo "FAIL: k8s rig up"; exit 1; }
        rig_started=1
    fi
    eval "$(k8s_env)"
    K8S_BIN=$K8S_DIR/bin
}

rig_detach() {
    [ -n "$rig_paused_pid" ] && kill -CONT "$rig_paused_pid" 2>/dev/null
    rig_paused_pid=""
    [ "$rig_started" = 1 ] && k8s_down >/dev/null 2>&1
    rig_started=0
}

rig_pause_controller() {
    local pid
    pid=$(_k8s_pid kuryr-k8s-controller) || return 0
    kill -STOP "$pid" && rig_paused_pid=$pid
}
