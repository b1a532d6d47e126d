"""The two network plugins under test, started and stopped by the benchmark: Kuryr-C's kuryr-libnetwork on its
own unix socket, and upstream's Python kuryr-server behind a spec file on its own TCP port."""
import os
import re
import signal
import socket
import subprocess
import time

import stackcpu

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the pool logs each refill: "vif pool: N ports ready in subnet <id>"
READY = re.compile(r"vif pool: (\d+) ports ready in subnet")


def _proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def smaps_rollup(pid):
    v = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                v[k] = int(rest.split()[0])
    return {"rss": v.get("Rss", 0), "pss": v.get("Pss", 0),
            "private": v.get("Private_Clean", 0) + v.get("Private_Dirty", 0), "anon": v.get("Anonymous", 0),
            "shared_clean": v.get("Shared_Clean", 0)}


class Plugin:
    name = ""
    log_path = ""

    def __init__(self, workdir, stack_conf):
        self.workdir = workdir
        self.stack_conf = stack_conf
        self.proc = None

    def start(self, http_proxy=None):
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
        if http_proxy:
            env["http_proxy"] = http_proxy
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True, cwd=self.workdir)
        log.close()
        deadline = time.monotonic() + 60
        while not self.answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} does not answer; see {self.log_path}")
            time.sleep(0.2)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def rss_kib(self):
        return _proc_status(self.proc.pid, "VmRSS")

    def memory_kib(self):
        """Rss, Pss and private (clean + dirty) from smaps_rollup: most of the Rss of a small C daemon is
        shared library pages that other processes map too, which Pss divides among them."""
        return smaps_rollup(self.proc.pid)

    def peak_rss_kib(self):
        return _proc_status(self.proc.pid, "VmHWM")

    def cpu_s(self):
        # reaped children count too: upstream's binding scripts are children
        return stackcpu.cpu_s(self.proc.pid)

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def threads(self):
        return _proc_status(self.proc.pid, "Threads")

    def log_offset(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0


class KuryrC(Plugin):
    def __init__(self, workdir, stack_conf, binary, name="kuryrb", vif_wait=False, pool=0, extra_default=""):
        super().__init__(workdir, stack_conf)
        self.name = name
        self.binary = binary
        self.sock = f"/run/docker/plugins/{name}.sock"
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.conf = os.path.join(workdir, f"{name}.conf")
        self.pool = pool
        with open(self.conf, "w") as f:
            f.write(f"[DEFAULT]\ndebug = False\nunix_socket = {self.sock}\n{extra_default}")
            if vif_wait:
                # wait for the port to turn ACTIVE, as Nova does; the bench subtracts the logged wait
                f.write("[neutron]\nvif_plugging_is_fatal = True\nvif_plugging_timeout = 60\n")
            if pool:
                # ports made ahead of need, pool_min per subnet in one bulk request, and recycled on release
                f.write(f"[vif_pool]\nenabled = True\nports_pool_min = {pool}\nports_pool_batch = {pool}\n")

    def command(self):
        return [self.binary, "--config-file", self.stack_conf, "--config-file", self.conf]

    def wait_pool_filled(self, offset, timeout=180):
        """With the pool on: waits until the daemon logs a full refill (pool-size ports) after log offset offset.
        A network's first container starts its subnet's refill to ports_pool_min; the bench measures a filled
        pool, as on a host in steady use. The one port a new network is seeded with does not count."""
        if not self.pool:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, errors="replace") as f:
                f.seek(offset)
                if any(int(n) >= self.pool for n in READY.findall(f.read())):
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the pool was not filled within {timeout} s")

    def answers(self):
        if not os.path.exists(self.sock):
            return False
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(self.sock)
            s.sendall(b"POST /Plugin.Activate HTTP/1.1\r\nHost: p\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False
        finally:
            s.close()


class Upstream(Plugin):
    def __init__(self, workdir, stack_conf, venv, name="kuryrpy", port=23760):
        super().__init__(workdir, stack_conf)
        self.name = name
        self.venv = venv
        self.port = port
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.conf = os.path.join(workdir, f"{name}.conf")
        self.spec = f"/etc/docker/plugins/{name}.spec"
        with open(stack_conf) as f:
            stack = f.read()
        with open(self.conf, "w") as f:
            f.write(f"[DEFAULT]\nkuryr_uri = http://127.0.0.1:{port}\nbindir = {venv}/libexec/kuryr\n"
                    f"capability_scope = local\ndebug = False\nlog_file = {self.log_path}\n\n{stack}")

    def available(self):
        return os.access(os.path.join(self.venv, "bin", "kuryr-server"), os.X_OK)

    def command(self):
        return [os.path.join(self.venv, "bin", "kuryr-server"), "--config-file", self.conf]

    def start(self, http_proxy=None):
        os.makedirs(os.path.dirname(self.spec), exist_ok=True)
        with open(self.spec, "w") as f:
            f.write(f"http://127.0.0.1:{self.port}\n")
        super().start(http_proxy)

    def stop(self):
        super().stop()
        try:
            os.unlink(self.spec)
        except FileNotFoundError:
            pass

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                s.sendall(b"POST /Plugin.Activate HTTP/1.1\r\nHost: p\r\nContent-Length: 0\r\n"
                          b"Connection: close\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.")
        except OSError:
            return False
