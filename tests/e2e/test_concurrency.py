"""Concurrency on the real daemon's socket, driven through the plugin protocol as dockerd speaks it (no Docker in
between, so the requests really arrive at the same time):

- ten RequestAddress calls for one explicit address: exactly one wins, the others get a 409 that says the
  address is already allocated; the winner's own retry gets the same answer; nothing is left in Neutron;
- 200 mixed requests at once (handshake, pools, addresses, networks, endpoints, malformed bodies): every one is
  answered with the status its kind calls for, and afterwards Neutron holds nothing of the test's.

The daemon binary comes from KURYR_BUILD_DIR (or KURYR_LIBNETWORK_BIN), so `scripts/test tsan` runs the load
test against a ThreadSanitizer build."""
import ipaddress
import json
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait

import pytest

from conftest import plugin_call, wait_for

ADDRESS_RACERS = 10
LOAD = int(os.environ.get("KURYR_E2E_LOAD", "200"))
# generous: a deadlock shows as a request still unanswered after this, not as a slow one
ANSWER_BOUND_S = 300
SANDBOX = "/var/run/docker/netns/0123456789ab"
ERR_400 = ("/NetworkDriver.CreateNetwork", b"{not json")


def call(path, body, timeout=ANSWER_BOUND_S):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    status, _, payload = plugin_call(path, raw, timeout=timeout)
    try:
        return status, json.loads(payload or b"{}")
    except ValueError:
        return status, {"raw": payload.decode(errors="replace")}


def ok(path, body):
    status, answer = call(path, body)
    assert status == 200, f"{path}: {status} {answer}"
    return answer


def mac():
    return "02:42:%02x:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(4))


class ProtocolNetwork:
    """A kuryr network made the way dockerd makes one: RequestPool, the gateway's RequestAddress,
    CreateNetwork; removed in Docker's order (DeleteNetwork, ReleaseAddress, ReleasePool)."""

    def __init__(self, cidr):
        self.cidr = cidr
        self.net = ipaddress.ip_network(cidr)
        self.docker_id = uuid.uuid4().hex + uuid.uuid4().hex
        self.pool_id = None
        self.gateway = None
        self.created = False

    def create(self):
        self.pool_id = ok("/IpamDriver.RequestPool", {"AddressSpace": "LocalDefault", "Pool": self.cidr,
                                                      "SubPool": "", "Options": {}, "V6": False})["PoolID"]
        self.gateway = ok("/IpamDriver.RequestAddress", {
            "PoolID": self.pool_id, "Address": "",
            "Options": {"RequestAddressType": "com.docker.network.gateway"}})["Address"]
        ok("/NetworkDriver.CreateNetwork", {
            "NetworkID": self.docker_id, "Options": {"com.docker.network.generic": {}},
            "IPv4Data": [{"AddressSpace": "LocalDefault", "Pool": self.cidr, "Gateway": self.gateway,
                          "AuxAddresses": {}}], "IPv6Data": []})
        self.created = True
        return self

    def remove(self):
        """Best effort in Docker's order; returns the failures."""
        failures = []
        steps = []
        if self.created:
            steps.append(("/NetworkDriver.DeleteNetwork", {"NetworkID": self.docker_id}))
        if self.pool_id and self.gateway:
            steps.append(("/IpamDriver.ReleaseAddress", {"PoolID": self.pool_id, "Address": self.gateway}))
        if self.pool_id:
            steps.append(("/IpamDriver.ReleasePool", {"PoolID": self.pool_id}))
        for path, body in steps:
            status, answer = call(path, body)
            if status != 200:
                failures.append((path, status, answer))
        self.created = False
        self.pool_id = None
        return failures


def leftovers(neutron, cidrs, docker_ids=()):
    """Everything kuryr could have made for these CIDRs and Docker network ids that Neutron still holds."""
    left = []
    for cidr in cidrs:
        left += [f"subnetpool {p.id} {p.name}" for p in neutron.subnet_pools() if p.name == f"kuryrPool-{cidr}"]
        left += [f"subnet {s.id} {s.name}" for s in neutron.subnets(cidr=cidr)]
    for d in docker_ids:
        left += [f"network {n.id} {n.name}" for n in neutron.networks(tags=[f"kuryr.net.uuid.lh:{d[:32]}"])]
    nets = [ipaddress.ip_network(c) for c in cidrs]
    for p in neutron.ports():
        ips = [ipaddress.ip_address(ip["ip_address"]) for ip in p.fixed_ips]
        if any(ip in n for ip in ips for n in nets if ip.version == n.version):
            left.append(f"port {p.id} {p.name} {p.device_owner} {[str(i) for i in ips]}")
    return left


