# The four sub-commands of scripts/stack.

KURYR_CONF=$ETC_DIR/kuryr/kuryr.conf
CLOUDS_YAML=$ETC_DIR/clouds.yaml

components() {
    local backend=$1 auth=$2
    echo mariadb
    [ "$backend" = ovn ] && echo ovsdb-server ovs-vswitchd ovn-nb ovn-sb ovn-northd ovn-controller
    [ "$backend" = ovn ] || echo epmd rabbitmq
    [ "$auth" = noauth ] || echo keystone
    echo neutron-server
    [ "$backend" = ovn ] || echo neutron-linuxbridge-agent neutron-dhcp-agent
    echo dockerd
    if cinder_enabled; then echo cinder-api cinder-scheduler cinder-volume; fi
    return 0
}

all_healthy() {
    local c
    for c in $(components "$1" "$2"); do pid_alive "$c" || return 1; done
    neutron_api
}

k8s_state_exists() { [ -d "$STACK_DIR/k8s" ] && declare -F k8s_up > /dev/null; }

stack_up() {
    local backend=linuxbridge auth=keystone k8s=0 cinder=0
    while [ $# -gt 0 ]; do
        case $1 in
            --backend) backend=${2:-}; shift ;;
            --backend=*) backend=${1#*=} ;;
            --noauth) auth=noauth ;;
            --k8s) k8s=1 ;;
            --cni) k8s=1; export K8S_CNI_WANT=${2:-}; shift ;;
            --cni=*) k8s=1; export K8S_CNI_WANT=${1#*=} ;;
            --cinder) cinder=1 ;;
            *) die "up: unknown option '$1'" ;;
        esac
        shift
    done
    case $backend in linuxbridge | ovn) ;; *) die "up: --backend must be linuxbridge or ovn" ;; esac
    if [ $cinder = 1 ] && { [ "$backend" = ovn ] || [ "$auth" = noauth ]; }; then
        die "up: --cinder needs Keystone and RabbitMQ (the linuxbridge back end without --noauth)"
    fi
    [ "$(id -u)" = 0 ] || die "up must run as root"

    local groups=(build stack test)
    [ $k8s = 0 ] || groups+=(k8s)
    [ $cinder = 0 ] || groups+=(cinder)
    say "installing packages (scripts/install-deps ${groups[*]})"
    "$here/install-deps" "${groups[@]}"
    local running_backend running_auth agents_since=0
    running_backend=$(state_get backend)
    running_auth=$(state_get auth)
    if [ "$(state_get running)" = 1 ] && { [ "$running_backend" != "$backend" ] || [ "$running_auth" != "$auth" ]; }; then
        if all_healthy "$running_backend" "$running_auth"; then
            die "the stack is up with backend=$running_backend auth=$running_auth; run 'scripts/stack down' first"
        fi
        say "a previous stack ($running_backend/$running_auth) is not healthy: taking it down first"
        stack_down
    fi
    if [ "$(state_get running)" = 1 ] && all_healthy "$backend" "$auth"; then
        # Cinder and the Kubernetes rig join a running stack without disturbing what runs: only their own
        # services start.
        if [ $cinder = 0 ] || { cinder_enabled && cinder_api; }; then
            [ $k8s = 0 ] && { say "stack is already up (backend=$backend auth=$auth): nothing to do"; return 0; }
        else
            cinder_up
            cinder_ready
            write_client_conf "$backend" "$auth"
            say "cinder is up on the running stack; logs in $LOG_DIR"
        fi
        if [ $k8s = 1 ]; then
            if declare -F k8s_status > /dev/null && k8s_status > /dev/null 2>&1; then
                say "kubernetes rig is already up"
            else
                stack_k8s_up
                say "kubernetes rig is up on the running stack (backend=$backend)"
            fi
        fi
        return 0
    fi

    mkdir -p "$STACK_DIR" "$RUN_DIR" "$LOG_DIR" "$ETC_DIR"
    chmod 700 "$STACK_DIR"
    state_set backend "$backend"
    state_set auth "$auth"
    state_set running 1
    forwarding_off

    mariadb_start
    [ "$backend" = ovn ] || rabbitmq_start
    docker_start
    mariadb_ready
    if [ "$(cat "$NEUTRON_DIR/migrated" 2> /dev/null)" != "$backend" ] && [ -f "$NEUTRON_DIR/migrated" ]; then
        say "neutron: back end changed, recreating its database"
        mysql_root -e 'DROP DATABASE IF EXISTS neutron'
        rm -f "$NEUTRON_DIR/migrated"
    fi
    # Keystone and neutron-server load for ~10 s each; they start together and neutron only needs the
    # service users once a request arrives.
    [ "$auth" = keystone ] && keystone_start
    [ "$backend" = ovn ] && ovn_up
    [ "$backend" = ovn ] || rabbitmq_ready
    neutron_start "$backend" "$auth"
    if [ "$auth" = keystone ]; then
        keystone_ready
        if [ ! -f "$KEYSTONE_DIR/users-made" ]; then
            STACK_ADMIN_PASSWORD=$(secret admin) STACK_NEUTRON_PASSWORD=$(secret neutron) \
                STACK_KURYR_PASSWORD=$(secret kuryr) /usr/bin/python3 "$here/stack.d/bootstrap.py" keystone "$auth" \
                > "$LOG_DIR/bootstrap.log" 2>&1 || fail_component bootstrap "Keystone users and endpoints"
            touch "$KEYSTONE_DIR/users-made"
        fi
    fi
    neutron_ready
    if [ "$backend" != ovn ]; then
        wait_for neutron-server 60 neutron_rpc_ready
        if ! pid_alive neutron-linuxbridge-agent || ! pid_alive neutron-dhcp-agent; then
            # Both restart together so "started after this up began" identifies live agents (started_at has
            # whole seconds, hence the second of slack).
            stop_pid neutron-linuxbridge-agent 20
            stop_pid neutron-dhcp-agent 20
            agents_since=$(($(date +%s) - 1))
            neutron_agents_start
        fi
    fi
    say "neutron: default subnetpools kuryr and kuryr6, waiting for agents"
    STACK_ADMIN_PASSWORD=$(secret admin) STACK_BACKEND=$backend STACK_SINCE=$agents_since /usr/bin/python3 "$here/stack.d/bootstrap.py" \
        neutron "$auth" >> "$LOG_DIR/bootstrap.log" 2>&1 || fail_component bootstrap "Neutron subnetpools or agents"
    docker_ready
    if [ $cinder = 1 ] || cinder_enabled; then
        cinder_up
        cinder_ready
    fi
    write_client_conf "$backend" "$auth"
    [ $k8s = 0 ] || stack_k8s_up
    say "stack is up (backend=$backend auth=$auth); logs in $LOG_DIR; eval \"\$(scripts/stack env)\""
}

