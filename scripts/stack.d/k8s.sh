# shellcheck shell=bash
# Kubernetes test rig: one real node on this machine, reachable on loopback.
#   etcd (Debian's etcd-server) -> kube-apiserver, kube-controller-manager, kube-scheduler
#   -> kubelet -> a private containerd (Debian's, own root/state/socket) -> runc, CNI bridge.
# The Kubernetes binaries are built from the k8s.io/kubernetes Go module pinned in tests/k8s/go.mod.
#
# Sourced by scripts/stack (k8s_up, k8s_down, k8s_status, k8s_env) and by scripts/k8s-rig.
# Only functions and K8S_-prefixed variables live here: sourcing it starts nothing.
# Everything runtime lives in ${KURYR_STACK_DIR:-/var/lib/kuryr-stack}/k8s; built binaries and
# images are cached in .../k8s-cache and survive `down`.

K8S_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/k8s" && pwd)
# shellcheck source=k8s_kuryr.sh
. "$(dirname "${BASH_SOURCE[0]}")/k8s_kuryr.sh"

_k8s_vars() {
    local base=${KURYR_STACK_DIR:-/var/lib/kuryr-stack}
    K8S_DIR=$base/k8s
    K8S_CACHE=${KURYR_K8S_CACHE:-$base/k8s-cache}
    K8S_LOG=$K8S_DIR/log
    K8S_RUN=$K8S_DIR/run
    K8S_PKI=$K8S_DIR/pki
    K8S_CTRD=$K8S_DIR/containerd
    K8S_CTRD_SOCK=$K8S_CTRD/containerd.sock
    K8S_KUBECONFIG=$K8S_DIR/admin.kubeconfig
    # The CNI this rig was brought up with (kuryr | bridge; see k8s_kuryr.sh), recorded by up.
    K8S_CNI=$(cat "$K8S_RUN/cni" 2>/dev/null || echo bridge)
    _k8s_node_name
    # kubelet refuses a loopback node IP, and the host's own address is off limits for tests, so
    # the node gets a 10/8 address on a link of its own: traffic to it never leaves the host. The
    # link is an empty bridge because this kernel has no dummy driver (and no modules to load).
    K8S_NODE_LINK=kuryr-k8s0
    K8S_NODE_IP=${KURYR_K8S_NODE_IP:-10.254.0.1}
    K8S_POD_CIDR=${KURYR_K8S_POD_CIDR:-10.244.0.0/24}
    K8S_SVC_CIDR=${KURYR_K8S_SVC_CIDR:-10.96.0.0/16}
    K8S_SVC_IP=${KURYR_K8S_SVC_IP:-10.96.0.1}
    K8S_CNI_CONF=/etc/cni/net.d/10-kuryr-k8s-rig.conflist
    K8S_CNI_BIN=/usr/lib/cni
    K8S_BRIDGE=cni0
    K8S_POD_GW=$(_k8s_first_ip "$K8S_POD_CIDR")
    # etcd off its default ports: the OpenStack stack runs its own etcd on 2379/2380.
    K8S_ETCD_URL=http://127.0.0.1:${KURYR_K8S_ETCD_PORT:-23790}
    K8S_ETCD_PEER_URL=http://127.0.0.1:${KURYR_K8S_ETCD_PEER_PORT:-23800}
    K8S_API_PORT=${KURYR_K8S_API_PORT:-6443}
    K8S_API_URL=https://127.0.0.1:$K8S_API_PORT
    K8S_PAUSE_IMAGE=localhost/kuryr/pause:1
    K8S_BUSYBOX_IMAGE=localhost/kuryr/busybox:1
    K8S_BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl pause"
    K8S_SERVICES="etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet"
    _k8s_kuryr_vars
    [ "$K8S_CNI" = kuryr ] && K8S_SERVICES+=" $K8S_KURYR_SERVICES"
    return 0
}

# With Kuryr-C's CNI the node goes by the name Neutron's agent reports for this host, so that a pod port's
# binding:host_id (its node) binds; with the bridge plugin the name is only Kubernetes'.
_k8s_node_name() {
    if [ -n "${KURYR_K8S_NODE_NAME:-}" ]; then
        K8S_NODE_NAME=$KURYR_K8S_NODE_NAME
    elif [ "$K8S_CNI" = kuryr ]; then
        K8S_NODE_NAME=$(hostname)
    else
        K8S_NODE_NAME=kuryr-k8s-node
    fi
}

# First host address of an IPv4 CIDR (the pod network's gateway on cni0).
_k8s_first_ip() {
    local a b c d n
    IFS=./ read -r a b c d _ <<<"$1"
    n=$(( ((a << 24) | (b << 16) | (c << 8) | d) + 1 ))
    echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
}

_k8s_log() { echo "k8s: $*" >&2; }
_k8s_die() { echo "k8s: error: $*" >&2; return 1; }

