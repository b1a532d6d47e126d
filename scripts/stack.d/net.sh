# Host network state the stack changes: IP forwarding (off while up, restored on down) and the links and
# namespaces the Neutron agents and bindings leave behind.

forwarding_off() {
    if [ -z "$(state_get saved_ip_forward)" ]; then
        state_set saved_ip_forward "$(cat /proc/sys/net/ipv4/ip_forward)"
    fi
    sysctl -qw net.ipv4.ip_forward=0
}

forwarding_restore() {
    local old
    old=$(state_get saved_ip_forward)
    [ -n "$old" ] && sysctl -qw net.ipv4.ip_forward="$old"
    state_set saved_ip_forward ""
}

# Links whose names only Neutron/Kuryr use: the agent's bridges and vxlan devices, and the tap veths
# plugged into them (the peer goes with each veth).
stack_links() { ip -o link show 2> /dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep -E '^(brq|vxlan-|tap)' || true; }

net_cleanup() {
    local ns l
    for ns in $(ip netns list 2> /dev/null | awk '{print $1}' | grep -E '^(qdhcp|qrouter|ovnmeta)-' || true); do
        ip netns pids "$ns" 2> /dev/null | xargs -r kill -9 2> /dev/null || true
        ip netns delete "$ns" 2> /dev/null || true
    done
    for l in $(stack_links | grep -E '^tap'); do ip link delete "$l" 2> /dev/null || true; done
    for l in $(stack_links); do ip link delete "$l" 2> /dev/null || true; done
}
