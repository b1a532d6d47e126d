"""Helpers shared by the reliability e2e tests (kill matrix, outages, HTTP limits, secrets): a daemon started
with extra environment and config, the stack's service PIDs, and a scoped view of what kuryr left in Neutron
and on the host."""
import json
import os
import re
import signal
import subprocess
import time

from conftest import BUILD, PLUGIN, Daemon, plugin_call, wait_for

# Reliability tests run daemons of their own (fault points, limits, wrong passwords) while the session's e2e
# daemon keeps its socket: they get a plugin name and socket of their own.
RELIABILITY_PLUGIN = PLUGIN + "rel"
RELIABILITY_SOCK = f"/run/docker/plugins/{RELIABILITY_PLUGIN}.sock"

HEX64 = re.compile(r"^[0-9a-f]{64}$")


class EnvDaemon(Daemon):
    """A kuryr-libnetwork daemon with its own override config and environment (e.g. KURYR_FAULT)."""

    def __init__(self, stack_conf, workdir, extra_conf="", env=None, sock=RELIABILITY_SOCK):
        self.override = os.path.join(workdir, "reliability.conf")
        super().__init__([stack_conf, self.override], workdir, sock)
        self.configure(extra_conf)
        self.env = dict(os.environ)
        self.env.update(env or {})

    def configure(self, extra_conf):
        """Rewrites the override config ([DEFAULT] lines); the next start reads it."""
        with open(self.override, "w") as f:
            f.write("[DEFAULT]\ndebug = True\nunix_socket = %s\n%s" % (self.sock, extra_conf))

    def start(self, env=None):
        args = [self.binary]
        for f in self.conf_files:
            args += ["--config-file", f]
        e = dict(self.env)
        e.update(env or {})
        e = {k: v for k, v in e.items() if v is not None}
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=e)
        log.close()
        wait_for(self._answers, 60, what="kuryr-libnetwork to answer on " + self.sock)

    def _answers(self):
        # a killed daemon leaves its socket file: refused until the new one has replaced it
        try:
            return super()._answers()
        except (ConnectionRefusedError, FileNotFoundError):
            return False

    def died_by_sigkill(self):
        return self.proc is not None and self.proc.poll() == -signal.SIGKILL

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def has_fault_points(binary):
    try:
        with open(binary, "rb") as f:
            return b"KURYR_FAULT" in f.read()
    except OSError:
        return False


def stack_pid(name):
    """PID of a stack service from $KURYR_STACK_DIR/run/<name>.pid (scripts/stack.d/common.sh)."""
    path = os.path.join(os.environ["KURYR_STACK_DIR"], "run", name + ".pid")
    with open(path) as f:
        return int(f.read().strip())


def stack_pids(name):
    """The service's process and its descendants: neutron-server and keystone run worker children."""
    root = stack_pid(name)
    pids, todo = [root], [root]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        pids += kids
        todo += kids
    return pids


class Paused:
    """SIGSTOPs a stack service (and its workers) for the block; always SIGCONTs, even on failure."""

    def __init__(self, name):
        self.name = name
        self.pids = []

    def __enter__(self):
        self.pids = stack_pids(self.name)
        for p in self.pids:
            try:
                os.kill(p, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        for p in self.pids:
            try:
                os.kill(p, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.seconds = time.monotonic() - self.t0
        return False


def call(path, body, timeout=120):
    status, _, payload = plugin_call(path, json.dumps(body), RELIABILITY_SOCK, timeout=timeout)
    try:
        answer = json.loads(payload or b"{}")
    except ValueError:
        answer = {"raw": payload.decode(errors="replace")}
    return status, answer


def host_taps():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith("tap"):
            names.add(name)
    return names


def kuryr_leftovers(neutron, cidr, port_ids=(), since=None):
    """What kuryr made for one test CIDR and is still in Neutron or on the host."""
    left = {}
    left["subnetpools"] = [p.id for p in neutron.subnet_pools() if p.name and p.name.endswith("-" + cidr)
                           and p.name.startswith("kuryrPool")]
    left["subnets"] = [s.id for s in neutron.subnets(cidr=cidr) if (s.name or "").startswith("kuryr-subnet-")]
    net = cidr.rsplit(".", 1)[0] + "."
    left["ports"] = [p.id for p in neutron.ports()
                     if (p.device_owner == "compute:kuryr" or "compute:kuryr" in (p.tags or []))
                     and any(ip["ip_address"].startswith(net) for ip in p.fixed_ips)]
    ids = set(port_ids) | set(left["ports"])
    left["security_groups"] = [g.id for g in neutron.security_groups()
                               if g.name.endswith("-exposed_ports") and g.name[:-len("-exposed_ports")] in ids]
    left["taps"] = sorted(t for t in host_taps() if any(t[3:] == i[:11] for i in ids))
    return {k: v for k, v in left.items() if v}


def orphan_networks(neutron, dclient, since_iso):
    """kuryr-net-* networks made since a time whose Docker network is gone."""
    docker_ids = {n.id for n in dclient.networks.list()}
    out = []
    for n in neutron.networks():
        if not (n.name or "").startswith("kuryr-net-") or (n.created_at or "") < since_iso:
            continue
        lh = [t.split(":", 1)[1] for t in (n.tags or []) if t.startswith("kuryr.net.uuid.lh:")]
        uh = [t.split(":", 1)[1] for t in (n.tags or []) if t.startswith("kuryr.net.uuid.uh:")]
        did = (lh[0] + uh[0]) if lh and uh else None
        if did not in docker_ids and not any(d.startswith(n.name[len("kuryr-net-"):]) for d in docker_ids):
            out.append(n.id)
    return out


def build_dir_binary(name):
    return os.path.join(BUILD, name)