@pytest.fixture
def networks(daemon, neutron):
    """What a test made (networks, and endpoints and pools that have a remove() too), removed newest first
    after the test even when it failed, so that a failed run leaves nothing for the next one."""
    made = []
    yield made
    failures = []
    for n in reversed(made):
        failures += n.remove()
    assert not failures, f"removing the test networks failed: {failures}"


def ports_with(neutron, subnet_cidr, address):
    subnet = next(iter(neutron.subnets(cidr=subnet_cidr)))
    return list(neutron.ports(fixed_ips=[f"subnet_id={subnet.id}", f"ip_address={address}"]))


def race(requests, seconds=None):
    """Sends all requests at once (a barrier lines the threads up) and returns their (status, answer); each
    one's time to answer goes to the list seconds, for the report (never asserted)."""
    start = threading.Barrier(len(requests))

    def one(req):
        start.wait()
        t0 = time.monotonic()
        answer = call(*req)
        if seconds is not None:
            seconds.append(time.monotonic() - t0)
        return answer
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(one, r) for r in requests]
        done, pending = wait(futures, timeout=ANSWER_BOUND_S + 30)
        assert not pending, f"{len(pending)} requests unanswered after {ANSWER_BOUND_S}s"
        return [f.result() for f in futures]


@pytest.mark.parametrize("round_", range(3))
def test_same_explicit_address_has_exactly_one_winner(daemon, neutron, networks, round_):
    cidr = f"10.171.{round_}.0/24"
    n = ProtocolNetwork(cidr)
    networks.append(n)
    n.create()
    address = str(n.net.network_address + 50)
    macs = [mac() for _ in range(ADDRESS_RACERS)]
    bodies = [{"PoolID": n.pool_id, "Address": address, "Options": {"com.docker.network.endpoint.macaddress": m}}
              for m in macs]
    answers = race([("/IpamDriver.RequestAddress", b) for b in bodies])

    winners = [i for i, (status, _) in enumerate(answers) if status == 200]
    assert len(winners) == 1, f"{len(winners)} winners: {answers}"
    w = winners[0]
    assert answers[w][1]["Address"] == f"{address}/24"
    for i, (status, answer) in enumerate(answers):
        if i == w:
            continue
        assert status == 409, f"loser {i}: {status} {answer}"
        assert "already allocated" in answer.get("Err", ""), answer
    held = ports_with(neutron, cidr, address)
    assert len(held) == 1, f"Neutron has {len(held)} ports for {address}"
    assert held[0].mac_address == macs[w]

    # The winner's retry (dockerd resending after a lost answer) gets the same address and the same port; any
    # other endpoint still gets the conflict.
    status, answer = call("/IpamDriver.RequestAddress", bodies[w])
    assert status == 200 and answer["Address"] == f"{address}/24", answer
    status, answer = call("/IpamDriver.RequestAddress", bodies[(w + 1) % ADDRESS_RACERS])
    assert status == 409 and "already allocated" in answer["Err"], answer
    assert [p.id for p in ports_with(neutron, cidr, address)] == [held[0].id]

    ok("/IpamDriver.ReleaseAddress", {"PoolID": n.pool_id, "Address": f"{address}/24"})
    # ... and the address is free again at once: the request waits for the old port's delete, which follows
    # the release's answer (include/kuryr/port_deletes.h), instead of meeting it
    ok("/IpamDriver.RequestAddress", bodies[(w + 1) % ADDRESS_RACERS])
    again = ports_with(neutron, cidr, address)
    assert len(again) == 1 and again[0].id != held[0].id and again[0].mac_address == macs[(w + 1) % ADDRESS_RACERS]
    ok("/IpamDriver.ReleaseAddress", {"PoolID": n.pool_id, "Address": address})
    wait_for(lambda: ports_with(neutron, cidr, address) == [], 30, what=f"the port of {address} to go")

    assert not n.remove()
    assert leftovers(neutron, [cidr], [n.docker_id]) == []


# ---- 200 mixed requests at once ---------------------------------------------------------------------------

