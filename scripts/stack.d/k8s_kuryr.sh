# shellcheck shell=bash
# Kuryr-C as the rig's CNI (issue 20 item 5), sourced by k8s.sh. With it, pods get Neutron ports:
#   Neutron   network, subnet (K8S_KURYR_POD_CIDR, in 10/8 and used by no other test) and security group
#             "kuryr-k8s-pods" in the kuryr user's project (bootstrap.py k8s-pods), removed with their ports by down
#   host      an unreachable route for the whole pod range (10.240.0.0/16), so that no pod address is ever
#             looked for beyond this host when no device serves it (the node port's route is more specific)
#   config    $K8S_DIR/kuryr.conf: the stack's [neutron] credentials, the rig's apiserver (admin kubeconfig),
#             the pod network, the daemon's socket; one file for kuryr-k8s-controller and kuryr-daemon
#   CNI       $K8S_DIR/cni-bin (containerd's bin_dir): kuryr-cni from the build and Debian's loopback; the
#             conflist from etc/cni/net.d with the daemon's socket
#   processes kuryr-k8s-controller and kuryr-daemon from the build (KURYR_BUILD_DIR, default build/), plain
#             processes with pid files and logs like the rig's others, stopped by down
# The node is named as Neutron knows this host (its agent's host name), so that binding:host_id = the pod's
# node binds. `--cni bridge` (or KURYR_RIG_CNI=bridge) keeps Debian's bridge plugin, the benchmark baseline; the
# default (auto) takes Kuryr-C when the stack runs and the build has all three binaries, else the bridge.