# --- build ---------------------------------------------------------------------------------------

# The cache key covers everything the binaries are made from, so a version bump in go.mod/go.sum
# (or an edit of a tiny main package or of the build recipe) rebuilds and nothing else does.
_k8s_build_key() {
    (cd "$K8S_SRC_DIR" && cat go.mod go.sum cmd/*/main.go && go env GOVERSION && declare -f _k8s_build) |
        sha256sum | cut -c1-16
}

_k8s_build() {
    _k8s_vars
    command -v go >/dev/null || { _k8s_die "go not found (Go >= 1.24 is needed to build the Kubernetes components)"; return 1; }
    local key bin tmp b ver ldflags pkg
    key=$(_k8s_build_key)
    bin=$K8S_CACHE/bin-$key
    K8S_BIN=$bin
    for b in $K8S_BINARIES; do [ -x "$bin/$b" ] || break; done
    if [ -x "$bin/$b" ]; then return 0; fi
    mkdir -p "$K8S_CACHE"
    tmp=$(mktemp -d "$K8S_CACHE/build.XXXXXX")
    # Upstream stamps the release into the binaries at link time; without it every component
    # reports v0.0.0-master and kubectl/kubelet version-skew checks become meaningless.
    ver=$(grep -o -m1 '^[[:space:]]*k8s.io/kubernetes v[0-9][0-9.]*' "$K8S_SRC_DIR/go.mod" | awk '{print $2}')
    [ -n "$ver" ] || { _k8s_die "no k8s.io/kubernetes version in $K8S_SRC_DIR/go.mod"; return 1; }
    ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $pkg.gitVersion=$ver -X $pkg.gitMajor=$(echo "$ver" | cut -d. -f1 | tr -d v)"
        ldflags+=" -X $pkg.gitMinor=$(echo "$ver" | cut -d. -f2) -X $pkg.gitTreeState=clean"
    done
    _k8s_log "building Kubernetes components (cold builds take a while; log: $K8S_CACHE/build.log)"
    # Static binaries (as upstream releases them); niced and -p=2 so parallel work on a 2-core host
    # keeps going. /usr/bin/time -v records the wall time and peak memory of the build.
    if ! (cd "$K8S_SRC_DIR" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-p=2" \
            /usr/bin/time -v -o "$K8S_CACHE/build.time" \
            nice -n 19 go build -trimpath -ldflags="$ldflags" -o "$tmp/" ./cmd/...) >"$K8S_CACHE/build.log" 2>&1; then
        tail -20 "$K8S_CACHE/build.log" >&2
        rm -rf "$tmp"
        _k8s_die "build failed"
        return 1
    fi
    _k8s_log "build: $(grep -E 'Elapsed|Maximum resident' "$K8S_CACHE/build.time" | sed 's/^\s*//' | tr '\n' ';')"
    rm -rf "$bin" && mv "$tmp" "$bin"
    # Older builds are just disk space now.
    find "$K8S_CACHE" -maxdepth 1 -name 'bin-*' ! -name "bin-$key" -exec rm -rf {} +
}

# --- images --------------------------------------------------------------------------------------

# Writes a docker-save style tarball (manifest.json + config + one layer) of rootfs $1, tagged $2,
# with the config's process fields given as JSON in $3. Reproducible: sorted, zero mtimes.
_k8s_image_tar() {
    local rootfs=$1 tag=$2 procjson=$3 out=$4 work diffid cfgid
    work=$(mktemp -d)
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
    diffid=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
    mkdir "$work/$diffid" && mv "$work/layer.tar" "$work/$diffid/layer.tar"
    printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
        "$procjson" "$diffid" >"$work/config.json"
    cfgid=$(sha256sum "$work/config.json" | cut -d' ' -f1)
    mv "$work/config.json" "$work/$cfgid.json"
    printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$cfgid" "$tag" "$diffid" >"$work/manifest.json"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out" .
    rm -rf "$work"
}

_k8s_images() {
    _k8s_vars
    local dir=$K8S_CACHE/images root a
    mkdir -p "$dir"
    if [ ! -s "$dir/pause.tar" ] || [ "$K8S_BIN/pause" -nt "$dir/pause.tar" ]; then
        root=$(mktemp -d)
        install -m 0755 "$K8S_BIN/pause" "$root/pause"
        _k8s_image_tar "$root" "$K8S_PAUSE_IMAGE" '{"Entrypoint":["/pause"]}' "$dir/pause.tar"
        rm -rf "$root"
    fi
    if [ ! -s "$dir/busybox.tar" ] || [ /bin/busybox -nt "$dir/busybox.tar" ]; then
        if ldd /bin/busybox >/dev/null 2>&1; then
            _k8s_die "/bin/busybox is dynamically linked (install busybox-static)"; return 1
        fi
        root=$(mktemp -d)
        mkdir -p "$root/bin" "$root/tmp" "$root/etc"
        install -m 0755 /bin/busybox "$root/bin/busybox"
        for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"; done
        chmod 1777 "$root/tmp"
        echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
        echo 'root:x:0:' >"$root/etc/group"
        _k8s_image_tar "$root" "$K8S_BUSYBOX_IMAGE" '{"Env":["PATH=/bin"],"Cmd":["sh"]}' "$dir/busybox.tar"
        rm -rf "$root"
    fi
}

# --- credentials ---------------------------------------------------------------------------------

# _k8s_cert NAME CN ORG [SAN] : client/server certificate signed by the rig CA.
_k8s_cert() {
    local name=$1 cn=$2 org=$3 san=${4:-} ext=$K8S_PKI/$1.ext
    [ -s "$K8S_PKI/$name.crt" ] && return 0
    {
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=serverAuth,clientAuth"
        [ -n "$san" ] && echo "subjectAltName=$san"
    } >"$ext"
    openssl req -newkey rsa:2048 -nodes -keyout "$K8S_PKI/$name.key" -subj "/O=$org/CN=$cn" \
        -out "$K8S_PKI/$name.csr" 2>/dev/null &&
    openssl x509 -req -in "$K8S_PKI/$name.csr" -CA "$K8S_PKI/ca.crt" -CAkey "$K8S_PKI/ca.key" \
        -CAcreateserial -days 30 -extfile "$ext" -out "$K8S_PKI/$name.crt" 2>/dev/null ||
        { _k8s_die "cannot make certificate $name"; return 1; }
    rm -f "$K8S_PKI/$name.csr" "$ext"
}

_k8s_kubeconfig() {
    local file=$1 user=$2
    cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kuryr-rig
  cluster:
    server: $K8S_API_URL
    certificate-authority: $K8S_PKI/ca.crt
users:
- name: $user
  user:
    client-certificate: $K8S_PKI/$user.crt
    client-key: $K8S_PKI/$user.key
contexts:
- name: kuryr-rig
  context: {cluster: kuryr-rig, user: $user}
current-context: kuryr-rig
EOF
}

_k8s_credentials() {
    _k8s_vars
    mkdir -p "$K8S_PKI" && chmod 0700 "$K8S_PKI"
    if [ ! -s "$K8S_PKI/ca.crt" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=kuryr-rig-ca" \
            -keyout "$K8S_PKI/ca.key" -out "$K8S_PKI/ca.crt" 2>/dev/null || { _k8s_die "cannot make CA"; return 1; }
    fi
    # Service-account tokens are signed with this key pair (apiserver verifies, controller-manager signs).
    if [ ! -s "$K8S_PKI/sa.key" ]; then
        openssl genrsa -out "$K8S_PKI/sa.key" 2048 2>/dev/null &&
        openssl rsa -in "$K8S_PKI/sa.key" -pubout -out "$K8S_PKI/sa.pub" 2>/dev/null || { _k8s_die "cannot make SA keys"; return 1; }
    fi
    _k8s_cert apiserver kube-apiserver kuryr-rig \
        "IP:127.0.0.1,IP:$K8S_NODE_IP,IP:$K8S_SVC_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" || return 1
    _k8s_cert admin kubernetes-admin system:masters || return 1
    _k8s_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters || return 1
    _k8s_cert controller-manager system:kube-controller-manager system:kube-controller-manager || return 1
    _k8s_cert scheduler system:kube-scheduler system:kube-scheduler || return 1
    # Node authorizer + NodeRestriction only accept a kubelet named system:node:<node> in system:nodes.
    _k8s_cert kubelet "system:node:$K8S_NODE_NAME" system:nodes || return 1
    _k8s_cert kubelet-server "$K8S_NODE_NAME" kuryr-rig "IP:$K8S_NODE_IP,DNS:$K8S_NODE_NAME" || return 1
    _k8s_kubeconfig "$K8S_KUBECONFIG" admin
    _k8s_kubeconfig "$K8S_DIR/controller-manager.kubeconfig" controller-manager
    _k8s_kubeconfig "$K8S_DIR/scheduler.kubeconfig" scheduler
    _k8s_kubeconfig "$K8S_DIR/kubelet.kubeconfig" kubelet
    chmod 0600 "$K8S_DIR"/*.kubeconfig "$K8S_PKI"/*.key
}

# --- processes -----------------------------------------------------------------------------------

_k8s_pid() {
    local f=$K8S_RUN/$1.pid pid
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# _k8s_start NAME CMD... : runs CMD detached in its own session, logging to log/NAME.log.
_k8s_start() {
    local name=$1; shift
    if _k8s_pid "$name" >/dev/null; then return 0; fi
    # The child writes its own PID and then execs the daemon, so the pid file names the daemon
    # itself even when setsid has to fork (as it does when started as a process-group leader).
    rm -f "$K8S_RUN/$name.pid"
    # No descriptor above 2 may reach a daemon: fd 9 is the up/down lock (_k8s_locked), and a caller's
    # `flock LOCK scripts/k8s-rig up` would otherwise leave LOCK held by the rig for its whole life.
    setsid bash -c 'for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
        echo $$ >"$0"; exec "$@"' "$K8S_RUN/$name.pid" "$@" </dev/null >>"$K8S_LOG/$name.log" 2>&1 &
    local i
    for ((i = 0; i < 50; i++)); do [ -s "$K8S_RUN/$name.pid" ] && return 0; sleep 0.1; done
    _k8s_die "$name did not start"
}

# _k8s_wait WHAT NAME CMD... : polls CMD until it succeeds; fails early if process NAME died.
# The limit is generous because a cold apiserver on a busy 2-core host is slow.
_k8s_wait() {
    local what=$1 name=$2 i; shift 2
    for ((i = 0; i < ${KURYR_K8S_WAIT:-300}; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        if [ -n "$name" ] && ! _k8s_pid "$name" >/dev/null; then
            tail -25 "$K8S_LOG/$name.log" >&2
            _k8s_die "$name exited while waiting for $what"
            return 1
        fi
        sleep 1
    done
    [ -n "$name" ] && tail -25 "$K8S_LOG/$name.log" >&2
    _k8s_die "timed out waiting for $what"
}

_k8s_curl_api() {
    curl -sf --cacert "$K8S_PKI/ca.crt" --cert "$K8S_PKI/admin.crt" --key "$K8S_PKI/admin.key" "$K8S_API_URL$1"
}

_k8s_kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$K8S_KUBECONFIG" "$@"; }

_k8s_ctr() { ctr --address "$K8S_CTRD_SOCK" -n k8s.io "$@"; }

_k8s_start_etcd() {
    _k8s_start etcd etcd --name kuryr-rig --data-dir "$K8S_DIR/etcd" \
        --listen-client-urls "$K8S_ETCD_URL" --advertise-client-urls "$K8S_ETCD_URL" \
        --listen-peer-urls "$K8S_ETCD_PEER_URL" --initial-advertise-peer-urls "$K8S_ETCD_PEER_URL" \
        --initial-cluster "kuryr-rig=$K8S_ETCD_PEER_URL" --listen-metrics-urls "" &&
    _k8s_wait "etcd health" etcd curl -sf "$K8S_ETCD_URL/health"
}

_k8s_start_control_plane() {
    local p=$K8S_PKI
    _k8s_start kube-apiserver "$K8S_BIN/kube-apiserver" \
        --etcd-servers="$K8S_ETCD_URL" \
        --bind-address=127.0.0.1 --secure-port="$K8S_API_PORT" --advertise-address="$K8S_NODE_IP" \
        --service-cluster-ip-range="$K8S_SVC_CIDR" \
        --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
        --client-ca-file="$p/ca.crt" \
        --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
        --service-account-issuer=https://kubernetes.default.svc.cluster.local \
        --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
        --kubelet-client-certificate="$p/apiserver-kubelet-client.crt" \
        --kubelet-client-key="$p/apiserver-kubelet-client.key" \
        --kubelet-certificate-authority="$p/ca.crt" \
        --kubelet-preferred-address-types=InternalIP \
        --allow-privileged=true --profiling=false &&
    _k8s_wait "kube-apiserver /readyz" kube-apiserver _k8s_curl_api /readyz || return 1
    _k8s_start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
        --kubeconfig="$K8S_DIR/controller-manager.kubeconfig" \
        --authentication-kubeconfig="$K8S_DIR/controller-manager.kubeconfig" \
        --authorization-kubeconfig="$K8S_DIR/controller-manager.kubeconfig" \
        --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
        --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
        --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
        --service-cluster-ip-range="$K8S_SVC_CIDR" --profiling=false || return 1
    _k8s_start kube-scheduler "$K8S_BIN/kube-scheduler" \
        --kubeconfig="$K8S_DIR/scheduler.kubeconfig" \
        --authentication-kubeconfig="$K8S_DIR/scheduler.kubeconfig" \
        --authorization-kubeconfig="$K8S_DIR/scheduler.kubeconfig" \
        --bind-address=127.0.0.1 --leader-elect=false --profiling=false || return 1
    _k8s_wait "kube-controller-manager /healthz" kube-controller-manager curl -skf https://127.0.0.1:10257/healthz &&
    _k8s_wait "kube-scheduler /healthz" kube-scheduler curl -skf https://127.0.0.1:10259/healthz
}

# --- node ----------------------------------------------------------------------------------------

_k8s_node_link() {
    ip link show "$K8S_NODE_LINK" >/dev/null 2>&1 ||
        ip link add "$K8S_NODE_LINK" type bridge || return 1
    [[ $(ip -o addr show dev "$K8S_NODE_LINK") == *"inet $K8S_NODE_IP/"* ]] ||
        ip addr add "$K8S_NODE_IP/32" dev "$K8S_NODE_LINK" || return 1
    ip link set "$K8S_NODE_LINK" up
}

_k8s_bridge() {
    local len=${K8S_POD_CIDR#*/}
    ip link show "$K8S_BRIDGE" >/dev/null 2>&1 || ip link add "$K8S_BRIDGE" type bridge || return 1
    [[ $(ip -o addr show dev "$K8S_BRIDGE") == *"inet $K8S_POD_GW/"* ]] ||
        ip addr add "$K8S_POD_GW/$len" dev "$K8S_BRIDGE" || return 1
    ip link set "$K8S_BRIDGE" up
}

_k8s_write_cni_conf() {
    [ -d /etc/cni ] || touch "$K8S_RUN/made-etc-cni"
    mkdir -p /etc/cni/net.d
    # bridge + host-local, addresses from 10/8 only. ipMasq false: nothing is NATed to the outside.
    # isGateway is off because the bridge plugin would then switch on the host's ip_forward, which
    # the OpenStack stack owns; the rig gives cni0 the gateway address itself (_k8s_bridge), so
    # pods still get a default route to the host and host<->pod traffic works, unforwarded.
    # host-local keeps its leases in the rig's state dir, not /var/lib/cni.
    cat >"$K8S_CNI_CONF" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "kuryr-k8s-rig",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$K8S_BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$K8S_DIR/cni-ipam",
        "ranges": [[{"subnet": "$K8S_POD_CIDR", "gateway": "$K8S_POD_GW"}]],
        "routes": [{"dst": "0.0.0.0/0", "gw": "$K8S_POD_GW"}]
      }
    },
    {"type": "loopback"}
  ]
}
EOF
}

