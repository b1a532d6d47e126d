"""Outages and slowness of the real stack's services (issue 7), black-box against a kuryr-libnetwork daemon of
our own: neutron-server or Keystone (each with its workers) is SIGSTOPped while plugin calls are made, the way
a hung or overloaded service looks to a client (the kernel still accepts connections; nothing answers).

What is checked, as an operator would see it:
  - while a service is down, a plugin call gets a clear Err naming that service within the daemon's
    configured [neutron] timeout (plus a generous margin: only a hang detector), and the daemon keeps
    answering /Plugin.Activate;
  - after SIGCONT the next call succeeds without restarting the daemon;
  - nothing is left in Neutron, including what Neutron carried out late, after the daemon had given up on the
    answer (a port create that timed out: the daemon watches for it and deletes it);
  - a slow Neutron (paused shorter than the timeout) gives a success and exactly one object, no duplicate;
  - a token revoked in the middle of work is replaced by the library's one re-authentication on 401.

Every pause is undone by a fixture's finalizer (SIGCONT), even when a test fails. Run under
`flock /tmp/kuryr-stack.lock`. Figures measured here are printed at the end of the module (pytest -s)."""
import os
import secrets
import threading
import time
import uuid

import pytest

from conftest import wait_for
from reliability import EnvDaemon, Paused, call, stack_pids

TIMEOUT = 5          # [neutron] timeout of the outage daemon, seconds per Keystone or Neutron request
SLOW_TIMEOUT = 20    # for the slow-Neutron case: longer than the pause
SLOW_PAUSE = 5
MARGIN = 30          # hang detector only: an answer later than timeout + MARGIN means the daemon hung
FIGURES = []


def _hex64():
    return uuid.uuid4().hex + uuid.uuid4().hex


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if FIGURES:
        print("\noutage figures:")
        for f in FIGURES:
            print("  " + f)


@pytest.fixture
def pauses():
    """Pauses stack services for a test; the finalizer resumes every one of them whatever happened."""
    held = []

    def pause(name):
        p = Paused(name)
        held.append(p)
        return p.__enter__()

    def resume(p):
        if p in held:
            held.remove(p)
            p.__exit__(None, None, None)

    pause.resume = resume
    try:
        yield pause
    finally:
        for p in reversed(held):
            p.__exit__(None, None, None)
        held.clear()


@pytest.fixture
def start_daemon(stack_env, tmp_path_factory):
    """Starts a daemon on the reliability socket with extra config; stops it after the test."""
    started = []

    def start(extra=""):
        d = EnvDaemon(stack_env["KURYR_STACK_CONF"], str(tmp_path_factory.mktemp("outage")),
                      extra_conf="reconcile_on_startup = False\n" + extra)
        started.append(d)
        d.start()
        return d

    yield start
    for d in started:
        d.stop()


def _alive(d):
    assert d.proc.poll() is None, d.log_tail()
    status, answer = call("/Plugin.Activate", {})
    assert status == 200 and "NetworkDriver" in answer.get("Implements", []), answer


def _timed(path, body, bound):
    t0 = time.monotonic()
    status, answer = call(path, body, timeout=bound)
    return status, answer, time.monotonic() - t0


def _first_success(path, body, bound=60):
    """Calls until the plugin answers 200 (Neutron may still be catching up right after SIGCONT)."""
    t0 = time.monotonic()
    result = {}

    def ok():
        result["r"] = call(path, body, timeout=bound)
        return result["r"][0] == 200
    wait_for(ok, bound, interval=0.5, what=f"{path} to succeed again")
    return result["r"][1], time.monotonic() - t0


