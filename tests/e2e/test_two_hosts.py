"""Two hosts on one Neutron and one project (tests/e2e/twohost.py): containers of both on one Neutron network
ping each other; what host B does to clean up (restart, SIGKILL, kuryrctl gc, its periodic pass) never touches
host A's objects; a global-scope network goes only with the last host; orphans a crash left go without an
operator. Linuxbridge only: see docs/reliability.md, "Two-host rig", for why not OVN."""
import json
import os
import signal
import uuid

import docker
import pytest

from conftest import wait_for

SUBNET, GATEWAY = "10.251.0.0/24", "10.251.0.1"
A_ONLY_SUBNET, A_ONLY_GATEWAY = "10.251.1.0/24", "10.251.1.1"
GLOBAL_SUBNET, GLOBAL_GATEWAY = "10.251.2.0/24", "10.251.2.1"


@pytest.fixture(scope="module")
def rig(stack_env, neutron):
    if os.environ.get("KURYR_STACK_BACKEND", "linuxbridge") != "linuxbridge":
        pytest.skip("the rig's second host needs an L2 agent of its own: linuxbridge only (docs/reliability.md)")
    from twohost import Rig, stack_lock
    r = Rig(stack_env["KURYR_STACK_CONF"], neutron)
    try:
        with stack_lock():
            r.start()
        yield r
    finally:
        with stack_lock():
            r.stop()


def make_network(host, subnet, gateway, options=None, ipam_options=None):
    ipam = docker.types.IPAMConfig(driver=host.plugin, options=ipam_options or {},
                                   pool_configs=[docker.types.IPAMPool(subnet=subnet, gateway=gateway)])
    return host.client.networks.create(f"rig-{uuid.uuid4().hex[:6]}", driver=host.plugin, ipam=ipam,
                                       options=options or {})


def run(host, net):
    return host.client.containers.run("busybox:latest", ["sleep", "3600"], network=net.name, detach=True)


def address(container, net):
    container.reload()
    return container.attrs["NetworkSettings"]["Networks"][net.name]["IPAddress"]


def pings(container, ip):
    rc, _ = container.exec_run(["ping", "-c", "1", "-W", "1", ip])
    return rc == 0


def neutron_net_of(neutron, docker_id):
    nets = list(neutron.networks(tags=[f"kuryr.net.uuid.lh:{docker_id[:32]}", f"kuryr.net.uuid.uh:{docker_id[32:]}"]))
    assert len(nets) == 1, nets
    return nets[0]


@pytest.fixture(scope="module")
def shared(rig, neutron):
    """A network host A made, adopted by host B's Docker (-o neutron.net.uuid), a container on each, and an
    A-only network with a container; B's network goes first, so that A, the maker, is the last to let go."""
    a, b = rig.a, rig.b
    net_a = make_network(a, SUBNET, GATEWAY)
    nn = neutron_net_of(neutron, net_a.id)
    subnet = next(iter(neutron.subnets(network_id=nn.id)))
    net_b = make_network(b, SUBNET, GATEWAY, options={"neutron.net.uuid": nn.id},
                         ipam_options={"neutron.subnet.uuid": subnet.id})
    only_a = make_network(a, A_ONLY_SUBNET, A_ONLY_GATEWAY)
    ca, cb, ca2 = run(a, net_a), run(b, net_b), run(a, only_a)
    for h in (a, b):  # each host's agent wired its ports
        wait_for(lambda h=h: all_active(neutron, h.name), 60, interval=0.5, what=f"ACTIVE ports on {h.name}")
    yield {"net_a": net_a, "net_b": net_b, "only_a": only_a, "ca": ca, "cb": cb, "ca2": ca2, "neutron_net": nn}
    for c in (cb, ca, ca2):
        c.remove(force=True)
    net_b.remove()
    net_a.remove()
    only_a.remove()


def objects_of(neutron, host):
    """What Neutron holds for a host: ports bound to it, and networks, subnets and subnetpools it marks."""
    marker = f"kuryr.host:{host}"
    nets = sorted(n.id for n in neutron.networks(tags=[marker]))
    return {"ports": sorted((p.id, p.status) for p in neutron.ports(**{"binding:host_id": host})),
            "networks": nets,
            "subnets": sorted(s.id for n in nets for s in neutron.subnets(network_id=n)),
            "subnetpools": sorted(p.id for p in neutron.subnet_pools(tags=[marker]))}


def all_active(neutron, host):
    ports = list(neutron.ports(**{"binding:host_id": host}))
    return ports and all(p.status == "ACTIVE" for p in ports)


def wait_ping(src, ip):
    # the first packets may wait for ARP and the agents' l2population entries
    wait_for(lambda: pings(src, ip), 60, interval=0.5, what=f"ping {ip}")


def test_containers_on_two_hosts_ping_each_other(rig, shared, neutron):
    ca, cb, net_a, net_b = shared["ca"], shared["cb"], shared["net_a"], shared["net_b"]
    wait_ping(ca, address(cb, net_b))
    wait_ping(cb, address(ca, net_a))
    # each container's port is bound to its own host, on the one Neutron network
    for c, net, host in ((ca, net_a, rig.a), (cb, net_b, rig.b)):
        ports = [p for p in neutron.ports(network_id=shared["neutron_net"].id)
                 if any(ip["ip_address"] == address(c, net) for ip in p.fixed_ips)]
        assert [p.binding_host_id for p in ports] == [host.name]
    # the tap carries its host's marker (the tap sweep's proof of ownership)
    taps = os.popen(f"ip -n {rig.b.netns} -o link show").read()
    assert "alias kuryr.host:twohost-b" in taps