_k8s_write_containerd_conf() {
    mkdir -p "$K8S_CTRD"
    # Everything containerd owns is under the state dir, so it never meets the Docker engine's
    # containerd (/run/containerd, /var/lib/containerd). runc's state root is moved too: its
    # default /run/containerd/runc would be shared with the other daemon.
    cat >"$K8S_CTRD/config.toml" <<EOF
version = 2
root = "$K8S_CTRD/root"
state = "$K8S_CTRD/state"
plugin_dir = ""
disabled_plugins = []

[grpc]
  address = "$K8S_CTRD_SOCK"

[ttrpc]
  address = "$K8S_CTRD_SOCK.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$K8S_CTRD/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$K8S_PAUSE_IMAGE"
  # Pod network namespaces under our state dir instead of /var/run/netns.
  netns_mounts_under_state_dir = true
  # This sandbox drops CAP_SYS_RESOURCE from every process's bounding set (CapBnd lacks bit 24),
  # so nothing may lower an oom_score_adj below its own: runc fails the pod sandbox with
  # "failed to update /proc/self/oom_score_adj: Permission denied" when asked for the kubelet's
  # -998. This clamps requested values to containerd's own score (0 here) instead.
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # Must match kubelet's cgroupDriver (cgroupfs: there is no systemd here).
        SystemdCgroup = false
        Root = "$K8S_CTRD/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    # Debian installs the CNI plugins in /usr/lib/cni, not /opt/cni/bin; Kuryr-C's go to a dir of the rig's.
    bin_dir = "$([ "$K8S_CNI" = kuryr ] && echo "$K8S_KURYR_CNI_BIN" || echo "$K8S_CNI_BIN")"
    conf_dir = "/etc/cni/net.d"
    max_conf_num = 1
EOF
}

