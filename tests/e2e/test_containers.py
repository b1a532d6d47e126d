"""Containers on kuryr networks: addresses from Neutron, a real data plane, connect/disconnect, exposed ports."""
import ipaddress
import subprocess

from conftest import (IMAGE, container_iface, default_gateway, kuryr_network, neutron_network_for, ping, run_busybox,
                      unique_name, wait_for)


def _endpoint_id(container, net):
    container.reload()
    return container.attrs["NetworkSettings"]["Networks"][net.name]["EndpointID"]


def _port_of(neutron, container, net):
    ep = _endpoint_id(container, net)
    ports = list(neutron.ports(device_id=ep))
    assert len(ports) == 1, f"expected one Neutron port with device_id {ep}, got {len(ports)}"
    return ports[0]


def _kuryr_ports(neutron, nnet_id):
    return [p for p in neutron.ports(network_id=nnet_id) if p.device_owner == "compute:kuryr"]


def test_two_containers_ping_and_match_their_ports(daemon, dclient, neutron, cleanup):
    net = kuryr_network(dclient, cleanup, subnet="10.50.0.0/24")
    a = run_busybox(dclient, cleanup, net)
    b = run_busybox(dclient, cleanup, net)
    nnet = neutron_network_for(neutron, net.id)
    pa, pb = _port_of(neutron, a, net), _port_of(neutron, b, net)
    for c, p in ((a, pa), (b, pb)):
        iface = container_iface(c)
        ip = p.fixed_ips[0]["ip_address"]
        assert iface["addrs"] == [f"{ip}/24"]
        assert iface["mac"] == p.mac_address
        assert iface["mtu"] == (nnet.mtu or 1500)
        subnet = neutron.get_subnet(p.fixed_ips[0]["subnet_id"])
        assert default_gateway(c) == subnet.gateway_ip
        assert p.binding_host_id and p.device_owner == "compute:kuryr"
        wait_for(lambda: neutron.get_port(p.id).status == "ACTIVE", 60, what=f"port {p.id} ACTIVE")
    ok, out = ping(a, pb.fixed_ips[0]["ip_address"])
    assert ok, out
    ok, out = ping(b, pa.fixed_ips[0]["ip_address"])
    assert ok, out


def test_networks_are_isolated(daemon, dclient, neutron, cleanup):
    n1 = kuryr_network(dclient, cleanup, subnet="10.51.0.0/24")
    n2 = kuryr_network(dclient, cleanup, subnet="10.52.0.0/24")
    a = run_busybox(dclient, cleanup, n1)
    b = run_busybox(dclient, cleanup, n2)
    pb = _port_of(neutron, b, n2)
    wait_for(lambda: neutron.get_port(pb.id).status == "ACTIVE", 60, what="port ACTIVE")
    ok, _ = ping(a, pb.fixed_ips[0]["ip_address"], count=2)
    assert not ok, "a container on another kuryr network must not be reachable"


def test_connect_and_disconnect(daemon, dclient, neutron, cleanup):
    n1 = kuryr_network(dclient, cleanup, subnet="10.53.0.0/24")
    n2 = kuryr_network(dclient, cleanup, subnet="10.54.0.0/24")
    nnet2 = neutron_network_for(neutron, n2.id)
    a = run_busybox(dclient, cleanup, n1)
    assert len(_kuryr_ports(neutron, nnet2.id)) == 0
    n2.connect(a)
    port = _port_of(neutron, a, n2)
    iface = container_iface(a, "eth1")
    assert iface["addrs"] == [port.fixed_ips[0]["ip_address"] + "/24"]
    assert iface["mac"] == port.mac_address
    assert len(_kuryr_ports(neutron, nnet2.id)) == 1
    n2.disconnect(a)
    assert _kuryr_ports(neutron, nnet2.id) == [], "the port is gone when disconnect returns"
    rc, _ = a.exec_run(["ip", "link", "show", "eth1"])
    assert rc != 0, "eth1 is gone after disconnect"


def test_restart_keeps_connectivity_and_rm_leaves_nothing(daemon, dclient, neutron, cleanup):
    net = kuryr_network(dclient, cleanup, subnet="10.55.0.0/24")
    nnet = neutron_network_for(neutron, net.id)
    a = run_busybox(dclient, cleanup, net)
    b = run_busybox(dclient, cleanup, net)
    pb = _port_of(neutron, b, net)
    b.restart(timeout=1)
    pb2 = _port_of(neutron, b, net)
    wait_for(lambda: neutron.get_port(pb2.id).status == "ACTIVE", 60, what="port ACTIVE after restart")
    ok, out = ping(a, pb2.fixed_ips[0]["ip_address"])
    assert ok, out
    a.remove(force=True)
    b.remove(force=True)
    assert _kuryr_ports(neutron, nnet.id) == [], "the ports are gone when rm returns"
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    for p in (pb, pb2):
        assert f"tap{p.id[:11]}" not in links
    assert not [g for g in neutron.security_groups() if g.name.endswith("-exposed_ports")
                and g.name.split("-exposed_ports")[0] in (pb.id, pb2.id)]