stack_k8s_up() {
    declare -F k8s_up > /dev/null || die "--k8s: scripts/stack.d/k8s.sh does not provide k8s_up"
    mkdir -p "$STACK_DIR/k8s"
    k8s_up || die "--k8s: the Kubernetes rig did not come up (logs in $STACK_DIR/k8s/log)"
}

write_client_conf() {
    local backend=$1 auth=$2
    if [ "$auth" = noauth ]; then
        write_conf "$KURYR_CONF" <<CONF
[neutron]
auth_type = none
endpoint_override = $NEUTRON_URL
default_subnetpool_v4 = kuryr
default_subnetpool_v6 = kuryr6
CONF
        write_conf "$CLOUDS_YAML" <<CONF
clouds:
  kuryr-stack:
    auth_type: none
    network_endpoint_override: $NEUTRON_URL
  kuryr-stack-admin:
    auth_type: none
    network_endpoint_override: $NEUTRON_URL
CONF
        return
    fi
    write_conf "$KURYR_CONF" <<CONF
[neutron]
auth_type = password
auth_url = $KEYSTONE_URL
username = kuryr
password = $(secret kuryr)
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
endpoint_type = public
default_subnetpool_v4 = kuryr
default_subnetpool_v6 = kuryr6
CONF
    write_conf "$CLOUDS_YAML" <<CONF
clouds:
  kuryr-stack:
    auth:
      auth_url: $KEYSTONE_URL
      username: kuryr
      password: $(secret kuryr)
      project_name: service
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
  kuryr-stack-admin:
    auth:
      auth_url: $KEYSTONE_URL
      username: admin
      password: $(secret admin)
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
CONF
}

stack_down() {
    local purge=0
    [ "${1:-}" = --purge ] && purge=1
    [ "$(id -u)" = 0 ] || die "down must run as root"
    if [ "${1:-}" = --cinder ]; then
        # Only Cinder leaves; the rest of the stack runs on untouched.
        say "stopping cinder, unmounting its share and detaching its loop device"
        cinder_down
        state_set cinder 0
        say "cinder is down"
        return 0
    fi
    if [ ! -d "$STACK_DIR" ]; then say "no stack state in $STACK_DIR: nothing to do"; return 0; fi
    if k8s_state_exists && declare -F k8s_down > /dev/null; then
        say "kubernetes: stopping"
        k8s_down
    fi
    say "stopping docker"
    docker_down
    if cinder_enabled || [ -f "$CINDER_SHARE_IMG" ]; then
        say "stopping cinder, unmounting its share and detaching its loop device"
        cinder_down
        state_set cinder 0
    fi
    say "stopping neutron (neutron-server takes ~15 s to release :9696)"
    neutron_down
    say "stopping ovn, keystone, rabbitmq, mariadb"
    ovn_down
    keystone_down
    rabbitmq_down
    mariadb_down
    net_cleanup
    forwarding_restore
    state_set running 0
    if [ $purge = 1 ]; then
        say "removing $STACK_DIR"
        rm -rf "$STACK_DIR"
    fi
    say "stack is down"
}

