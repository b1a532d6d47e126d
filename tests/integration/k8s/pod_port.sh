# shellcheck shell=bash
# Sourced by the rig tests that stand in for the controller: a real Neutron port on a 10/8 network of the test's
# own, bound to the Linux bridge agent's host, and the KuryrPort carrying it (status.vifs written with the shared
# VIF codec through vif_json, as kuryr-k8s-controller writes it).
#   pp_neutron_login          a Keystone token from the stack's OS_*, and the agent's host (1 when unavailable)
#   pp_neutron M PATH [BODY]  Neutron through curl with that token (the openstack CLI costs seconds a call)
#   pp_network NAME CIDR GW   creates a network and subnet: sets pp_net_id, pp_mtu
#   pp_port NAME DEVICE_ID    creates a bound compute:kuryr port: sets pp_port_id, pp_mac, pp_ip
#   pp_kuryrport NS NAME NODE UID PORT_ID MAC IP CIDR GW ACTIVE(0|1)   the KuryrPort and its status.vifs
#   pp_cleanup                deletes the ports, the network and their host taps
# Needs: the stack's env (OS_*), kubectl on the rig, and PP_VIF_JSON (the vif_json helper's path).
pp_net_id="" pp_mtu="" pp_agent_host="" pp_token="" pp_port_ids=()
pp_neutron_url=http://127.0.0.1:9696/v2.0

# pp_py EXPR: evaluates EXPR with j = the JSON on stdin.
pp_py() { /usr/bin/python3 -c "import json, sys; j = json.load(sys.stdin); print($1)" 2>/dev/null; }

pp_neutron_login() {
    local auth
    auth=$(/usr/bin/python3 -c '
import json, os
e = os.environ
print(json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": e["OS_USERNAME"],
    "domain": {"name": e["OS_USER_DOMAIN_NAME"]}, "password": e["OS_PASSWORD"]}}},
    "scope": {"project": {"name": e["OS_PROJECT_NAME"], "domain": {"name": e["OS_PROJECT_DOMAIN_NAME"]}}}}}))' 2>/dev/null) ||
        return 1
    pp_token=$(curl -s -i -X POST -H 'Content-Type: application/json' -d @- "$OS_AUTH_URL/auth/tokens" <<<"$auth" |
        tr -d '\r' | awk 'tolower($1) == "x-subject-token:" {print $2}')
    [ -n "$pp_token" ] || return 1
    pp_agent_host=$(pp_neutron GET "agents?agent_type=Linux+bridge+agent" | pp_py 'j["agents"][0]["host"]')
    [ -n "$pp_agent_host" ]
}

pp_neutron() {
    curl -s -X "$1" -H "X-Auth-Token: $pp_token" -H 'Content-Type: application/json' ${3:+-d "$3"} "$pp_neutron_url/$2"
}

pp_network() {
    read -r pp_net_id pp_mtu < <(pp_neutron POST networks "{\"network\":{\"name\":\"$1-net\"}}" |
        pp_py 'j["network"]["id"], j["network"]["mtu"]')
    [ -n "${pp_net_id:-}" ] && pp_neutron POST subnets "{\"subnet\":{\"name\":\"$1-subnet\",\"network_id\":\"$pp_net_id\",\"ip_version\":4,\"cidr\":\"$2\",\"gateway_ip\":\"$3\"}}" |
        grep -q '"subnet"'
}

pp_port() {
    read -r pp_port_id pp_mac pp_ip < <(pp_neutron POST ports "{\"port\":{\"name\":\"$1\",\"network_id\":\"$pp_net_id\",\"device_owner\":\"compute:kuryr\",\"device_id\":\"$2\",\"binding:host_id\":\"$pp_agent_host\"}}" |
        pp_py 'j["port"]["id"], j["port"]["mac_address"], j["port"]["fixed_ips"][0]["ip_address"]')
    [ -n "${pp_port_id:-}" ] || return 1
    pp_port_ids+=("$pp_port_id")
}

pp_kuryrport() {
    local ns=$1 name=$2 node=$3 uid=$4 port=$5 mac=$6 ip=$7 cidr=$8 gw=$9 active=${10} status
    kubectl -n "$ns" get kp "$name" >/dev/null 2>&1 || kubectl -n "$ns" apply -f - >/dev/null <<EOF || return 1
apiVersion: openstack.org/v1
kind: KuryrPort
metadata:
  name: $name
  labels: {kuryr.openstack.org/nodeName: $node}
spec: {podUid: $uid, podNodeName: $node, podStatic: false}
EOF
    status=$("$PP_VIF_JSON" "$port" "$mac" "$pp_net_id" "$pp_mtu" "$ip" "$cidr" "$gw" linux_bridge \
        "brq${pp_net_id:0:11}" "$active") &&
        kubectl -n "$ns" patch kp "$name" --subresource=status --type=merge -p "{\"status\":$status}" >/dev/null
}

pp_cleanup() {
    local p
    for p in "${pp_port_ids[@]}"; do
        ip link del "tap${p:0:11}" 2>/dev/null
        pp_neutron DELETE "ports/$p" >/dev/null
    done
    pp_port_ids=()
    [ -n "$pp_net_id" ] && pp_neutron DELETE "networks/$pp_net_id" >/dev/null
    pp_net_id=""
}