_k8s_write_kubelet_conf() {
    mkdir -p "$K8S_DIR/kubelet"
    cat >"$K8S_DIR/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# No systemd on this host, and containerd's runc uses cgroupfs too: both sides must agree.
cgroupDriver: cgroupfs
# The host has no swap; should a developer machine have some, the rig must still start.
failSwapOn: false
# The host mounts cgroup v1 (hybrid). kubelet 1.34 still supports it (1.35 refuses it by
# default); set explicitly so the rig does not depend on that default.
failCgroupV1: false
containerRuntimeEndpoint: unix://$K8S_CTRD_SOCK
# Serve only on the node's own address (see K8S_NODE_IP), never on the host's interfaces.
address: $K8S_NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $K8S_PKI/kubelet-server.crt
tlsPrivateKeyFile: $K8S_PKI/kubelet-server.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $K8S_PKI/ca.crt}
# Only holders of a rig-CA client certificate reach the kubelet at all (x509 above).
authorization: {mode: AlwaysAllow}
# Pod logs in the state dir rather than /var/log/pods (only the /var/log/containers symlinks
# are fixed in the kubelet; down removes those).
podLogsDir: $K8S_DIR/pod-logs
# No cluster DNS in the rig; pods use the host's resolv.conf.
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
# The rig's disk is shared with builds: the default 10-15% free-space evictions would evict test
# pods whenever the build cache grows, so disk evictions are off and memory keeps a floor.
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "0%"
  imagefs.available: "0%"
  nodefs.inodesFree: "0%"
  imagefs.inodesFree: "0%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# No registry is reachable: the pause and busybox images are imported, never pulled.