class KuryrNet:
    """A network made through the plugin calls Docker makes (RequestPool, gateway, CreateNetwork), torn down the
    same way; whatever a failure leaves is removed from Neutron directly at the end."""

    def __init__(self, neutron, cidr):
        self.neutron = neutron
        self.cidr = cidr
        self.prefix = cidr.rsplit(".", 1)[0] + "."
        self.docker_id = _hex64()
        self.pool = None
        self.addresses = []

    def create(self):
        status, r = call("/IpamDriver.RequestPool", {"AddressSpace": "global_scope", "Pool": self.cidr,
                                                     "Options": {}})
        assert status == 200, r
        self.pool = r["PoolID"]
        status, r = call("/IpamDriver.RequestAddress", {"PoolID": self.pool, "Address": "", "Options": {
            "RequestAddressType": "com.docker.network.gateway"}})
        assert status == 200, r
        gw = r["Address"]
        status, r = call("/NetworkDriver.CreateNetwork", {
            "NetworkID": self.docker_id, "Options": {"com.docker.network.generic": {}},
            "IPv4Data": [{"AddressSpace": "global_scope", "Pool": self.cidr, "Gateway": gw}], "IPv6Data": []})
        assert status == 200, r
        return self

    def request_address(self, bound=120):
        return _timed("/IpamDriver.RequestAddress", {"PoolID": self.pool, "Address": "", "Options": {}}, bound)

    def kuryr_ports(self):
        """kuryr's IPAM ports in this CIDR, tagged or not (a late create is untagged)."""
        return [p for p in self.neutron.ports()
                if (p.name == "kuryr-unbound-port" or p.device_owner == "compute:kuryr")
                and any(ip["ip_address"].startswith(self.prefix) for ip in p.fixed_ips)]

    def teardown(self):
        for a in self.addresses:
            call("/IpamDriver.ReleaseAddress", {"PoolID": self.pool, "Address": a})
        if self.pool:
            call("/NetworkDriver.DeleteNetwork", {"NetworkID": self.docker_id})
            call("/IpamDriver.ReleasePool", {"PoolID": self.pool})

    def leftovers(self):
        left = {}
        left["ports"] = [p.id for p in self.kuryr_ports()]
        left["networks"] = [n.id for n in self.neutron.networks(name="kuryr-net-" + self.docker_id[:8])]
        left["subnets"] = [s.id for s in self.neutron.subnets(cidr=self.cidr)
                           if (s.name or "").startswith("kuryr-subnet-")]
        left["subnetpools"] = [p.id for p in self.neutron.subnet_pools() if p.name == "kuryrPool-" + self.cidr]
        return {k: v for k, v in left.items() if v}

    def purge(self):
        """Last-resort removal straight from Neutron, so that a failed test leaves nothing for the next."""
        for p in self.kuryr_ports():
            self.neutron.delete_port(p, ignore_missing=True)
        for n in self.neutron.networks(name="kuryr-net-" + self.docker_id[:8]):
            for p in self.neutron.ports(network_id=n.id):
                self.neutron.delete_port(p, ignore_missing=True)
            self.neutron.delete_network(n, ignore_missing=True)
        for p in self.neutron.subnet_pools():
            if p.name == "kuryrPool-" + self.cidr:
                self.neutron.delete_subnet_pool(p, ignore_missing=True)


@pytest.fixture
def kuryr_net(neutron):
    made = []

    def make(cidr):
        n = KuryrNet(neutron, cidr)
        made.append(n)
        return n.create()
    try:
        yield make
    finally:
        for n in made:
            try:
                n.teardown()
            finally:
                n.purge()


def _request_pool_through_outage(start_daemon, pauses, neutron, service, cidr, named, not_named=None):
    """RequestPool while `service` is paused: a 503 whose Err names the service within about one timeout, the
    daemon still answering; after SIGCONT the same daemon's next RequestPool succeeds, and once released no pool
    stays. Returns how long the error took and how long after SIGCONT the first success came."""
    d = start_daemon(f"[neutron]\ntimeout = {TIMEOUT}\n")
    body = {"AddressSpace": "global_scope", "Pool": cidr, "Options": {}}
    pool_id = None
    try:
        p = pauses(service)
        status, answer, took = _timed("/IpamDriver.RequestPool", body, TIMEOUT + MARGIN)
        assert status == 503, answer
        assert named in answer["Err"], answer
        assert not not_named or not_named not in answer["Err"], answer
        assert took < TIMEOUT + MARGIN
        _alive(d)
        pauses.resume(p)
        t_resume = time.monotonic()
        answer, _ = _first_success("/IpamDriver.RequestPool", body)
        recovery = time.monotonic() - t_resume
        pool_id = answer["PoolID"]
    finally:
        if pool_id:
            status, answer = call("/IpamDriver.ReleasePool", {"PoolID": pool_id})
            assert status == 200, answer
    assert [p.id for p in neutron.subnet_pools() if p.name == "kuryrPool-" + cidr] == []
    return took, recovery


def test_neutron_down_request_pool(start_daemon, pauses, neutron):
    """Neutron paused: RequestPool fails with an Err naming Neutron in about one timeout, the daemon answers
    meanwhile, and the first call after SIGCONT succeeds on the same daemon; nothing stays behind."""
    took, recovery = _request_pool_through_outage(start_daemon, pauses, neutron, "neutron-server", "10.78.1.0/24",
                                                  "Neutron unreachable")
    FIGURES.append(f"neutron down, RequestPool: 503 after {took:.1f} s (timeout {TIMEOUT} s); "
                   f"first success {recovery:.2f} s after SIGCONT")