class Endpoint:
    """An address of the shared network and, once created, the endpoint holding it."""

    def __init__(self, net):
        self.net = net
        self.mac = mac()
        self.id = uuid.uuid4().hex + uuid.uuid4().hex
        self.address = None
        self.created = False

    def ids(self):
        return {"NetworkID": self.net.docker_id, "EndpointID": self.id}

    def request_address(self):
        return ("/IpamDriver.RequestAddress", {"PoolID": self.net.pool_id, "Address": "",
                                               "Options": {"com.docker.network.endpoint.macaddress": self.mac}})

    def release_address(self):
        return ("/IpamDriver.ReleaseAddress", {"PoolID": self.net.pool_id, "Address": self.address})

    def create(self):
        return ("/NetworkDriver.CreateEndpoint", dict(self.ids(), Options={}, Interface={
            "Address": self.address, "AddressIPv6": "", "MacAddress": self.mac}))

    def join(self):
        return ("/NetworkDriver.Join", dict(self.ids(), SandboxKey=SANDBOX, Options={}))

    def oper_info(self):
        return ("/NetworkDriver.EndpointOperInfo", self.ids())

    def leave(self):
        return ("/NetworkDriver.Leave", self.ids())

    def delete(self):
        return ("/NetworkDriver.DeleteEndpoint", self.ids())

    def remove(self):
        """DeleteEndpoint and ReleaseAddress as far as needed, in Docker's order; returns the failures."""
        failures = []
        steps = ([self.delete()] if self.created else []) + ([self.release_address()] if self.address else [])
        self.created, self.address = False, None
        for path, body in steps:
            status, answer = call(path, body)
            if status != 200:
                failures.append((path, status, answer))
        return failures


class Pool:
    """A pool the wave requested: ReleasePool on removal."""

    def __init__(self, pool_id):
        self.pool_id = pool_id

    def remove(self):
        pool_id, self.pool_id = self.pool_id, None
        if not pool_id:
            return []
        status, answer = call("/IpamDriver.ReleasePool", {"PoolID": pool_id})
        return [] if status == 200 else [("/IpamDriver.ReleasePool", status, answer)]


def pool_request(cidr):
    return ("/IpamDriver.RequestPool", {"AddressSpace": "LocalDefault", "Pool": cidr, "SubPool": "",
                                        "Options": {}, "V6": False})


MALFORMED = [
    ("/NetworkDriver.CreateNetwork", b"{not json"),
    ("/NetworkDriver.CreateEndpoint", {"NetworkID": "a" * 64, "EndpointID": "z" * 64, "Interface": {}}),
    ("/NetworkDriver.Join", {"NetworkID": "a" * 64, "EndpointID": "b" * 64, "SandboxKey": 42}),
    ("/IpamDriver.RequestPool", {"AddressSpace": "x", "Pool": "10.0.0.0/33", "SubPool": "", "V6": False}),
    ("/IpamDriver.RequestAddress", {"PoolID": 7, "Address": "", "Options": {}}),
    ("/IpamDriver.ReleaseAddress", b"[]"),
    ("/NetworkDriver.DeleteEndpoint", b"\xff\xfe"),
]
HANDSHAKE = ["/Plugin.Activate", "/NetworkDriver.GetCapabilities", "/IpamDriver.GetCapabilities",
             "/IpamDriver.GetDefaultAddressSpaces"]