serializeImagePulls: false
# The KUBE-FIREWALL/KUBE-IPTABLES-HINT chains serve kube-proxy, which the rig does not run; they
# would outlive the kubelet in the host's tables.
makeIPTablesUtilChains: false
# kubelet rewrites these host sysctls (vm.overcommit_memory, kernel.panic, ...) at start-up;
# the rig saves them first (run/sysctl.orig) and down puts them back.
protectKernelDefaults: false
EOF
}

_k8s_import_images() {
    local t
    for t in pause busybox; do
        _k8s_ctr images import "$K8S_CACHE/images/$t.tar" >/dev/null ||
            { _k8s_die "cannot import $t image"; return 1; }
    done
}

# The host sysctls kubelet sets when protectKernelDefaults is false.
K8S_KUBELET_SYSCTLS="vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes"

_k8s_save_sysctls() {
    local k
    [ -s "$K8S_RUN/sysctl.orig" ] && return 0
    for k in $K8S_KUBELET_SYSCTLS; do echo "$k $(cat "/proc/sys/$k")"; done >"$K8S_RUN/sysctl.orig.tmp"
    mv "$K8S_RUN/sysctl.orig.tmp" "$K8S_RUN/sysctl.orig"
}

_k8s_restore_sysctls() {
    local k v
    [ -s "$K8S_RUN/sysctl.orig" ] || return 0
    while read -r k v; do echo "$v" >"/proc/sys/$k" 2>/dev/null; done <"$K8S_RUN/sysctl.orig"
}