def test_neutron_down_port_create_leaves_no_port(start_daemon, pauses, kuryr_net):
    """Neutron paused while RequestAddress sends its port create (the subnet is cached, so the POST is the first
    request): Docker gets an Err naming Neutron; Neutron makes the port after SIGCONT anyway, and the daemon
    deletes that late port by itself. Docker's retry gets exactly one port: no leak, no second port (case 5)."""
    d = start_daemon(f"[neutron]\ntimeout = {TIMEOUT}\n")
    net = kuryr_net("10.78.2.0/24")
    status, r, _ = net.request_address()  # caches the pool's subnet
    assert status == 200, r
    net.addresses.append(r["Address"].split("/")[0])
    before = {p.id for p in net.kuryr_ports()}

    p = pauses("neutron-server")
    status, answer, took = net.request_address(TIMEOUT + MARGIN)
    assert status == 503, answer
    assert "Neutron unreachable" in answer["Err"], answer
    _alive(d)
    pauses.resume(p)
    t_resume = time.monotonic()
    status, r, _ = net.request_address()  # Docker's retry
    assert status == 200, r
    net.addresses.append(r["Address"].split("/")[0])
    recovery = time.monotonic() - t_resume

    def only_the_retry():
        new = [x for x in net.kuryr_ports() if x.id not in before]
        return len(new) == 1 and new[0].fixed_ips[0]["ip_address"] == net.addresses[-1]
    # Neutron makes the late port when it resumes; the daemon's watch deletes it within a few seconds
    wait_for(only_the_retry, TIMEOUT + MARGIN + 30, interval=1, what="the late port to be deleted")
    late = "deleted port" in d.log_text() and "after its create" in d.log_text()
    FIGURES.append(f"neutron down, RequestAddress: 503 after {took:.1f} s; retry succeeded {recovery:.2f} s "
                   f"after SIGCONT; late port made by Neutron and deleted by the daemon: {late}")
    assert d.proc.poll() is None


def test_neutron_down_create_network(start_daemon, pauses, neutron, kuryr_net):
    """Neutron paused at CreateNetwork: an Err naming Neutron, and after SIGCONT Docker's next CreateNetwork of
    another network works; the failed one leaves no Neutron network behind."""
    d = start_daemon(f"[neutron]\ntimeout = {TIMEOUT}\n")
    net = KuryrNet(neutron, "10.78.3.0/24")
    status, r = call("/IpamDriver.RequestPool", {"AddressSpace": "global_scope", "Pool": net.cidr, "Options": {}})
    assert status == 200, r
    net.pool = r["PoolID"]
    try:
        p = pauses("neutron-server")
        status, answer, took = _timed("/NetworkDriver.CreateNetwork", {
            "NetworkID": net.docker_id, "Options": {"com.docker.network.generic": {}},
            "IPv4Data": [{"AddressSpace": "global_scope", "Pool": net.cidr, "Gateway": "10.78.3.1/24"}],
            "IPv6Data": []}, TIMEOUT + MARGIN)
        assert status == 503, answer
        assert "Neutron" in answer["Err"], answer
        _alive(d)
        pauses.resume(p)
        # Docker does not keep a network whose CreateNetwork failed: no DeleteNetwork will come for it
        wait_for(lambda: not list(neutron.networks(name="kuryr-net-" + net.docker_id[:8])), MARGIN, interval=1,
                 what="no Neutron network for the failed CreateNetwork")
        FIGURES.append(f"neutron down, CreateNetwork: 503 after {took:.1f} s; no network left")
    finally:
        net.teardown()
        net.purge()


def test_neutron_slow_gives_one_object(start_daemon, pauses, kuryr_net):
    """Neutron paused for a few seconds, shorter than the timeout, while a port create is in flight: the call
    succeeds once Neutron resumes, with exactly one new port (no duplicate from a retry)."""
    start_daemon(f"[neutron]\ntimeout = {SLOW_TIMEOUT}\n")
    net = kuryr_net("10.78.4.0/24")
    status, r, _ = net.request_address()  # caches the subnet: the slow request is the POST itself
    assert status == 200, r
    net.addresses.append(r["Address"].split("/")[0])
    before = {p.id for p in net.kuryr_ports()}
    p = pauses("neutron-server")
    timer = threading.Timer(SLOW_PAUSE, pauses.resume, args=(p,))
    timer.start()
    try:
        status, r, took = net.request_address(SLOW_TIMEOUT + MARGIN)
    finally:
        timer.cancel()
        timer.join()
    assert status == 200, r
    net.addresses.append(r["Address"].split("/")[0])
    new = [x for x in net.kuryr_ports() if x.id not in before]
    assert [x.fixed_ips[0]["ip_address"] for x in new] == [net.addresses[-1]], new
    FIGURES.append(f"neutron slow ({SLOW_PAUSE} s pause, timeout {SLOW_TIMEOUT} s): RequestAddress succeeded in "
                   f"{took:.1f} s, 1 port")