_k8s_kuryr_vars() {
    local repo build
    repo=$(cd "$K8S_SRC_DIR/../.." && pwd)
    build=${KURYR_BUILD_DIR:-build}
    case $build in /*) ;; *) build=$repo/$build ;; esac
    K8S_REPO=$repo
    K8S_KURYR_BUILD=$build
    K8S_KURYR_CONF=$K8S_DIR/kuryr.conf
    K8S_KURYR_SOCK=$K8S_RUN/kuryr-cni.sock
    K8S_KURYR_CNI_BIN=$K8S_DIR/cni-bin
    K8S_KURYR_POD_CIDR=${KURYR_K8S_KURYR_POD_CIDR:-10.240.0.0/22}
    K8S_KURYR_POD_RANGE=10.240.0.0/16
    K8S_KURYR_SERVICES="kuryr-k8s-controller kuryr-daemon"
    K8S_STACK_BASE=${KURYR_STACK_DIR:-/var/lib/kuryr-stack}
}

# The binaries Kuryr-C's CNI needs, as build paths.
_k8s_kuryr_bins() {
    echo "$K8S_KURYR_BUILD/controller/kuryr-k8s-controller $K8S_KURYR_BUILD/daemon/kuryr-daemon $K8S_KURYR_BUILD/cni/kuryr-cni"
}

_k8s_stack_running() { grep -qx "running=1" "$K8S_STACK_BASE/stack.state" 2>/dev/null; }

# Sets K8S_CNI (kuryr | bridge) from K8S_CNI_WANT (--cni) or KURYR_RIG_CNI (kuryr | bridge | auto) and records it.
# (Not KURYR_K8S_CNI: k8s_env exports that one, the running rig's, so a loaded environment would pin the next up.)
_k8s_cni_pick() {
    local want=${K8S_CNI_WANT:-${KURYR_RIG_CNI:-auto}} b missing=""
    for b in $(_k8s_kuryr_bins); do [ -x "$b" ] || missing+=" $b"; done
    # a controller without the pod handlers would leave every pod waiting for its port
    for b in controller/vif.c controller/kuryrport.c; do [ -f "$K8S_REPO/$b" ] || missing+=" $K8S_REPO/$b"; done
    case $want in
        bridge) K8S_CNI=bridge ;;
        kuryr)
            [ -z "$missing" ] || { _k8s_die "--cni kuryr: not built:$missing"; return 1; }
            _k8s_stack_running || { _k8s_die "--cni kuryr needs the OpenStack stack (scripts/stack up --k8s)"; return 1; }
            K8S_CNI=kuryr ;;
        auto)
            if [ -z "$missing" ] && _k8s_stack_running; then
                K8S_CNI=kuryr
            else
                K8S_CNI=bridge
                _k8s_log "CNI: Debian's bridge plugin (Kuryr-C's needs the stack up and its binaries built${missing:+; missing:$missing})"
            fi ;;
        *) _k8s_die "unknown CNI '$want' (kuryr, bridge or auto)"; return 1 ;;
    esac
    echo "$K8S_CNI" >"$K8S_RUN/cni"
}

_k8s_secret() { sed -n "s/^$1=//p" "$K8S_STACK_BASE/secrets" 2>/dev/null; }

_k8s_pods_bootstrap() {
    local auth
    auth=$(sed -n 's/^auth=//p' "$K8S_STACK_BASE/stack.state" | tail -n 1)
    STACK_ADMIN_PASSWORD=$(_k8s_secret admin) STACK_POD_CIDR=$K8S_KURYR_POD_CIDR \
        /usr/bin/python3 "$K8S_REPO/scripts/stack.d/bootstrap.py" "$1" "${auth:-keystone}"
}

_k8s_kuryr_conf() {
    local subnet=$1 sg=$2 project=$3
    # The [neutron] section is the stack's own (scripts/stack writes it for its clients); mode 600: it holds
    # the kuryr user's password.
    (
        umask 077
        exec >"$K8S_KURYR_CONF"
        awk '/^\[/ { on = ($0 == "[neutron]") } on' "$K8S_STACK_BASE/etc/kuryr/kuryr.conf"
        cat <<EOF

[DEFAULT]
host = $K8S_NODE_NAME
log_file = $K8S_LOG/kuryr.log

[kubernetes]
kubeconfig = $K8S_KUBECONFIG
enabled_handlers = vif,kuryrport
pod_vif_driver = neutron-vif
pod_subnets_driver = default
pod_security_groups_driver = default

[neutron_defaults]
project = $project
pod_subnet = $subnet
pod_security_groups = $sg
ovs_bridge = br-int

[cni_daemon]
socket_path = $K8S_KURYR_SOCK
node_name = $K8S_NODE_NAME
node_port = true

[health_server]
# not 8082: the controller test's Deployment uses that one on the host's network
port = 8092
EOF
    )
}

_k8s_kuryr_cni() {
    mkdir -p "$K8S_KURYR_CNI_BIN"
    ln -sfn "$K8S_CNI_BIN/loopback" "$K8S_KURYR_CNI_BIN/loopback"
    install -m 0755 "$K8S_KURYR_BUILD/cni/kuryr-cni" "$K8S_KURYR_CNI_BIN/kuryr-cni"
    [ -d /etc/cni ] || touch "$K8S_RUN/made-etc-cni"
    mkdir -p /etc/cni/net.d
    sed "s#\"daemon_socket\": *\"[^\"]*\"#\"daemon_socket\": \"$K8S_KURYR_SOCK\"#" \
        "$K8S_REPO/etc/cni/net.d/10-kuryr.conflist" >"$K8S_CNI_CONF"
}

# Everything Kuryr-C needs before containerd starts; the processes start once the apiserver is ready.
_k8s_kuryr_prepare() {
    local ids
    ids=$(_k8s_pods_bootstrap k8s-pods) || { _k8s_die "cannot make the pod network in Neutron"; return 1; }
    # shellcheck disable=SC2086
    set -- $ids
    ip route replace unreachable "$K8S_KURYR_POD_RANGE" metric 4242 || return 1
    _k8s_kuryr_conf "$2" "$3" "$4"
    _k8s_kuryr_cni
}

_k8s_kuryr_start() {
    _k8s_kubectl apply -f "$K8S_REPO/etc/kubernetes/crds/" >/dev/null &&
        _k8s_kubectl wait --for=condition=Established crd/kuryrports.openstack.org --timeout=60s >/dev/null ||
        { _k8s_die "cannot install Kuryr's CRDs"; return 1; }
    _k8s_start kuryr-k8s-controller "$K8S_KURYR_BUILD/controller/kuryr-k8s-controller" \
        --config-file "$K8S_KURYR_CONF" &&
    _k8s_start kuryr-daemon "$K8S_KURYR_BUILD/daemon/kuryr-daemon" --config-file "$K8S_KURYR_CONF" &&
    _k8s_wait "kuryr-daemon socket" kuryr-daemon test -S "$K8S_KURYR_SOCK"
}

# down: the processes after the pods' containers are gone; then Neutron's pod network with whatever ports
# are left on it, and the route.
_k8s_kuryr_down() {
    local s n
    for s in $K8S_KURYR_SERVICES; do _k8s_stop "$s"; done
    [ "$(cat "$K8S_RUN/cni" 2>/dev/null)" = kuryr ] || return 0
    if _k8s_stack_running; then
        n=$(_k8s_pods_bootstrap k8s-pods-down) && _k8s_log "down: pod network removed ($n ports left on it)"
    fi
    ip route del unreachable "$K8S_KURYR_POD_RANGE" metric 4242 2>/dev/null
    return 0
}
