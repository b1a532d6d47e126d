"""The port pool ([vif_pool] enabled) against the real Docker and Neutron: containers get ports that were made
and bound to this host ahead of need, and take the port's MAC; a container's port is marked by its endpoint's
tags only, and a removed container's port goes back to the pool instead of being deleted. A new network's one
seeded port, an explicit --ip of a ready port, the refusal of dual-stack networks, a daemon restart (which
deletes the ready ports its predecessor left) and network removal (which leaves nothing) are covered too.

Runs its own daemon under a plugin name of its own, new to this dockerd: Docker asks an IPAM driver for its
capabilities (RequiresMACAddress) once per name and keeps the answer until it restarts."""
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import docker
import pytest

from conftest import IMAGE, container_iface, ping, unique_name, wait_for
from reliability import EnvDaemon

MIN, BATCH = 3, 4
DESC = "kuryr-pool:" + socket.gethostname()
POOL_PLUGIN = "kuryrpool%x" % int(time.time() * 1000)
POOL_SOCK = f"/run/docker/plugins/{POOL_PLUGIN}.sock"


@pytest.fixture(scope="module")
def pool_daemon(stack_env, dclient, tmp_path_factory):
    d = EnvDaemon(stack_env["KURYR_STACK_CONF"], str(tmp_path_factory.mktemp("pool")),
                  extra_conf="reconcile_on_startup = False\n[vif_pool]\nenabled = True\n"
                             f"ports_pool_min = {MIN}\nports_pool_batch = {BATCH}\n"
                             "ports_pool_update_frequency = 2\n", sock=POOL_SOCK)
    d.start()
    yield d
    d.stop()


@pytest.fixture
def made(dclient):
    """Containers and networks of one test, removed in reverse order even when the test fails."""
    things = []
    yield things
    for t in reversed(things):
        try:
            t.remove(force=True) if isinstance(t, docker.models.containers.Container) else t.remove()
        except docker.errors.NotFound:
            pass


def _network(dclient, made, cidr, v6=None):
    pools = [docker.types.IPAMPool(subnet=cidr)] + ([docker.types.IPAMPool(subnet=v6)] if v6 else [])
    net = dclient.networks.create(unique_name("kp"), driver=POOL_PLUGIN, enable_ipv6=bool(v6),
                                  ipam=docker.types.IPAMConfig(driver=POOL_PLUGIN, pool_configs=pools))
    made.append(net)
    return net


def _run(dclient, made, net, **kw):
    name = unique_name("kpc")
    try:
        c = dclient.containers.run(IMAGE, ["sleep", "600"], network=net.name, detach=True, name=name, **kw)
    except docker.errors.APIError:
        made.append(dclient.containers.get(name))
        raise
    made.append(c)
    c.reload()
    return c


def _neutron_net(neutron, net):
    net.reload()
    tags = [f"kuryr.net.uuid.lh:{net.id[:32]}", f"kuryr.net.uuid.uh:{net.id[32:64]}"]
    nets = list(neutron.networks(tags=tags))
    assert len(nets) == 1, nets
    return nets[0]


def _ready(neutron, net_id):
    """The network's pool ports that no container uses (complete: tagged as well as made)."""
    return {p.id: p for p in neutron.ports(network_id=net_id, name="kuryr-pool-port") if _is_ready(p)}


def _is_ready(p):
    return (p.name == "kuryr-pool-port" and p.description == DESC and p.tags == ["compute:kuryr"] and
            p.binding_host_id == socket.gethostname() and p.device_owner == "compute:kuryr" and not p.device_id)


def _port_of(neutron, net_id, ip):
    ports = list(neutron.ports(network_id=net_id, fixed_ips=[f"ip_address={ip}"]))
    assert len(ports) == 1, ports
    return ports[0]


def _ip(c, net):
    return c.attrs["NetworkSettings"]["Networks"][net.name]["IPAddress"]


def test_container_gets_a_ready_port_and_gives_it_back(pool_daemon, dclient, neutron, made):
    net = _network(dclient, made, "10.66.1.0/24")
    first = _run(dclient, made, net)  # opens the subnet's pool
    nnet = _neutron_net(neutron, net)
    ready = wait_for(lambda: len(_ready(neutron, nnet.id)) >= MIN and _ready(neutron, nnet.id), 60,
                     what="the pool to fill")

    second = _run(dclient, made, net)
    ep = second.attrs["NetworkSettings"]["Networks"][net.name]["EndpointID"]
    port = _port_of(neutron, nnet.id, _ip(second, net))
    assert port.id in ready, "the container's port was not one of the ready ones"
    # bound already: the container took the port's MAC, and only the endpoint's tags were added
    assert container_iface(second)["mac"] == port.mac_address == ready[port.id].mac_address
    assert sorted(port.tags) == sorted(["compute:kuryr", f"kuryr.net.uuid.lh:{ep[:32]}",
                                        f"kuryr.net.uuid.uh:{ep[32:]}"])
    assert port.binding_host_id == socket.gethostname() and not port.device_id
    wait_for(lambda: neutron.get_port(port.id).status == "ACTIVE", 60, what="the pool port to turn ACTIVE")
    ok, out = ping(first, _ip(second, net))
    assert ok, out

    second.remove(force=True)
    wait_for(lambda: _is_ready(neutron.get_port(port.id)), 60,
             what="the released port to be ready again (kept, tags reset, still bound)")
    third = _run(dclient, made, net)
    assert _port_of(neutron, nnet.id, _ip(third, net)).mac_address == container_iface(third)["mac"]