def test_port_gone_when_docker_returns(daemon, dclient, neutron, cleanup):
    """As with upstream, and as a script would see it: once `docker network disconnect` or `docker rm -f`
    returns, the container's Neutron port is gone from the network's port list, and Neutron hands its fixed IP
    to the next asker at once."""
    net = kuryr_network(dclient, cleanup, subnet="10.79.0.0/24")
    nnet = neutron_network_for(neutron, net.id)
    a = run_busybox(dclient, cleanup, net)
    b = run_busybox(dclient, cleanup, net)
    pa, pb = _port_of(neutron, a, net), _port_of(neutron, b, net)

    subprocess.run(["docker", "network", "disconnect", net.name, a.name], check=True, capture_output=True)
    left = {p.id for p in neutron.ports(network_id=nnet.id)}
    assert pa.id not in left, "the port is still in Neutron after `docker network disconnect` returned"
    fixed = pa.fixed_ips[0]
    mine = neutron.create_port(network_id=nnet.id, name=unique_name("kt-reuse"),
                               fixed_ips=[{"subnet_id": fixed["subnet_id"], "ip_address": fixed["ip_address"]}])
    neutron.delete_port(mine.id)

    subprocess.run(["docker", "rm", "-f", b.name], check=True, capture_output=True)
    left = {p.id for p in neutron.ports(network_id=nnet.id)}
    assert pb.id not in left, "the port is still in Neutron after `docker rm -f` returned"
    assert _kuryr_ports(neutron, nnet.id) == []


def test_expose_creates_and_removes_security_group(daemon, dclient, neutron, cleanup):
    net = kuryr_network(dclient, cleanup, subnet="10.56.0.0/24")
    c = run_busybox(dclient, cleanup, net, ports={"80/tcp": None, "81/tcp": None, "53/udp": None})
    port = _port_of(neutron, c, net)
    groups = list(neutron.security_groups(name=f"{port.id}-exposed_ports"))
    assert len(groups) == 1
    rules = sorted((r.protocol, r.port_range_min, r.port_range_max)
                   for r in neutron.security_group_rules(security_group_id=groups[0].id)
                   if r.direction == "ingress")
    assert rules == [("tcp", 80, 81), ("udp", 53, 53)]
    assert groups[0].id in neutron.get_port(port.id).security_group_ids
    c.stop(timeout=1)
    assert not list(neutron.security_groups(name=f"{port.id}-exposed_ports"))


def test_existing_port_is_adopted_then_only_released(daemon, dclient, neutron, cleanup):
    nname = unique_name("existing")
    nnet = neutron.create_network(name=nname)
    cleanup.add(neutron.delete_network, nnet.id)
    sub = neutron.create_subnet(network_id=nnet.id, cidr="10.57.0.0/24", ip_version=4, name=unique_name("s"))
    cleanup.add(neutron.delete_subnet, sub.id)
    pre = neutron.create_port(network_id=nnet.id, fixed_ips=[{"subnet_id": sub.id, "ip_address": "10.57.0.50"}])
    cleanup.add(neutron.delete_port, pre.id)
    net = kuryr_network(dclient, cleanup, subnet="10.57.0.0/24", options={"neutron.net.name": nname},
                        ipam_options={"neutron.net.name": nname})
    # Explicit IP (docker run --network X --ip ...): kuryr adopts the pre-created port instead of making a new
    # one. The container is made on the kuryr network: one made in the default mode and connected later is
    # never torn down by this Docker (--bridge=none) on rm, so its endpoint would outlive it.
    api = dclient.api
    cid = api.create_container(
        IMAGE, ["sleep", "600"], name=unique_name("kc"),
        host_config=api.create_host_config(network_mode=net.name),
        networking_config=api.create_networking_config(
            {net.name: api.create_endpoint_config(ipv4_address="10.57.0.50")}))["Id"]
    cont = cleanup.container(dclient.containers.get(cid))
    cont.start()
    adopted = neutron.get_port(pre.id)
    assert "kuryr.port.existing" in adopted.tags
    assert adopted.device_id == _endpoint_id(cont, net)
    wait_for(lambda: neutron.get_port(pre.id).status == "ACTIVE", 60, what="adopted port ACTIVE")
    cont.remove(force=True)
    released = neutron.get_port(pre.id)
    assert released is not None, "an adopted port is never deleted"
    assert "kuryr.port.existing" not in released.tags
    assert released.device_id == "" and released.device_owner != "compute:kuryr"


def test_overlapping_cidrs_on_two_existing_networks(daemon, dclient, neutron, cleanup):
    made = []
    for _ in range(2):
        nname = unique_name("ovl")
        nnet = neutron.create_network(name=nname)
        cleanup.add(neutron.delete_network, nnet.id)
        sub = neutron.create_subnet(network_id=nnet.id, cidr="10.58.0.0/24", ip_version=4, name=unique_name("s"))
        cleanup.add(neutron.delete_subnet, sub.id)
        port = neutron.create_port(network_id=nnet.id,
                                   fixed_ips=[{"subnet_id": sub.id, "ip_address": "10.58.0.10"}])
        cleanup.add(neutron.delete_port, port.id)
        net = kuryr_network(dclient, cleanup, subnet="10.58.0.0/24", options={"neutron.net.name": nname},
                            ipam_options={"neutron.net.name": nname})
        made.append((net, port))
    for net, port in made:
        cont = cleanup.container(dclient.containers.create(IMAGE, ["sleep", "600"],
                                                           name=unique_name("kc")))
        net.connect(cont, ipv4_address="10.58.0.10")
        cont.start()
        wait_for(lambda: neutron.get_port(port.id).status == "ACTIVE", 60, what="the right port ACTIVE")
        net.disconnect(cont, force=True)
        wait_for(lambda: neutron.get_port(port.id).status == "DOWN", 60, what="port DOWN after disconnect")


def test_addresses_are_unique_and_in_subnet(daemon, dclient, neutron, cleanup):
    net = kuryr_network(dclient, cleanup, subnet="10.59.0.0/24")
    cs = [run_busybox(dclient, cleanup, net) for _ in range(4)]
    ips = [_port_of(neutron, c, net).fixed_ips[0]["ip_address"] for c in cs]
    assert len(set(ips)) == 4
    assert all(ipaddress.ip_address(i) in ipaddress.ip_network("10.59.0.0/24") for i in ips)
