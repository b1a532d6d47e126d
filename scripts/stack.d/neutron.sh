# neutron-server plus, on the linuxbridge back end, the L2 and DHCP agents.

NEUTRON_DIR=$STACK_DIR/neutron
NEUTRON_CONF=$ETC_DIR/neutron/neutron.conf
ML2_CONF=$ETC_DIR/neutron/ml2_conf.ini
LB_CONF=$ETC_DIR/neutron/linuxbridge_agent.ini
DHCP_CONF=$ETC_DIR/neutron/dhcp_agent.ini
NEUTRON_URL=http://127.0.0.1:9696

# Every privsep context neutron uses; we run as root, so the helper is started without sudo.
neutron_privsep_sections() {
    local s
    for s in privsep privsep_dhcp_release privsep_ovs_vsctl privsep_namespace privsep_conntrack privsep_link; do
        printf '[%s]\nhelper_command = privsep-helper\n' "$s"
    done
}

neutron_conf() {
    local backend=$1 auth=$2
    mkdir -p "$NEUTRON_DIR/lock"
    local plugins transport
    if [ "$backend" = ovn ]; then
        plugins=ovn-router,trunk
        transport=fake:/
    else
        plugins=router,trunk
        transport="rabbit://kuryr:$(secret rabbit)@127.0.0.1:5672/"
    fi
    write_conf "$NEUTRON_CONF" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9696
core_plugin = ml2
service_plugins = $plugins
auth_strategy = $( [ "$auth" = noauth ] && echo noauth || echo keystone )
allow_overlapping_ips = true
api_workers = ${KURYR_NEUTRON_API_WORKERS:-1}
rpc_workers = 1
rpc_state_report_workers = 1
global_physnet_mtu = 1500
dhcp_agent_notification = $( [ "$backend" = ovn ] && echo False || echo True )
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
state_path = $NEUTRON_DIR
transport_url = $transport
host = $HOST
use_stderr = false
debug = false
[agent]
root_helper =
report_interval = 5
[oslo_concurrency]
lock_path = $NEUTRON_DIR/lock
[database]
connection = $(mariadb_url neutron "$(secret db_neutron)")
max_pool_size = 20
max_overflow = 40
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL
auth_url = $KEYSTONE_URL
auth_type = password
username = neutron
password = $(secret neutron)
project_name = service
user_domain_name = Default
project_domain_name = Default
memcached_servers =
[experimental]
linuxbridge = True
$(neutron_privsep_sections)
CONF
    if [ "$backend" = ovn ]; then
        write_conf "$ML2_CONF" <<CONF
[ml2]
type_drivers = geneve,flat
tenant_network_types = geneve
mechanism_drivers = ovn
extension_drivers = port_security
overlay_ip_version = 4
[ml2_type_geneve]
vni_ranges = 1:65536
max_header_size = 38
[ml2_type_flat]
flat_networks = *
[securitygroup]
enable_security_group = true
[ovn]
ovn_nb_connection = unix:$OVN_RUN/ovnnb_db.sock
ovn_sb_connection = unix:$OVN_RUN/ovnsb_db.sock
ovn_metadata_enabled = True
enable_distributed_floating_ip = false
CONF
    else
        write_conf "$ML2_CONF" <<CONF
[ml2]
type_drivers = flat,vxlan,local
tenant_network_types = vxlan
mechanism_drivers = linuxbridge,l2population
extension_drivers = port_security
[ml2_type_vxlan]
vni_ranges = 1:10000
[ml2_type_flat]
flat_networks = *
[securitygroup]
enable_security_group = true
CONF
        write_conf "$LB_CONF" <<CONF
[linux_bridge]
physical_interface_mappings =
[vxlan]
enable_vxlan = true
local_ip = 127.0.0.1
l2_population = true
[agent]
polling_interval = 1
[securitygroup]
firewall_driver = noop
enable_security_group = false
[experimental]
linuxbridge = True
CONF
        write_conf "$DHCP_CONF" <<CONF
[DEFAULT]
interface_driver = linuxbridge
dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
enable_isolated_metadata = false
force_metadata = false
resync_interval = 5
CONF
    fi
}