_k8s_start_node() {
    _k8s_save_sysctls
    _k8s_node_link || { _k8s_die "cannot create $K8S_NODE_LINK"; return 1; }
    if [ "$K8S_CNI" = kuryr ]; then
        _k8s_kuryr_prepare || { _k8s_die "cannot set Kuryr-C up as the CNI"; return 1; }
    else
        _k8s_bridge || { _k8s_die "cannot create $K8S_BRIDGE"; return 1; }
        _k8s_write_cni_conf
    fi
    _k8s_write_containerd_conf
    _k8s_start containerd containerd --config "$K8S_CTRD/config.toml" &&
    _k8s_wait "containerd socket" containerd _k8s_ctr version &&
    _k8s_import_images || return 1
    # the CNI daemon must answer before kubelet runs the first pod
    if [ "$K8S_CNI" = kuryr ]; then _k8s_kuryr_start || return 1; fi
    _k8s_write_kubelet_conf
    _k8s_start kubelet "$K8S_BIN/kubelet" \
        --config="$K8S_DIR/kubelet-config.yaml" \
        --kubeconfig="$K8S_DIR/kubelet.kubeconfig" \
        --root-dir="$K8S_DIR/kubelet" \
        --hostname-override="$K8S_NODE_NAME" \
        --node-ip="$K8S_NODE_IP" || return 1
    _k8s_wait "node $K8S_NODE_NAME to register" kubelet _k8s_kubectl get node "$K8S_NODE_NAME" &&
    _k8s_wait "node $K8S_NODE_NAME Ready" kubelet \
        _k8s_kubectl wait --for=condition=Ready "node/$K8S_NODE_NAME" --timeout=5s
}

# Host paths that kubelet, containerd 1.6 and libcni hard-code whatever their configuration:
#   /var/lib/kubelet/device-plugins  kubelet's device-plugin socket
#   /var/log/containers              kubelet's symlinks to container logs
#   /var/lib/cni/results             libcni's result cache (one file per pod interface)
#   /run/containerd/{s,fifo,runc}    shim sockets (also used by any other containerd 1.6 here)
# up notes which of them did not exist yet; down removes what is ours and those it created.
K8S_HOST_PATHS="/var/lib/kubelet /var/log/containers /var/lib/cni /run/containerd"

_k8s_note_host_paths() {
    local p
    for p in $K8S_HOST_PATHS; do
        [ -e "$p" ] || [ -e "$K8S_RUN/made${p//\//_}" ] || touch "$K8S_RUN/made${p//\//_}"
    done
}

