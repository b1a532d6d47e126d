"""The two-host rig: hosts A and B on this one machine, sharing the stack's Neutron, RabbitMQ, Keystone and
project (docs/reliability.md, "Two-host rig").

Each host is a network namespace (twohost-a, twohost-b) holding its own Neutron linuxbridge agent
(`host = twohost-a`), dockerd (own socket, data root, exec root and pid file; no bridge, iptables or
forwarding) and kuryr-libnetwork (host name twohost-a, in a UTS namespace too, so that a daemon without the
[DEFAULT] host option binds to the right host as well). Why namespaces: two linuxbridge agents on one kernel
would both own brq<net> and vxlan-<vni> of a network both hosts use, and the stack's agent has local_ip
127.0.0.1, which no other VTEP can reach. In its own namespace each agent has its own bridges, vxlan devices
and UDP port 4789; the VTEPs are a veth pair between the two namespaces (10.250.0.1 and 10.250.0.2), so the
root namespace forwards nothing. The stack's services listen on 127.0.0.1 only: a relay thread in this
process accepts on 127.0.0.1 inside each namespace (the listening socket is made after setns) and connects to
the same port in the root namespace, so every URL and the Keystone catalog stay as they are.

Both engines read plugins from /run/docker/plugins (Docker's path, not under --exec-root): each host's daemon
has its own plugin name, twohost-a or twohost-b, and each host's networks use that driver.

Everything is torn down by stop(), also after a failure, and stop() first removes what a previous run left."""
import contextlib
import ctypes
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import docker

from conftest import BUILD, IMAGE, Daemon, plugin_call, wait_for

CLONE_NEWNET = 0x40000000
RIG_STATE = "/var/lib/kuryr-twohost"
RIG_RUN = "/run/kuryr-twohost"
VTEP = {"a": "10.250.0.1", "b": "10.250.0.2"}
RELAYED_PORTS = (5000, 9696, 5672)  # Keystone, Neutron, RabbitMQ
STACK_DIR = os.environ.get("KURYR_STACK_DIR", "/var/lib/kuryr-stack")
NEUTRON_CONF = os.path.join(STACK_DIR, "etc", "neutron", "neutron.conf")

_libc = ctypes.CDLL(None, use_errno=True)


@contextlib.contextmanager
def stack_lock():
    """The lock a shared machine's users hold while they add services to the running stack
    (KURYR_STACK_LOCK names it; none when unset)."""
    path = os.environ.get("KURYR_STACK_LOCK")
    if not path:
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def sh(*args, check=True):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r


def setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class Relay:
    """127.0.0.1:port inside a namespace, relayed to 127.0.0.1:port of the root namespace."""

    def __init__(self, netns, port):
        self.port = port
        self.conns = []
        self.lock = threading.Lock()
        root = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
        made = {}

        def listen():  # in a thread of its own: setns moves only the calling thread
            try:
                setns(target)
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                s.listen(64)
                made["sock"] = s
            except OSError as e:
                made["error"] = e
            finally:
                setns(root)
        t = threading.Thread(target=listen)
        t.start()
        t.join()
        os.close(root)
        os.close(target)
        if "error" in made:
            raise made["error"]
        self.sock = made["sock"]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                inner, _ = self.sock.accept()
            except OSError:
                return
            try:
                outer = socket.create_connection(("127.0.0.1", self.port))
            except OSError:
                inner.close()
                continue
            with self.lock:
                self.conns += [inner, outer]
            for a, b in ((inner, outer), (outer, inner)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)
        with self.lock:
            for s in self.conns:
                try:
                    s.close()
                except OSError:
                    pass
            self.conns.clear()


class RigDaemon(Daemon):
    """kuryr-libnetwork of one rig host: in the host's network namespace and a UTS namespace named after it."""

    def __init__(self, host, workdir, conf_files, sock):
        super().__init__(conf_files, workdir, sock)
        self.host = host

    def start(self, wrapper=()):
        args = ["ip", "netns", "exec", self.host.netns, "unshare", "--uts", "sh", "-c",
                'hostname "$0" && exec "$@"', self.host.name, self.binary]
        for f in self.conf_files:
            args += ["--config-file", f]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for(self._answers, 60, what=f"kuryr-libnetwork of {self.host.name}")

    def _answers(self):
        try:
            return super()._answers()
        except (ConnectionRefusedError, FileNotFoundError):
            return False  # a killed daemon leaves its socket: refused until the new one replaces it