neutron_api() { curl -fsS -o /dev/null "$NEUTRON_URL/"; }

neutron_start() {
    local backend=$1 auth=$2
    neutron_conf "$backend" "$auth"
    mariadb_db neutron "$(secret db_neutron)"
    if [ "$(cat "$NEUTRON_DIR/migrated" 2>/dev/null)" != "$backend" ]; then
        say "neutron: migrating the database (once)"
        neutron-db-manage --config-file "$NEUTRON_CONF" --config-file "$ML2_CONF" upgrade heads \
            > "$LOG_DIR/neutron-db-manage.log" 2>&1 || fail_component neutron-db-manage "database migration failed"
        echo "$backend" > "$NEUTRON_DIR/migrated"
    fi
    if ! pid_alive neutron-server; then
        say "neutron: starting neutron-server on 127.0.0.1:9696"
        start_bg neutron-server "neutron-server" /usr/bin/python3 /usr/bin/neutron-server \
            --config-file "$NEUTRON_CONF" --config-file "$ML2_CONF" --log-file "$LOG_DIR/neutron-server.log"
    fi
}

neutron_ready() { wait_for neutron-server 90 neutron_api; }

# Agents publish to topics whose queues neutron-server's RPC workers declare when they start consuming; a
# message sent before that is dropped and the agent stalls for rpc_response_timeout. So agents start after.
neutron_rpc_ready() {
    ( rabbit_env; /usr/lib/rabbitmq/bin/rabbitmqctl -q list_queues name consumers 2> /dev/null ) |
        awk '$1 == "q-plugin" && $2 > 0 {a = 1} $1 == "q-reports-plugin" && $2 > 0 {b = 1} END {exit !(a && b)}'
}

neutron_agents_start() {
    if ! pid_alive neutron-linuxbridge-agent; then
        say "neutron: starting linuxbridge agent"
        # The agent runs "ebtables" from its PATH: give it the ebtables-nft workaround (see that script).
        mkdir -p "$STACK_DIR/bin"
        install -m 755 "$here/stack.d/ebtables-nft-compat" "$STACK_DIR/bin/ebtables"
        PATH="$STACK_DIR/bin:$PATH" start_bg neutron-linuxbridge-agent "neutron-linuxbridge-agent" /usr/bin/python3 \
            /usr/bin/neutron-linuxbridge-agent --config-file "$NEUTRON_CONF" --config-file "$LB_CONF" \
            --log-file "$LOG_DIR/neutron-linuxbridge-agent.log"
    fi
    if ! pid_alive neutron-dhcp-agent; then
        say "neutron: starting DHCP agent"
        start_bg neutron-dhcp-agent "neutron-dhcp-agent" /usr/bin/python3 /usr/bin/neutron-dhcp-agent \
            --config-file "$NEUTRON_CONF" --config-file "$DHCP_CONF" --log-file "$LOG_DIR/neutron-dhcp-agent.log"
    fi
}

# neutron-server needs ~14 s to exit on SIGTERM and its workers hold :9696 meanwhile.
neutron_down() {
    stop_pid neutron-dhcp-agent 20
    stop_pid neutron-linuxbridge-agent 20
    stop_pid neutron-server 40
    local f pid
    # dnsmasq daemons of the DHCP agent outlive it; their PID files are under our state path.
    for f in "$NEUTRON_DIR"/dhcp/*/pid "$NEUTRON_DIR"/external/pids/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        if [ -n "$pid" ] && grep -qa -e dnsmasq -e haproxy "/proc/$pid/cmdline" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
        rm -f "$f"
    done
    local i
    for ((i = 0; i < 300; i++)); do port_open 9696 || break; sleep 0.1; done
}
