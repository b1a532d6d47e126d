"""Scale: 50 containers started at once on one kuryr network get unique addresses and reach the first one; once
they are removed, Neutron and the host keep nothing of theirs."""
import ipaddress
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import docker

from conftest import IMAGE, kuryr_network, neutron_network_for, ping, unique_name, wait_for

COUNT = int(os.environ.get("KURYR_E2E_SCALE", "50"))
SUBNET = "10.60.0.0/24"


def _remove_by_name(client, name):
    try:
        client.containers.get(name).remove(force=True)
    except docker.errors.NotFound:
        pass


def _start(client, net, name):
    c = client.containers.run(IMAGE, ["sleep", "900"], network=net.name, detach=True, name=name)
    c.reload()
    return c


def _host_links():
    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout


def test_concurrent_containers_unique_addresses_ping_and_leave_nothing(daemon, dclient, neutron, cleanup):
    # docker-py keeps 10 pooled connections by default; the starts must really run side by side.
    client = docker.from_env(timeout=600, max_pool_size=COUNT + 4)
    cleanup.add(client.close)
    net = kuryr_network(dclient, cleanup, subnet=SUBNET)
    nnet = neutron_network_for(neutron, net.id)
    assert nnet is not None
    names = [unique_name("ks") for _ in range(COUNT)]
    for n in names:
        cleanup.add(_remove_by_name, client, n)

    with ThreadPoolExecutor(max_workers=COUNT) as pool:
        futures = [pool.submit(_start, client, net, n) for n in names]
        errors = [repr(f.exception()) for f in futures if f.exception() is not None]
        assert not errors, f"{len(errors)} of {COUNT} starts failed: {errors[:5]}"
        containers = [f.result() for f in futures]

    endpoints = {c.name: c.attrs["NetworkSettings"]["Networks"][net.name] for c in containers}
    addrs = [ep["IPAddress"] for ep in endpoints.values()]
    assert len(set(addrs)) == COUNT, f"duplicate addresses: {sorted(addrs)}"
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network(SUBNET) for a in addrs)

    ports = {}
    for name, ep in endpoints.items():
        found = list(neutron.ports(device_id=ep["EndpointID"]))
        assert len(found) == 1, f"{name}: expected one Neutron port, got {len(found)}"
        assert found[0].fixed_ips[0]["ip_address"] == ep["IPAddress"]
        ports[name] = found[0]

    first = containers[0]
    target = endpoints[first.name]["IPAddress"]
    wait_for(lambda: neutron.get_port(ports[first.name].id).status == "ACTIVE", 120, what="first port ACTIVE")

    def reaches_first(c):
        result = {}

        def attempt():
            result["ok"], result["out"] = ping(c, target, count=1)
            return result["ok"]
        try:
            wait_for(attempt, 120, interval=1, what=f"{c.name} to ping {target}")
        except AssertionError:
            pass
        return c.name, result.get("ok"), result.get("out")

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(reaches_first, containers[1:]))
    unreachable = [(name, out) for name, ok, out in outcomes if not ok]
    assert not unreachable, f"{len(unreachable)} containers cannot ping {target}: {unreachable[:3]}"

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda c: c.remove(force=True), containers))

    port_ids = {p.id for p in ports.values()}
    def left():
        return [p.id for p in neutron.ports(network_id=nnet.id) if p.id in port_ids]
    # the deletes follow ReleaseAddress's answers (include/kuryr/port_deletes.h)
    try:
        wait_for(lambda: not left(), 120, what="the removed containers' ports to go")
    except AssertionError:
        raise AssertionError(f"Neutron still holds ports of removed containers: {left()}") from None
    groups = [g.name for g in neutron.security_groups() if g.name.split("-exposed_ports")[0] in port_ids]
    assert not groups, f"security groups left: {groups}"
    links = _host_links()
    taps = [f"tap{pid[:11]}" for pid in port_ids if f"tap{pid[:11]}" in links]
    assert not taps, f"tap links left on the host: {taps}"