_k8s_clean_host_paths() {
    local f id
    for f in /var/log/containers/*.log; do
        [[ -L $f && $(readlink "$f") == "$K8S_DIR/"* ]] && rm -f "$f"
    done
    for f in /var/lib/cni/results/kuryr-k8s-rig-*; do
        [ -e "$f" ] || continue
        id=${f#/var/lib/cni/results/kuryr-k8s-rig-}; id=${id%-*}
        rm -f "$f" "/var/lib/cni/results/cni-loopback-$id-lo"
    done
    [ -e "$K8S_RUN/made_var_lib_kubelet" ] && rm -rf /var/lib/kubelet/device-plugins &&
        rmdir /var/lib/kubelet 2>/dev/null
    [ -e "$K8S_RUN/made_var_log_containers" ] && rmdir /var/log/containers 2>/dev/null
    [ -e "$K8S_RUN/made_var_lib_cni" ] && rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null
    if [ -e "$K8S_RUN/made_run_containerd" ]; then
        rmdir /run/containerd/s /run/containerd/fifo /run/containerd/runc/k8s.io /run/containerd/runc /run/containerd 2>/dev/null
    fi
    return 0
}

_k8s_preflight() {
    local c missing=()
    [ "$(id -u)" = 0 ] || { _k8s_die "must run as root"; return 1; }
    for c in etcd containerd containerd-shim-runc-v2 runc ctr openssl ip curl setsid; do
        command -v "$c" >/dev/null || missing+=("$c")
    done
    [ -x "$K8S_CNI_BIN/bridge" ] && [ -x "$K8S_CNI_BIN/host-local" ] || missing+=("$K8S_CNI_BIN/bridge,host-local")
    [ -x /bin/busybox ] || missing+=(/bin/busybox)
    [ ${#missing[@]} -eq 0 ] || { _k8s_die "missing: ${missing[*]} (scripts/install-deps k8s)"; return 1; }
    [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] ||
        { _k8s_die "no usable cgroup hierarchy under /sys/fs/cgroup"; return 1; }
}

_k8s_up() {
    _k8s_vars
    _k8s_preflight || return 1
    _k8s_build || return 1
    _k8s_images || return 1
    mkdir -p "$K8S_DIR" "$K8S_LOG" "$K8S_RUN"
    ln -sfn "$K8S_BIN" "$K8S_DIR/bin"
    # the CNI decides the node's name, which the credentials below carry
    _k8s_cni_pick || return 1
    _k8s_node_name
    _k8s_note_host_paths
    _k8s_credentials || return 1
    _k8s_start_etcd || return 1
    _k8s_start_control_plane || return 1
    _k8s_start_node || return 1
    _k8s_log "up: node $K8S_NODE_NAME Ready (CNI: $K8S_CNI); KUBECONFIG=$K8S_KUBECONFIG"
}

# --- status / env --------------------------------------------------------------------------------

_k8s_status() {
    _k8s_vars
    local s pid rc=0
    for s in $K8S_SERVICES; do
        if pid=$(_k8s_pid "$s"); then echo "$s: running (pid $pid)"; else echo "$s: stopped"; rc=1; fi
    done
    if [ $rc = 0 ]; then
        K8S_BIN=$K8S_DIR/bin
        _k8s_kubectl get nodes -o wide 2>&1 || rc=1
    fi
    return $rc
}

_k8s_env() {
    _k8s_vars
    # The binaries of the running rig (a link into the cache made by up).
    local bin=$K8S_DIR/bin
    echo "export KUBECONFIG=$K8S_KUBECONFIG"
    echo "export KURYR_K8S_API_URL=$K8S_API_URL"
    echo "export KURYR_K8S_CA=$K8S_PKI/ca.crt"
    echo "export KURYR_K8S_NODE=$K8S_NODE_NAME"
    echo "export KURYR_K8S_CNI=$K8S_CNI"
    if [ "$K8S_CNI" = kuryr ]; then
        echo "export KURYR_K8S_POD_CIDR=$K8S_KURYR_POD_CIDR"
        echo "export KURYR_K8S_KURYR_CONF=$K8S_KURYR_CONF"
    else
        echo "export KURYR_K8S_POD_CIDR=$K8S_POD_CIDR"
    fi
    echo "export KURYR_K8S_BIN=$bin"
    echo "export KURYR_K8S_BUSYBOX_IMAGE=$K8S_BUSYBOX_IMAGE"
    echo "export PATH=$bin:\$PATH"
}

# --- down ----------------------------------------------------------------------------------------

_k8s_stop() {
    local name=$1 pid i
    pid=$(_k8s_pid "$name") || { rm -f "$K8S_RUN/$name.pid"; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$pid" 2>/dev/null
    rm -f "$K8S_RUN/$name.pid"
}

# Stops every container of the k8s.io namespace through our containerd, so runc and the shims
# clean up after themselves; whatever survives is killed below by PID.
_k8s_stop_containers() {
    local id
    _k8s_ctr version >/dev/null 2>&1 || return 0
    for id in $(_k8s_ctr tasks ls -q 2>/dev/null); do
        _k8s_ctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1
    done
    sleep 1
    for id in $(_k8s_ctr tasks ls -q 2>/dev/null); do _k8s_ctr tasks delete -f "$id" >/dev/null 2>&1; done
    for id in $(_k8s_ctr containers ls -q 2>/dev/null); do _k8s_ctr containers delete "$id" >/dev/null 2>&1; done
}

# Shims outlive containerd by design; ours are the ones whose -address is our socket. Any other
# rig process without a pid file (one whose up was cut short) is recognised by its command line,
# which names this rig's state dir or cached binaries; each is killed by its own PID.
_k8s_rig_pids() {
    local only=${1:-} p cmd
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = "$BASHPID" ] && continue
        cmd=$( { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
        case $cmd in
            "$K8S_CACHE"/bin-*/kubelet\ *) echo "${p#/proc/}" ;;
            *) [ "$only" = kubelet ] && continue ;;&
            *containerd-shim*"-address $K8S_CTRD_SOCK "* | "$K8S_CACHE"/bin-*/kube-*) echo "${p#/proc/}" ;;
            "etcd --name kuryr-rig --data-dir $K8S_DIR/"* | "containerd --config $K8S_CTRD/"*) echo "${p#/proc/}" ;;
            *" --config-file $K8S_DIR/kuryr.conf "*) echo "${p#/proc/}" ;;
        esac
    done
}