def test_keystone_down_before_first_token(start_daemon, pauses, neutron):
    """Keystone paused before the daemon's first token: an Err naming Keystone within the timeout, the daemon
    answers meanwhile, and after SIGCONT the next call authenticates and works."""
    took, recovery = _request_pool_through_outage(start_daemon, pauses, neutron, "keystone", "10.78.5.0/24",
                                                  "Keystone unreachable", not_named="Neutron unreachable")
    FIGURES.append(f"keystone down: 503 after {took:.1f} s (timeout {TIMEOUT} s); first success "
                   f"{recovery:.2f} s after SIGCONT")


@pytest.fixture
def keystone_user(stack_env):
    """A Keystone user of our own with the admin role on the daemon's project; deleted afterwards."""
    import openstack
    conn = openstack.connect(cloud="kuryr-stack-admin")
    project_name = None
    with open(stack_env["KURYR_STACK_CONF"]) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == "project_name":
                project_name = v.strip()
    project = conn.identity.find_project(project_name or "service", domain_id="default")
    role = conn.identity.find_role("admin")
    password = secrets.token_hex(16)
    user = conn.identity.create_user(name="kuryr-outage-" + uuid.uuid4().hex[:8], password=password,
                                     domain_id="default", default_project_id=project.id)
    try:
        conn.identity.assign_project_role_to_user(project, user, role)
        yield {"conn": conn, "user": user, "password": password, "project": project}
    finally:
        conn.identity.delete_user(user, ignore_missing=True)
        conn.close()


def test_token_revoked_mid_work(start_daemon, pauses, keystone_user, neutron):
    """The daemon's token is revoked (an admin sets the user's password, which revokes its tokens) between two
    operations: the second succeeds through one re-authentication on Neutron's 401.

    Neutron's auth middleware caches a token it has validated, so a revoked token it has seen still works there
    until the cache expires: the revocation is made while Neutron has not validated the token yet (Neutron is
    paused during the first operation, which then fails). The token was issued, so Neutron's check on resume
    is the first one, and it finds it revoked."""
    u = keystone_user
    d = start_daemon(f"[neutron]\ntimeout = {TIMEOUT}\nusername = {u['user'].name}\npassword = {u['password']}\n")
    cidr = "10.78.6.0/24"
    body = {"AddressSpace": "global_scope", "Pool": cidr, "Options": {}}
    pool_id = None
    try:
        p = pauses("neutron-server")
        status, answer = call("/IpamDriver.RequestPool", body)  # gets a token; Neutron does not answer
        assert status == 503, answer
        # by id: a fresh resource, so that the SDK sends the (unchanged) password; Keystone revokes the tokens
        u["conn"].identity.update_user(u["user"].id, password=u["password"])
        # Keystone compares issue and revocation times in whole seconds: a token issued in the revocation's
        # second counts as revoked too, so the daemon's re-authentication must come in a later second.
        time.sleep(1.1)
        pauses.resume(p)
        status, answer = call("/IpamDriver.RequestPool", body)
        assert status == 200, answer
        pool_id = answer["PoolID"]
        log = d.log_text()
        assert "token rejected (401), authenticating again" in log, d.log_tail(40)
        assert log.count("keystone: authenticated") == 2, d.log_tail(40)
        FIGURES.append("token revoked: the next call succeeded after one re-authentication on 401")
    finally:
        if pool_id:
            call("/IpamDriver.ReleasePool", {"PoolID": pool_id})
    assert [p.id for p in neutron.subnet_pools() if p.name == "kuryrPool-" + cidr] == []


def test_nothing_left_paused():
    """After this module no stack process is stopped (State T), whatever the tests above did."""
    for name in ("neutron-server", "keystone"):
        for pid in stack_pids(name):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            assert state not in ("T", "t"), f"{name} process {pid} is still stopped"