def in_parallel(fn, items, workers=8):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def test_mixed_load_is_answered_and_leaves_nothing(daemon, neutron, networks):
    """One wave of LOAD (200) plugin requests at once, of every kind dockerd sends plus malformed ones, on
    objects made beforehand: every request is answered, with 200 (400 for the malformed), and once everything
    is removed through the protocol Neutron holds nothing of the test's."""
    shared = ProtocolNetwork("10.172.0.0/24")
    networks.append(shared)
    shared.create()
    cidrs, docker_ids = [shared.cidr], [shared.docker_id]
    scale = LOAD / 200

    def count(n):
        return max(1, int(n * scale))

    # ---- objects for the wave to work on (made with modest parallelism) ----
    eps = [Endpoint(shared) for _ in range(count(40) + count(10) + count(20))]
    new_eps = eps[:count(10)]            # CreateEndpoint in the wave
    released = eps[count(10):count(30)]  # ReleaseAddress in the wave
    made = eps[count(30):]               # existing endpoints: Join, DeleteEndpoint, OperInfo, Leave
    networks.extend(eps)

    def request(e):
        e.address = ok(*e.request_address())["Address"]
    in_parallel(request, eps)

    def create(e):
        ok(*e.create())
        e.created = True
    in_parallel(create, made)
    joiners, deleters, joined = made[:count(10)], made[count(10):count(20)], made[count(20):]
    in_parallel(lambda e: ok(*e.join()), joined + deleters)
    dropped_pools = [f"10.174.{100 + i}.0/24" for i in range(count(5))]
    pool_ids = in_parallel(lambda c: ok(*pool_request(c))["PoolID"], dropped_pools)
    dropped = [Pool(p) for p in pool_ids]  # released in the wave; removed after a failure before it
    networks.extend(dropped)
    to_delete = [ProtocolNetwork(f"10.173.{i}.0/24") for i in range(count(5))]
    to_create = [ProtocolNetwork(f"10.173.{100 + i}.0/24") for i in range(count(5))]
    for n in to_delete + to_create:
        networks.append(n)
        cidrs.append(n.cidr)
        docker_ids.append(n.docker_id)
    in_parallel(lambda n: n.create(), to_delete)

    def prepare(n):  # what dockerd does before CreateNetwork
        n.pool_id = ok(*pool_request(n.cidr))["PoolID"]
        n.gateway = ok("/IpamDriver.RequestAddress", {
            "PoolID": n.pool_id, "Address": "",
            "Options": {"RequestAddressType": "com.docker.network.gateway"}})["Address"]
    in_parallel(prepare, to_create)
    new_pools = [f"10.174.{i}.0/24" for i in range(count(5))]
    cidrs += dropped_pools + new_pools
    wave_eps = [Endpoint(shared) for _ in range(count(30))]
    networks.extend(wave_eps)

    # ---- the wave ----
    wave = []  # (request, expected status, what to do with the answer)
    wave += [((HANDSHAKE[i % 4], b""), 200, None) for i in range(count(40))]
    wave += [(MALFORMED[i % len(MALFORMED)], 400, None) for i in range(count(30))]
    wave += [(e.oper_info(), 200, None) for e in joined]
    wave += [(e.leave(), 200, None) for e in joined[:count(10)]]
    wave += [(e.join(), 200, None) for e in joiners]
    wave += [(e.delete(), 200, None) for e in deleters]
    wave += [(e.create(), 200, None) for e in new_eps]
    wave += [(e.release_address(), 200, None) for e in released]
    wave += [(e.request_address(), 200, e) for e in wave_eps]
    wave += [(pool_request(c), 200, c) for c in new_pools]
    wave += [(("/IpamDriver.ReleasePool", {"PoolID": p}), 200, None) for p in pool_ids]
    wave += [(("/NetworkDriver.DeleteNetwork", {"NetworkID": n.docker_id}), 200, None) for n in to_delete]
    wave += [(("/NetworkDriver.CreateNetwork", {
        "NetworkID": n.docker_id, "Options": {"com.docker.network.generic": {}},
        "IPv4Data": [{"AddressSpace": "LocalDefault", "Pool": n.cidr, "Gateway": n.gateway, "AuxAddresses": {}}],
        "IPv6Data": []}), 200, n) for n in to_create]
    random.shuffle(wave)
    seconds = []
    answers = race([w[0] for w in wave], seconds)

    # what the wave made is recorded before judging, so that the clean-up below removes it either way
    wrong = []
    new_pools = []
    for (req, want, made_obj), (status, answer) in zip(wave, answers):
        if status == 200 and isinstance(made_obj, Endpoint):
            made_obj.address = answer["Address"]
        elif status == 200 and isinstance(made_obj, str):
            new_pools.append(Pool(answer["PoolID"]))
        elif status == 200 and isinstance(made_obj, ProtocolNetwork):
            made_obj.created = True
        if status != want or (want != 200 and not answer.get("Err")):
            wrong.append((req[0], status, answer))
    networks.extend(new_pools)
    for p in dropped:
        p.pool_id = None
    for n in to_delete:
        n.created = False
    for e in deleters:
        e.created = False
    for e in new_eps:
        e.created = True
    seconds.sort()
    print(f"{len(wave)} requests at once; {len(wrong)} answered otherwise than expected; answered in "
          f"median {seconds[len(seconds) // 2]:.2f} s, max {seconds[-1]:.2f} s")

    # ---- everything removed through the protocol, in Docker's order for each object; objects side by side, as
    # dockerd removes the endpoints of containers that stop together (a port delete takes Neutron about a second:
    # one after the other, this was most of the test's time) ----
    failures = [f for fs in in_parallel(lambda e: e.remove(), eps + wave_eps) for f in fs]
    failures += [f for fs in in_parallel(lambda p: p.remove(), new_pools) for f in fs]
    protocol_networks = [n for n in reversed(networks) if isinstance(n, ProtocolNetwork)]
    failures += [f for fs in in_parallel(lambda n: n.remove(), protocol_networks) for f in fs]

    assert not wrong, f"{len(wrong)} of {len(wave)} answers were wrong: {wrong[:5]}"
    assert not failures, f"clean-up through the protocol failed: {failures[:5]}"
    assert ok("/Plugin.Activate", b"")["Implements"]
    assert leftovers(neutron, cidrs, docker_ids) == []