_k8s_kill_strays() {
    local pid
    for pid in $(_k8s_rig_pids "${1:-}"); do kill -KILL "$pid" 2>/dev/null; done
}

_k8s_umount_all() {
    local m
    # Deepest first; lazy as a last resort for mounts a dying process still holds.
    for m in $(awk -v d="$K8S_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
}

# kubelet's cgroupfs driver makes kubepods/ in every v1 hierarchy; remove them leaves first.
_k8s_remove_cgroups() {
    local d
    for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice /sys/fs/cgroup/kubepods; do
        [ -d "$d" ] || continue
        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
}

_k8s_down() {
    _k8s_vars
    local s link
    [ -d "$K8S_DIR" ] || { _k8s_log "down: nothing to do"; return 0; }
    # kubelet first, so it restarts nothing while the containers go away.
    _k8s_stop kubelet
    _k8s_kill_strays kubelet
    _k8s_stop_containers
    _k8s_stop containerd
    _k8s_kuryr_down
    _k8s_kill_strays
    for s in kube-scheduler kube-controller-manager kube-apiserver etcd; do _k8s_stop "$s"; done
    _k8s_umount_all
    # Pod netns are gone with their last process and mount; their veths go with them. Any veth
    # still enslaved to our bridge (a half-made pod) is removed explicitly before the bridge.
    for link in $(ip -o link show master "$K8S_BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
        ip link del "$link" 2>/dev/null
    done
    ip link del "$K8S_BRIDGE" 2>/dev/null
    ip link del "$K8S_NODE_LINK" 2>/dev/null
    rm -f "$K8S_CNI_CONF"
    [ -e "$K8S_RUN/made-etc-cni" ] && rmdir /etc/cni/net.d /etc/cni 2>/dev/null
    _k8s_restore_sysctls
    _k8s_remove_cgroups
    _k8s_clean_host_paths
    # The state dir goes entirely (scripts/stack treats its presence as "k8s was brought up");
    # the logs move to the cache dir for post-mortems.
    if [ -d "$K8S_LOG" ]; then
        mkdir -p "$K8S_CACHE" && rm -rf "$K8S_CACHE/last-logs" && mv "$K8S_LOG" "$K8S_CACHE/last-logs"
    fi
    rm -rf "$K8S_DIR"
    _k8s_log "down: stopped and removed (logs moved to $K8S_CACHE/last-logs)"
}

# Public entry points. scripts/stack runs under `set -euo pipefail`; the rig's steps check their
# own errors and many probes are expected to fail, so each entry point runs in a subshell with
# errexit/nounset off and returns only its overall status. Nothing it started is tied to the
# subshell (daemons are setsid'd and tracked by pid file).
# up and down take a lock, so a `scripts/stack down` and a test's `up` cannot interleave.
_k8s_locked() {
    _k8s_vars
    mkdir -p "$K8S_CACHE"
    exec 9>"$K8S_CACHE/lock"
    flock 9 || return 1
    "$@"
}
k8s_up() { (set +eu; _k8s_locked _k8s_up); }
k8s_down() { (set +eu; _k8s_locked _k8s_down); }
k8s_status() { (set +eu; _k8s_status); }
k8s_env() { (set +eu; _k8s_env); }
k8s_build() { (set +eu; _k8s_build); }