def test_host_b_cleanup_leaves_host_a_untouched(rig, shared, neutron):
    """B restarted (start-up pass), SIGKILLed and restarted, then kuryrctl gc, all with reconcile_min_age 0:
    A's ports, networks, subnets and pools are the same before and after, and A's containers still ping."""
    a, b = rig.a, rig.b
    before = objects_of(neutron, a.name)
    assert before["ports"]
    fast = "reconcile_on_startup = True\nreconcile_min_age = 0\n"
    b.stop_kuryr()
    b.start_kuryr(fast)
    b.stop_kuryr(signal.SIGKILL)
    b.start_kuryr(fast)
    # what B's gc would remove, judged by B's Docker, holds nothing of A's (a dry run first: with a daemon of an
    # older release this is where the test stops, before anything is deleted)
    dry = b.kuryrctl("--docker-host", f"unix://{b.docker_sock}", "--json", "gc", "--dry-run")
    assert dry.returncode == 0, dry.stderr + dry.stdout
    a_ids = {i for kind in before.values() for i in kind} | {p for p, _ in before["ports"]}
    would = {o["id"] for kind, objs in json.loads(dry.stdout).items() if isinstance(objs, list) for o in objs}
    assert not would & a_ids, f"B's gc would remove A's objects: {sorted(would & a_ids)}"
    assert before["networks"] and before["subnets"] and before["subnetpools"]  # A marks what it made
    gc = b.kuryrctl("--json", "gc")
    assert gc.returncode == 0, gc.stderr + gc.stdout
    assert objects_of(neutron, a.name) == before
    wait_ping(shared["ca"], address(shared["cb"], shared["net_b"]))
    wait_ping(shared["cb"], address(shared["ca"], shared["net_a"]))
    b.stop_kuryr()
    b.start_kuryr()


def test_global_network_goes_with_the_last_host(rig, neutron):
    """Docker calls CreateNetwork with the same NetworkID on every host that uses a global-scope network (no
    swarm here: the calls are Docker's, made on each host's plugin socket); the Neutron network outlives the
    first DeleteNetwork and goes with the second."""
    a, b = rig.a, rig.b
    for h in (a, b):
        h.stop_kuryr()
        h.start_kuryr("capability_scope = global\n")
    try:
        status, caps = a.call("/NetworkDriver.GetCapabilities", {})
        assert status == 200 and caps["Scope"] == "global"
        net_id = uuid.uuid4().hex + uuid.uuid4().hex
        create = {"NetworkID": net_id, "Options": {"com.docker.network.generic": {}},
                  "IPv4Data": [{"AddressSpace": "global_default", "Pool": GLOBAL_SUBNET,
                                "Gateway": GLOBAL_GATEWAY + "/24"}], "IPv6Data": []}
        for h in (a, b):
            status, body = h.call("/NetworkDriver.CreateNetwork", create)
            assert status == 200, body
        nn = neutron_net_of(neutron, net_id)
        assert len(list(neutron.subnets(network_id=nn.id))) == 1  # B found A's subnet
        status, body = a.call("/NetworkDriver.DeleteNetwork", {"NetworkID": net_id})
        assert status == 200, body
        kept = neutron.get_network(nn.id)
        assert "kuryr.host:twohost-b" in kept.tags and "kuryr.host:twohost-a" not in kept.tags
        assert len(list(neutron.subnets(network_id=nn.id))) == 1
        status, body = b.call("/NetworkDriver.DeleteNetwork", {"NetworkID": net_id})
        assert status == 200, body
        assert neutron.find_network(nn.id) is None
    finally:
        for h in (a, b):
            h.stop_kuryr()
            h.start_kuryr()


def test_crash_orphans_go_with_the_periodic_pass(rig, shared, neutron):
    """What a crash between the driver's answer and Docker storing the endpoint leaves (a port bound to B and
    its tap, for an endpoint Docker never recorded) is gone within B's periodic pass, with no operator; A's
    objects stay. The orphan is made first, then B runs with a short period and no start-up pass (a short
    reconcile_min_age while the two calls are still in flight would rightly take the first call's port)."""
    a, b = rig.a, rig.b
    before = objects_of(neutron, a.name)
    subnet = next(iter(neutron.subnets(network_id=shared["neutron_net"].id)))
    pool = f"subnet:{subnet.id}@{SUBNET}"
    status, body = b.call("/IpamDriver.RequestAddress", {"PoolID": pool, "Address": "", "Options": {}})
    assert status == 200, body
    ep = uuid.uuid4().hex + uuid.uuid4().hex
    status, body = b.call("/NetworkDriver.CreateEndpoint", {
        "NetworkID": shared["net_b"].id, "EndpointID": ep, "Options": {},
        "Interface": {"Address": body["Address"], "AddressIPv6": "", "MacAddress": ""}})
    assert status == 200, body
    orphan = [p for p in neutron.ports(**{"binding:host_id": b.name}) if p.device_id == ep]
    assert len(orphan) == 1
    tap = "tap" + orphan[0].id[:11]
    assert tap in os.popen(f"ip -n {b.netns} -o link show").read()
    b.stop_kuryr()
    b.start_kuryr("reconcile_on_startup = False\nreconcile_interval = 2\nreconcile_min_age = 1\n")
    try:
        wait_for(lambda: neutron.find_port(orphan[0].id) is None, 120, interval=1, what="the periodic pass")
        wait_for(lambda: tap not in os.popen(f"ip -n {b.netns} -o link show").read(), 10, what="the tap to go")
        assert objects_of(neutron, a.name) == before
    finally:
        b.stop_kuryr()
        b.start_kuryr()