stack_status() {
    if [ ! -f "$STATE_FILE" ]; then echo "stack: not set up ($STACK_DIR has no state)"; return 3; fi
    local backend auth c rc=0 pid rss total=0
    backend=$(state_get backend)
    auth=$(state_get auth)
    echo "stack: backend=$backend auth=$auth dir=$STACK_DIR running=$(state_get running)"
    for c in $(components "$backend" "$auth"); do
        if pid_alive "$c"; then
            pid=$(cat "$(pidfile "$c")")
            rss=0
            for p in $pid $(descendants "$pid"); do
                rss=$((rss + $(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2> /dev/null || echo 0)))
            done
            total=$((total + rss))
            printf '  %-26s up    pid %-7s %6d MiB  log %s\n' "$c" "$pid" $((rss / 1024)) "$LOG_DIR/$c.log"
        else
            printf '  %-26s DOWN                        log %s\n' "$c" "$LOG_DIR/$c.log"
            rc=1
        fi
    done
    if neutron_api; then echo "  neutron API $NEUTRON_URL answers"; else echo "  neutron API $NEUTRON_URL does not answer"; rc=1; fi
    if cinder_enabled; then
        if cinder_api; then echo "  cinder API $CINDER_URL answers"; else echo "  cinder API $CINDER_URL does not answer"; rc=1; fi
        echo "  cinder NFS share: $(cinder_share_loop) on $(cinder_share_dir)$(mountpoint -q "$(cinder_share_dir)" || echo ' NOT MOUNTED')"
    fi
    echo "  total memory (PSS) of stack processes: $((total / 1024)) MiB"
    if k8s_state_exists && declare -F k8s_status > /dev/null; then k8s_status || rc=1; fi
    return $rc
}

stack_env() {
    if [ "$(state_get running)" != 1 ]; then echo "stack: not up (scripts/stack up)" >&2; return 1; fi
    local backend auth
    backend=$(state_get backend)
    auth=$(state_get auth)
    echo "export KURYR_STACK_DIR='$STACK_DIR'"
    echo "export KURYR_STACK_BACKEND='$backend'"
    echo "export KURYR_STACK_AUTH='$auth'"
    echo "export KURYR_STACK_CONF='$KURYR_CONF'"
    echo "export OS_CLIENT_CONFIG_FILE='$CLOUDS_YAML'"
    if [ "$auth" = noauth ]; then
        echo "export OS_AUTH_TYPE=none"
        echo "export OS_ENDPOINT='$NEUTRON_URL'"
        echo "export OS_NETWORK_ENDPOINT_OVERRIDE='$NEUTRON_URL'"
    else
        # OS_* is the kuryr service user; OS_ADMIN_* the bootstrap admin (also clouds kuryr-stack[-admin]).
        echo "export OS_AUTH_TYPE=password"
        echo "export OS_AUTH_URL='$KEYSTONE_URL'"
        echo "export OS_IDENTITY_API_VERSION=3"
        echo "export OS_REGION_NAME=RegionOne"
        echo "export OS_USERNAME=kuryr"
        echo "export OS_PASSWORD='$(secret kuryr)'"
        echo "export OS_PROJECT_NAME=service"
        echo "export OS_USER_DOMAIN_NAME=Default"
        echo "export OS_PROJECT_DOMAIN_NAME=Default"
        echo "export OS_ADMIN_USERNAME=admin"
        echo "export OS_ADMIN_PASSWORD='$(secret admin)'"
        echo "export OS_ADMIN_PROJECT_NAME=admin"
    fi
    [ "$DOCKER_SOCK" = /run/docker.sock ] || [ "$DOCKER_SOCK" = /var/run/docker.sock ] ||
        echo "export DOCKER_HOST='unix://$DOCKER_SOCK'"
    if cinder_enabled; then echo "export KURYR_STACK_CINDER=1"; fi
    if k8s_state_exists && declare -F k8s_env > /dev/null; then k8s_env; fi
    return 0
}
