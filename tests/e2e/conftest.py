"""Black-box e2e fixtures: a real dockerd and a real Neutron from scripts/stack, and the kuryr-libnetwork
daemon from the build tree (or the installed one, KURYR_LIBNETWORK_BIN).

Every resource a test makes is registered for clean-up, which runs even when the test fails."""
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

docker = pytest.importorskip("docker")
openstack = pytest.importorskip("openstack")

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("KURYR_BUILD_DIR", os.path.join(TOP, "build-test"))
# The Docker driver name is the socket's basename. Parallel runs (or a second daemon on the same dockerd) pick
# another name with KURYR_E2E_PLUGIN; production and CI use "kuryr".
PLUGIN = os.environ.get("KURYR_E2E_PLUGIN", "kuryr")
PLUGIN_SOCK = f"/run/docker/plugins/{PLUGIN}.sock"
IMAGE = os.environ.get("KURYR_STACK_IMAGE", "busybox:latest")
# A command the session's daemon runs under, e.g. valgrind (scripts/test valgrind); it makes the daemon slow, so
# the start and stop waits grow with it.
WRAPPER = shlex.split(os.environ.get("KURYR_E2E_DAEMON_WRAPPER", ""))
SLOW = 6 if WRAPPER else 1


def _stack_env():
    if not os.environ.get("KURYR_STACK_CONF"):
        pytest.skip("the local stack is not up (run `scripts/stack up` and `eval \"$(scripts/stack env)\"`)")
    return os.environ