class RigHost:
    def __init__(self, letter, stack_conf):
        self.letter = letter
        self.name = f"twohost-{letter}"
        self.netns = self.name
        self.plugin = self.name
        self.sock = f"/run/docker/plugins/{self.plugin}.sock"
        self.state = os.path.join(RIG_STATE, letter)
        self.run = os.path.join(RIG_RUN, letter)
        self.docker_sock = os.path.join(self.run, "docker.sock")
        self.stack_conf = stack_conf
        self.conf = os.path.join(self.state, "kuryr.conf")
        self.procs = {}
        self.daemon = None
        self.client = None

    # -- processes ------------------------------------------------------------------------------------------

    def _spawn(self, key, args, log, env=None, own_sysfs=True):
        # "ip netns exec" mounts the namespace's own /sys, which the agent reads bridges from; it also hides
        # the cgroup mounts under /sys/fs/cgroup that dockerd needs, so dockerd enters only the namespace
        enter = ["ip", "netns", "exec", self.netns] if own_sysfs else ["nsenter", f"--net=/run/netns/{self.netns}"]
        f = open(os.path.join(self.state, log), "ab")
        self.procs[key] = subprocess.Popen(enter + args, stdout=f, stderr=subprocess.STDOUT, start_new_session=True,
                                           env=env)
        f.close()

    def log_tail(self, log, n=20):
        try:
            with open(os.path.join(self.state, log), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def start_agent(self):
        conf = os.path.join(self.state, "agent.conf")
        with open(conf, "w") as f:
            f.write(f"[DEFAULT]\nhost = {self.name}\nstate_path = {self.state}/neutron\n"
                    f"[oslo_concurrency]\nlock_path = {self.state}/neutron/lock\n"
                    f"[linux_bridge]\nphysical_interface_mappings =\n"
                    f"[vxlan]\nenable_vxlan = true\nlocal_ip = {VTEP[self.letter]}\nl2_population = true\n"
                    f"[agent]\npolling_interval = 1\n"
                    f"[securitygroup]\nfirewall_driver = noop\nenable_security_group = false\n"
                    f"[experimental]\nlinuxbridge = True\n")
        os.makedirs(f"{self.state}/neutron/lock", exist_ok=True)
        env = dict(os.environ)
        env["PATH"] = os.path.join(STACK_DIR, "bin") + ":" + env.get("PATH", "")  # the stack's ebtables shim
        self._spawn("agent", ["/usr/bin/python3", "/usr/bin/neutron-linuxbridge-agent", "--config-file",
                              NEUTRON_CONF, "--config-file", conf, "--log-file",
                              os.path.join(self.state, "agent.log")], "agent.out", env)

    def start_dockerd(self):
        os.makedirs(self.run, exist_ok=True)
        self._spawn("dockerd", ["dockerd", f"--host=unix://{self.docker_sock}",
                                f"--data-root={self.state}/docker", f"--exec-root={self.run}/exec",
                                f"--pidfile={self.run}/dockerd.pid", "--iptables=false", "--ip6tables=false",
                                "--ip-forward=false", "--ip-masq=false", "--bridge=none", "--storage-driver=vfs",
                                "--log-level=warn"], "dockerd.log", own_sysfs=False)
        wait_for(self._docker_up, 60, what=f"dockerd of {self.name}")

    def _docker_up(self):
        if self.procs["dockerd"].poll() is not None:
            raise AssertionError(f"dockerd of {self.name} exited:\n{self.log_tail('dockerd.log')}")
        try:
            self.client = self.client or docker.DockerClient(base_url=f"unix://{self.docker_sock}", timeout=180)
            return self.client.ping()
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def write_conf(self, extra=""):
        with open(self.conf, "w") as f:
            # KURYR_RIG_EXTRA_CONF ([DEFAULT] lines) comes last and wins, e.g. "reconcile_on_startup = False" when
            # the rig runs an older daemon whose reconciliation would judge every host's objects
            f.write(f"[DEFAULT]\ndebug = True\nhost = {self.name}\nunix_socket = {self.sock}\n"
                    f"docker_host = unix://{self.docker_sock}\n{extra}\n"
                    f"{os.environ.get('KURYR_RIG_EXTRA_CONF', '')}\n"
                    "[neutron]\n# no DHCP port: it would be bound to the stack's own host\nenable_dhcp = False\n")

    def start_kuryr(self, extra=""):
        self.write_conf(extra)
        if not self.daemon:
            self.daemon = RigDaemon(self, self.state, [self.stack_conf, self.conf], self.sock)
        self.daemon.start()

    def stop_kuryr(self, sig=signal.SIGTERM):
        if self.daemon:
            self.daemon.stop(sig)

    def kuryrctl(self, *args):
        binary = os.environ.get("KURYR_KURYRCTL_BIN") or os.path.join(BUILD, "kuryrctl", "kuryrctl")
        return sh("ip", "netns", "exec", self.netns, "unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"',
                  self.name, binary, "--config-file", self.stack_conf, "--config-file", self.conf, *args,
                  check=False)

    def call(self, path, body):
        status, _, payload = plugin_call(path, json.dumps(body), self.sock)
        return status, json.loads(payload or b"{}")

    # -- tear-down --------------------------------------------------------------------------------------------

    def stop(self):
        if self.client:
            try:
                for c in self.client.containers.list(all=True):
                    c.remove(force=True)
                for n in self.client.networks.list():
                    if n.attrs.get("Driver") == self.plugin:
                        n.remove()
            except Exception:  # noqa: BLE001 - tear-down goes on
                pass
            self.client.close()
            self.client = None
        self.stop_kuryr()
        for key, grace in (("dockerd", 30), ("agent", 5)):
            p = self.procs.pop(key, None)
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(grace)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


class Rig:
    def __init__(self, stack_conf, neutron):
        self.neutron = neutron
        self.hosts = {x: RigHost(x, stack_conf) for x in "ab"}
        self.relays = []

    @property
    def a(self):
        return self.hosts["a"]

    @property
    def b(self):
        return self.hosts["b"]

    def start(self):
        t0 = time.monotonic()
        self.stop()  # what a previous run left
        for h in self.hosts.values():
            os.makedirs(h.state, exist_ok=True)
            sh("ip", "netns", "add", h.netns)
            sh("ip", "-n", h.netns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "twohost-va", "type", "veth", "peer", "name", "twohost-vb")
        for x, h in self.hosts.items():
            sh("ip", "link", "set", f"twohost-v{x}", "netns", h.netns)
            sh("ip", "-n", h.netns, "addr", "add", f"{VTEP[x]}/24", "dev", f"twohost-v{x}")
            sh("ip", "-n", h.netns, "link", "set", f"twohost-v{x}", "up")
            for port in RELAYED_PORTS:
                self.relays.append(Relay(h.netns, port))
        for h in self.hosts.values():
            h.start_agent()
            h.start_dockerd()
        print(f"rig: dockerds up after {time.monotonic() - t0:.1f}s")
        image = docker.from_env(timeout=180).images.get(IMAGE)
        data = b"".join(image.save(named=True))
        for h in self.hosts.values():
            h.client.images.load(data)
        print(f"rig: images loaded after {time.monotonic() - t0:.1f}s")
        for h in self.hosts.values():
            wait_for(lambda h=h: self.agent_alive(h.name), 120, interval=1, what=f"the L2 agent of {h.name}")
            h.start_kuryr()
        print(f"rig: up after {time.monotonic() - t0:.1f}s")

    def _neutron_leftovers(self, host):
        """What a failed test left of the rig host's in Neutron (its daemons are gone by now): its bound ports,
        then what carries its marker. Nothing else carries either."""
        marker = f"kuryr.host:{host}"
        for p in list(self.neutron.ports(**{"binding:host_id": host})) + list(self.neutron.ports(tags=[marker])):
            self.neutron.delete_port(p, ignore_missing=True)
        for n in self.neutron.networks(tags=[marker]):
            if len([t for t in n.tags if t.startswith("kuryr.host:")]) > 1:
                n.remove_tag(self.neutron, marker)  # the other rig host's too: it goes with that host
                continue
            for p in self.neutron.ports(network_id=n.id):
                self.neutron.delete_port(p, ignore_missing=True)
            self.neutron.delete_network(n, ignore_missing=True)
        for sp in self.neutron.subnet_pools(tags=[marker]):
            self.neutron.delete_subnet_pool(sp, ignore_missing=True)

    def agent_alive(self, host):
        return any(a.is_alive for a in self.neutron.agents(host=host))

    def stop(self):
        for h in self.hosts.values():
            if os.environ.get("KURYR_E2E_SHOW_LOG"):
                for log in ("kuryr-libnetwork.log", "agent.log", "dockerd.log"):
                    print(f"==== {h.name} {log}\n{h.log_tail(log, 150)}")
            h.stop()
        for r in self.relays:
            r.stop()
        self.relays.clear()
        for h in self.hosts.values():
            if os.path.exists(f"/run/netns/{h.netns}"):
                # what is left in the namespace is the rig's (a containerd-shim, a privsep helper): by pid
                for pid in sh("ip", "netns", "pids", h.netns, check=False).stdout.split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
                wait_for(lambda h=h: not sh("ip", "netns", "pids", h.netns, check=False).stdout.strip(), 30,
                         what=f"the processes of {h.netns} to exit")
                sh("ip", "netns", "del", h.netns, check=False)
            try:
                os.unlink(h.sock)
            except FileNotFoundError:
                pass
            self._neutron_leftovers(h.name)
            for agent in self.neutron.agents(host=h.name):
                self.neutron.delete_agent(agent)
        sh("ip", "link", "del", "twohost-va", check=False)  # made, then a failure before its move
        shutil.rmtree(RIG_STATE, ignore_errors=True)
        shutil.rmtree(RIG_RUN, ignore_errors=True)
