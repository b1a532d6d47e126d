# Open vSwitch (userspace datapath, no kernel module) and OVN for the ovn back end.
# Databases live in the state dir; sockets stay at the default run dirs so plain ovs-vsctl/ovn-nbctl work.

OVS_DIR=$STACK_DIR/ovs
OVS_RUN=/run/openvswitch
OVN_RUN=/run/ovn
OVS_DB=unix:$OVS_RUN/db.sock

ovs_db_create() {
    [ -f "$1" ] || ovsdb-tool create "$1" "$2" || fail_component "$3" "ovsdb-tool create $1 failed"
}

# ovsdb_server NAME DBFILE SOCK: a foreground ovsdb-server tracked like every other stack process.
ovsdb_server() {
    local name=$1 db=$2 sock=$3
    shift 3
    start_bg "$name" "$db" ovsdb-server "$db" --remote="punix:$sock" "$@" \
        --unixctl="$RUN_DIR/$name.ctl" --log-file="$LOG_DIR/$name.log"
    wait_for "$name" 20 test -S "$sock"
}

ovn_up() {
    mkdir -p "$OVS_DIR" "$OVS_RUN" "$OVN_RUN"
    ovs_db_create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema ovsdb-server
    ovs_db_create "$OVS_DIR/ovnnb_db.db" /usr/share/ovn/ovn-nb.ovsschema ovn-nb
    ovs_db_create "$OVS_DIR/ovnsb_db.db" /usr/share/ovn/ovn-sb.ovsschema ovn-sb
    say "ovn: starting ovsdb-server, ovs-vswitchd, NB/SB databases, northd, controller"
    ovsdb_server ovsdb-server "$OVS_DIR/conf.db" "$OVS_RUN/db.sock" \
        --remote=db:Open_vSwitch,Open_vSwitch,manager_options --pidfile="$OVS_RUN/ovsdb-server.pid"
    ovs-vsctl --db="$OVS_DB" --no-wait init
    start_bg ovs-vswitchd "ovs-vswitchd" ovs-vswitchd "$OVS_DB" --pidfile="$OVS_RUN/ovs-vswitchd.pid" \
        --unixctl="$OVS_RUN/ovs-vswitchd.ctl" --log-file="$LOG_DIR/ovs-vswitchd.log"
    wait_for ovs-vswitchd 20 ovs-appctl -t "$OVS_RUN/ovs-vswitchd.ctl" version
    ovs-vsctl --db="$OVS_DB" --timeout=10 -- --may-exist add-br br-int \
        -- set Bridge br-int datapath_type=netdev fail_mode=secure other_config:disable-in-band=true \
        -- set Open_vSwitch . other_config:userspace-tso-enable=true \
        external_ids:ovn-remote="unix:$OVN_RUN/ovnsb_db.sock" external_ids:ovn-encap-ip=127.0.0.1 \
        external_ids:ovn-encap-type=geneve external_ids:ovn-bridge=br-int external_ids:system-id="$HOST" \
        external_ids:hostname="$HOST" || fail_component ovs-vswitchd "cannot create br-int"
    ovsdb_server ovn-nb "$OVS_DIR/ovnnb_db.db" "$OVN_RUN/ovnnb_db.sock"
    ovsdb_server ovn-sb "$OVS_DIR/ovnsb_db.db" "$OVN_RUN/ovnsb_db.sock"
    start_bg ovn-northd "ovn-northd" ovn-northd --ovnnb-db="unix:$OVN_RUN/ovnnb_db.sock" \
        --ovnsb-db="unix:$OVN_RUN/ovnsb_db.sock" --unixctl="$RUN_DIR/ovn-northd.ctl" --log-file="$LOG_DIR/ovn-northd.log"
    ovn_controller_start
    wait_for ovn-northd 20 ovn-appctl -t "$RUN_DIR/ovn-northd.ctl" status
    wait_for ovn-controller 30 ovn_chassis_registered
    # A registered chassis is not yet a working one: once, right after a switch from linuxbridge, ovn-controller
    # registered and then never ran its main loop again, Neutron called its agent dead after agent_down_time
    # and every bind ended binding_failed. Prove it processes the databases; restart it once if it does not.
    if ! ovn_controller_caught_up; then
        say "ovn: ovn-controller registered but did not catch up with the northbound DB in 15 s; restarting it"
        stop_pid ovn-controller 10
        ovn_controller_start
        wait_for ovn-controller 30 ovn_chassis_registered
        ovn_controller_caught_up || fail_component ovn-controller "does not process the OVN databases"
    fi
}

ovn_controller_start() {
    start_bg ovn-controller "ovn-controller" ovn-controller "$OVS_DB" \
        --log-file="$LOG_DIR/ovn-controller.log"
}

# --wait=hv returns only when every chassis has applied the northbound DB's current nb_cfg.
ovn_controller_caught_up() {
    ovn-nbctl --db="unix:$OVN_RUN/ovnnb_db.sock" --timeout=15 --wait=hv sync > /dev/null 2>&1
}

ovn_chassis_registered() {
    [ -n "$(ovn-sbctl --db="unix:$OVN_RUN/ovnsb_db.sock" --timeout=2 --bare --columns=name find Chassis name="$HOST")" ]
}

ovn_down() {
    if pid_alive ovsdb-server; then
        ovs-vsctl --db="$OVS_DB" --timeout=5 --if-exists del-br br-int > /dev/null 2>&1 || true
    fi
    stop_pid ovn-controller 10
    stop_pid ovn-northd 10
    stop_pid ovn-sb 10
    stop_pid ovn-nb 10
    stop_pid ovs-vswitchd 10
    stop_pid ovsdb-server 10
    rm -f "$OVN_RUN"/ovn*_db.sock "$OVS_RUN/db.sock"
}