def wait_for(predicate, timeout, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Daemon:
    """One kuryr-libnetwork process, with its log kept for the report."""

    def __init__(self, conf_files, workdir, sock=PLUGIN_SOCK):
        self.conf_files = conf_files
        self.sock = sock
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "kuryr-libnetwork.log")
        self.proc = None
        self.binary = os.environ.get("KURYR_LIBNETWORK_BIN") or os.path.join(BUILD, "libnetwork",
                                                                            "kuryr-libnetwork")

    def start(self, wrapper=()):
        args = list(wrapper) + [self.binary]
        for f in self.conf_files:
            args += ["--config-file", f]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        try:
            wait_for(self._answers, 20 * (SLOW if wrapper else 1), what="kuryr-libnetwork to answer on " + self.sock)
        except BaseException:
            self.stop(signal.SIGKILL)  # a daemon that never answered must not outlive the test that started it
            raise

    def _answers(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"kuryr-libnetwork exited with {self.proc.returncode}:\n{self.log_tail()}")
        return plugin_call("/Plugin.Activate", b"", self.sock)[0] == 200 if os.path.exists(self.sock) else False

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15 * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_tail(self, n=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def plugin_call(path, body, sock_path=PLUGIN_SOCK, timeout=60):
    """A raw HTTP POST to the plugin socket, as dockerd makes it. Returns (status, headers, body)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        if isinstance(body, str):
            body = body.encode()
        req = (f"POST {path} HTTP/1.1\r\nHost: plugin\r\n"
               f"Content-Type: application/json\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        s.sendall(req)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        payload = _dechunk(payload)
    return status, headers, payload


def _dechunk(data):
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return out


@pytest.fixture(scope="session")
def stack_env():
    return _stack_env()


@pytest.fixture(scope="session")
def neutron(stack_env):
    """An openstacksdk connection as the stack's admin, for checking what Kuryr did in Neutron."""
    # scripts/stack writes clouds.yaml (OS_CLIENT_CONFIG_FILE) with the admin as "kuryr-stack-admin", for
    # Keystone and noauth stacks alike.
    conn = openstack.connect(cloud=os.environ.get("KURYR_E2E_CLOUD", "kuryr-stack-admin"))
    yield conn.network
    conn.close()


@pytest.fixture(scope="session")
def dclient(stack_env):
    client = docker.from_env(timeout=180)
    client.ping()
    yield client
    client.close()


@pytest.fixture(scope="session")
def daemon(stack_env, dclient, tmp_path_factory):
    if not os.path.exists(Daemon([], "/").binary):
        pytest.skip("kuryr-libnetwork is not built")
    work = str(tmp_path_factory.mktemp("kuryr"))
    override = os.path.join(work, "e2e.conf")
    with open(override, "w") as f:
        f.write("[DEFAULT]\ndebug = True\nunix_socket = %s\n" % PLUGIN_SOCK)
    d = Daemon([stack_env["KURYR_STACK_CONF"], override], work)
    d.start(WRAPPER)
    yield d
    d.stop()
    if os.environ.get("KURYR_E2E_SHOW_LOG"):
        print(d.log_tail(200))


class Cleanup:
    """Removes what a test made, newest first, and keeps going past individual failures."""

    def __init__(self, dclient, neutron):
        self.dclient = dclient
        self.neutron = neutron
        self.actions = []

    def add(self, fn, *args):
        self.actions.append((fn, args))

    def container(self, c):
        self.add(lambda: c.remove(force=True))
        return c

    def network(self, n):
        self.add(lambda: n.remove())
        return n

    def run(self):
        errors = []
        for fn, args in reversed(self.actions):
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - clean-up must go on
                if "No such" not in str(e) and "not found" not in str(e).lower():
                    errors.append(repr(e))
        self.actions.clear()
        return errors


@pytest.fixture
def cleanup(dclient, neutron):
    c = Cleanup(dclient, neutron)
    yield c
    errors = c.run()
    assert not errors, f"clean-up failed: {errors}"


def unique_name(prefix="kt"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def kuryr_network(dclient, cleanup, subnet=None, gateway=None, ip_range=None, options=None, ipam_options=None,
                  v6_subnet=None, name=None):
    pools = []
    if subnet:
        pools.append(docker.types.IPAMPool(subnet=subnet, gateway=gateway, iprange=ip_range))
    if v6_subnet:
        pools.append(docker.types.IPAMPool(subnet=v6_subnet))
    ipam = docker.types.IPAMConfig(driver=PLUGIN, pool_configs=pools, options=ipam_options or {})
    net = dclient.networks.create(name or unique_name("kn"), driver=PLUGIN, ipam=ipam, options=options or {},
                                  enable_ipv6=bool(v6_subnet))
    return cleanup.network(net)


def run_busybox(dclient, cleanup, network, name=None, **kw):
    name = name or unique_name("kc")

    def remove_by_name():
        # by name: a container whose start failed was created all the same, and run() raised before returning it
        try:
            dclient.containers.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass
    cleanup.add(remove_by_name)
    return dclient.containers.run(IMAGE, ["sleep", "600"], network=network.name, detach=True, name=name, **kw)


def neutron_network_for(neutron, docker_net_id):
    tags = [f"kuryr.net.uuid.lh:{docker_net_id[:32]}", f"kuryr.net.uuid.uh:{docker_net_id[32:64]}"]
    nets = list(neutron.networks(tags=tags))
    return nets[0] if len(nets) == 1 else None


def container_iface(container, ifname="eth0"):
    """IP/prefix, MAC and MTU of an interface inside the container, read with busybox ip."""
    rc, out = container.exec_run(["ip", "-o", "addr", "show", "dev", ifname])
    assert rc == 0, out
    addrs = [tok for line in out.decode().splitlines() for i, tok in enumerate(line.split())
             if i > 0 and line.split()[i - 1] in ("inet", "inet6") and not tok.startswith("fe80")]
    rc, out = container.exec_run(["ip", "-o", "link", "show", "dev", ifname])
    assert rc == 0, out
    words = out.decode().split()
    mac = words[words.index("link/ether") + 1]
    mtu = int(words[words.index("mtu") + 1])
    return {"addrs": addrs, "mac": mac, "mtu": mtu}


def default_gateway(container):
    rc, out = container.exec_run(["ip", "route", "show", "default"])
    assert rc == 0, out
    words = out.decode().split()
    return words[words.index("via") + 1] if "via" in words else None


def ping(container, address, count=3):
    rc, out = container.exec_run(["ping", "-c", str(count), "-W", "2", address])
    return rc == 0, out.decode(errors="replace")


@pytest.fixture
def tmpdir_clean():
    d = tempfile.mkdtemp()
    yield d
    shutil.rmtree(d, ignore_errors=True)