def test_new_network_is_seeded_with_one_port(pool_daemon, dclient, neutron, made):
    """A new network's pool holds one ready port before any container, no more until that port is taken,
    and its first container gets that port; then the pool fills to its minimum."""
    net = _network(dclient, made, "10.66.7.0/24")
    nnet = _neutron_net(neutron, net)
    seeded = wait_for(lambda: len(_ready(neutron, nnet.id)) == 1 and _ready(neutron, nnet.id), 60,
                      what="the new network's one ready port")
    time.sleep(3)  # longer than the daemon's ports_pool_update_frequency: a refill would have started
    assert set(_ready(neutron, nnet.id)) == set(seeded)
    assert len(list(neutron.ports(network_id=nnet.id, name="kuryr-pool-port"))) == 1

    first = _run(dclient, made, net)
    port = _port_of(neutron, nnet.id, _ip(first, net))
    assert port.id in seeded and port.mac_address == container_iface(first)["mac"]
    wait_for(lambda: len(_ready(neutron, nnet.id)) >= MIN, 60, what="the pool to fill once in use")

    # removed while its seed may still be in the making: nothing of it stays in Neutron
    other = _network(dclient, made, "10.66.8.0/24")
    nother = _neutron_net(neutron, other)
    other.remove()
    assert neutron.find_network(nother.id) is None
    assert not list(neutron.ports(network_id=nother.id))


def test_dual_stack_network_is_refused(pool_daemon, dclient, neutron, made):
    with pytest.raises(docker.errors.APIError) as e:
        _network(dclient, made, "10.66.2.0/24", v6="fd66:2::/64")
    assert "both IPv4 and IPv6" in str(e.value)
    assert not [n for n in neutron.networks() if n.subnet_ids and any(
        s.cidr == "10.66.2.0/24" for s in neutron.subnets(network_id=n.id))]


def test_explicit_ip_of_a_ready_port(pool_daemon, dclient, neutron, made):
    net = _network(dclient, made, "10.66.3.0/24")
    _run(dclient, made, net)
    nnet = _neutron_net(neutron, net)
    ready = wait_for(lambda: len(_ready(neutron, nnet.id)) >= MIN and _ready(neutron, nnet.id), 60,
                     what="the pool to fill")
    chosen = next(iter(ready.values()))
    ip = chosen.fixed_ips[0]["ip_address"]
    api = dclient.api
    cid = api.create_container(IMAGE, ["sleep", "600"], name=unique_name("kpc"),
                               host_config=api.create_host_config(network_mode=net.name),
                               networking_config=api.create_networking_config(
                                   {net.name: api.create_endpoint_config(ipv4_address=ip)}))["Id"]
    c = dclient.containers.get(cid)
    made.append(c)
    c.start()
    c.reload()
    assert _ip(c, net) == ip
    port = _port_of(neutron, nnet.id, ip)
    assert port.id == chosen.id and port.mac_address == container_iface(c)["mac"]


def test_restart_deletes_leftover_ready_ports(pool_daemon, dclient, neutron, made):
    net = _network(dclient, made, "10.66.4.0/24")
    first = _run(dclient, made, net)
    nnet = _neutron_net(neutron, net)
    before = wait_for(lambda: len(_ready(neutron, nnet.id)) >= MIN and _ready(neutron, nnet.id), 60,
                      what="the pool to fill")
    pool_daemon.stop()
    pool_daemon.start()
    second = _run(dclient, made, net)  # the first take after the restart sweeps
    wait_for(lambda: not (set(before) & set(_ready(neutron, nnet.id))), 60,
             what="the previous run's ready ports to be deleted")
    wait_for(lambda: len(_ready(neutron, nnet.id)) >= MIN, 60, what="the pool to refill")
    ok, out = ping(second, _ip(first, net))
    assert ok, out


def test_network_removal_leaves_no_port(pool_daemon, dclient, neutron, made):
    net = _network(dclient, made, "10.66.5.0/24")
    c = _run(dclient, made, net)
    nnet = _neutron_net(neutron, net)
    wait_for(lambda: len(_ready(neutron, nnet.id)) >= MIN, 60, what="the pool to fill")
    c.remove(force=True)
    net.remove()
    assert neutron.find_network(nnet.id) is None
    assert not list(neutron.ports(network_id=nnet.id))


def test_parallel_starts_on_ready_ports_all_ping(pool_daemon, dclient, neutron, made):
    """A burst of starts on a filled pool (the case the pool is for): every container has its own ready port,
    every port turns ACTIVE, and every container reaches the first one."""
    net = _network(dclient, made, "10.66.6.0/24")
    first = _run(dclient, made, net)
    nnet = _neutron_net(neutron, net)
    wait_for(lambda: len(_ready(neutron, nnet.id)) >= MIN, 60, what="the pool to fill")
    with ThreadPoolExecutor(max_workers=8) as ex:
        burst = list(ex.map(lambda _: _run(dclient, made, net), range(8)))
    ips = [_ip(c, net) for c in burst]
    assert len(set(ips)) == len(ips), ips
    for c in burst:
        port = _port_of(neutron, nnet.id, _ip(c, net))
        assert port.mac_address == container_iface(c)["mac"]
        wait_for(lambda: neutron.get_port(port.id).status == "ACTIVE", 60, what=f"port {port.id} ACTIVE")
        ok, out = ping(c, _ip(first, net))
        assert ok, out
