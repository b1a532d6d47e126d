"""Kuryr-C benchmarks against Docker's bridge driver and upstream's Python kuryr-libnetwork, all measured in the
same run on the same dockerd and Neutron. Run through bench/run, which holds the e2e lock and the stack env."""
import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import docker

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from countproxy import CountingProxy  # noqa: E402
from daemons import TOP, KuryrC, Upstream  # noqa: E402
import neutron_times  # noqa: E402
import stackcpu  # noqa: E402

IMAGE = os.environ.get("KURYR_STACK_IMAGE", "busybox:latest")
PREFIX = "kb-"
# Paired runs (a plugin's alternating with bridge runs) each start after this pause: without it a bridge run
# pays for the background work the plugin run before it left (Neutron port status updates, OVN flows, the
# pool's tag resets), which made the paired bridge median up to twice the bridge block's.
SETTLE_S = 2.0
SUBNET_BASE = {"bridge": 61, "kuryrpy": 62}  # any other name: Kuryr-C, 10.63.x.0/24
LOGLINE = re.compile(r"POST (\S+) (\d+) in ([\d.]+) s, (\d+) Neutron calls \(([\d.]+) s\)")
ACTIVE_WAIT = re.compile(r"port \S+ ACTIVE after ([\d.]+) s")
PHASES = ("resources", "latency", "calls", "throughput")


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def say(*args):
    print(*args, flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.client = docker.from_env(timeout=600, max_pool_size=80)
        self.nets = []
        self.subnet_no = Counter()
        self.results = {}

    # --- Docker objects (all named kb-*, removed at the end even after a failure) ---
    def net_create(self, driver):
        self.subnet_no[driver] += 1
        third = self.subnet_no[driver]
        base = SUBNET_BASE.get(driver, 63)
        subnet = f"10.{base}.{third}.0/24"
        ipam_driver = "default" if driver == "bridge" else driver
        ipam = docker.types.IPAMConfig(driver=ipam_driver, pool_configs=[
            docker.types.IPAMPool(subnet=subnet, gateway=f"10.{base}.{third}.1")])
        options = {"com.docker.network.bridge.enable_ip_masquerade": "false"} if driver == "bridge" else {}
        net = self.client.networks.create(PREFIX + uuid.uuid4().hex[:8], driver=driver, ipam=ipam, options=options)
        self.nets.append(net.id)
        return net

    def net_rm(self, net):
        # dockerd releases a removed container's endpoint a moment later: under 30 parallel starts the network
        # can still show an "active endpoint" right after the last container is gone. Once in a while (seen with
        # the bridge driver after 30 parallel starts) dockerd 20.10 keeps a stale count until it restarts: that
        # network is reported and left behind rather than ending the benchmark.
        deadline = time.monotonic() + 20
        while True:
            try:
                net.remove()
                break
            except docker.errors.APIError as e:
                if "active endpoints" not in str(e):
                    raise
                if time.monotonic() > deadline:
                    say(f"  warning: dockerd still counts an endpoint on {net.name} with no container left "
                        "(a dockerd bug; a dockerd restart clears it): left in place")
                    return
                time.sleep(0.5)
        self.nets.remove(net.id)

    def run_timed(self, network, plugin):
        """One docker run and, for Kuryr-C, how long its CreateEndpoint waited for the port to turn ACTIVE
        (logged by the daemon when [neutron] vif_plugging_is_fatal makes it wait)."""
        offset = plugin.log_offset() if isinstance(plugin, KuryrC) else None
        took = self.run_once(network)
        wait = 0.0
        if offset is not None:
            with open(plugin.log_path, errors="replace") as f:
                f.seek(offset)
                wait = sum(float(m.group(1)) for m in ACTIVE_WAIT.finditer(f.read()))
        return took, wait

    def run_once(self, network):
        name = PREFIX + uuid.uuid4().hex[:10]
        kw = {"network_mode": "none"} if network == "none" else {"network": network}
        t = time.monotonic()
        self.client.containers.run(IMAGE, ["true"], name=name, remove=True, **kw)
        return time.monotonic() - t

    def sweep(self):
        for c in self.client.containers.list(all=True, filters={"name": PREFIX}):
            c.remove(force=True)
        for nid in list(self.nets):
            try:
                self.client.networks.get(nid).remove()
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as e:
                say(f"  warning: cannot remove network {nid[:12]}: {e}")
            self.nets.remove(nid)

    # --- phases ---
    def net_latency(self, driver):
        creates, rms = [], []
        for _ in range(self.args.net_iters):
            t = time.monotonic()
            net = self.net_create(driver)
            creates.append(time.monotonic() - t)
            t = time.monotonic()
            self.net_rm(net)
            rms.append(time.monotonic() - t)
        total = [a + b for a, b in zip(creates, rms)]
        return {"create_median_s": median(creates), "rm_median_s": median(rms), "create_rm_median_s": median(total),
                "create_rm_min_s": min(total), "create_rm_max_s": max(total), "n": len(total)}

    def run_latency(self, driver, plugin=None):
        if driver == "none":
            self.run_once("none")
            warm = [self.run_once("none") for _ in range(self.args.warm)]
            return {"warm_median_s": median(warm), "warm_p90_s": pct(warm, 90), "n_warm": len(warm)}
        cold = []
        offset = plugin.log_offset() if plugin else 0
        cold_waits, warm_waits = [], []
        paired_cold = []
        for _ in range(self.args.cold):
            if plugin:  # a bridge network's first container just before, for the same reason as the warm runs
                bnet = self.net_create("bridge")
                time.sleep(SETTLE_S)
                paired_cold.append(self.run_once(bnet.name))
                self.net_rm(bnet)
                time.sleep(SETTLE_S)
            net = self.net_create(driver)
            took, wait = self.run_timed(net.name, plugin)
            cold.append(took)
            cold_waits.append(wait)
            self.net_rm(net)
        net = self.net_create(driver)
        fill_offset = plugin.log_offset() if isinstance(plugin, KuryrC) else 0
        self.run_once(net.name)
        if isinstance(plugin, KuryrC):
            plugin.wait_pool_filled(fill_offset)  # warm: the network's pool too
        warm, paired = [], []
        # a plugin's warm runs alternate with runs on a bridge network: the machine is shared, and its load
        # drifts over the minutes between the bridge baseline and a plugin's block of runs
        bnet = self.net_create("bridge") if plugin else None
        if bnet:
            self.run_once(bnet.name)
        nlog = os.path.join(os.environ.get("KURYR_STACK_DIR", "/var/lib/kuryr-stack"), "logs", "neutron-server.log")
        n0 = neutron_times.offset(nlog)
        for _ in range(self.args.warm):
            if bnet:
                time.sleep(SETTLE_S)
                paired.append(self.run_once(bnet.name))
                time.sleep(SETTLE_S)
            took, wait = self.run_timed(net.name, plugin)
            warm.append(took)
            warm_waits.append(wait)
        n1 = neutron_times.offset(nlog)
        self.net_rm(net)
        if bnet:
            self.net_rm(bnet)
        out = {"cold_median_s": median(cold), "warm_median_s": median(warm), "warm_p90_s": pct(warm, 90),
               "n_cold": len(cold), "n_warm": len(warm),
               # the same runs without the time CreateEndpoint spent waiting for the port to turn ACTIVE
               "active_wait_warm_median_s": median(warm_waits), "active_wait_cold_median_s": median(cold_waits),
               "cold_excl_active_median_s": median([a - b for a, b in zip(cold, cold_waits)]),
               "warm_excl_active_median_s": median([a - b for a, b in zip(warm, warm_waits)])}
        if paired:
            # neutron_times reads the warm window, which the bridge runs share: they send Neutron nothing
            out["paired_bridge_warm_median_s"] = median(paired)
            out["paired_bridge_cold_median_s"] = median(paired_cold)
        if plugin:
            # Neutron's own time per request kind during the warm runs (its access log)
            out["neutron_server_times_warm"] = neutron_times.medians_ms(neutron_times.times(nlog, n0, n1))
        if isinstance(plugin, KuryrC):
            out["plugin_share"] = self.plugin_share(plugin, offset)
        return out

    def plugin_share(self, plugin, offset):
        """Time inside kuryr's handlers minus the time waiting on Neutron, from the per-request log lines."""
        with open(plugin.log_path, errors="replace") as f:
            f.seek(offset)
            lines = f.read().splitlines()
        per_path, overhead, neutron_wait, handler = {}, [], [], []
        for line in lines:
            m = LOGLINE.search(line)
            if not m:
                continue
            path, took, waited = m.group(1), float(m.group(3)), float(m.group(5))
            overhead.append(max(0.0, took - waited))
            neutron_wait.append(waited)
            handler.append(took)
            per_path.setdefault(path, []).append((took, waited, int(m.group(4))))
        return {"requests": len(overhead), "overhead_median_ms": median(overhead) * 1000,
                "overhead_p90_ms": pct(overhead, 90) * 1000, "overhead_max_ms": max(overhead, default=0) * 1000,
                "handler_median_ms": median(handler) * 1000, "neutron_wait_median_ms": median(neutron_wait) * 1000,
                "log_resolution_ms": 1,
                "per_path": {p: {"n": len(v), "handler_median_ms": median([a for a, _, _ in v]) * 1000,
                                 "overhead_median_ms": median([a - b for a, b, _ in v]) * 1000,
                                 "neutron_calls_median": median([c for _, _, c in v])}
                             for p, v in sorted(per_path.items())}}

    def neutron_calls(self, plugin):
        """Restarts the plugin behind the counting proxy and counts what one network and each lifecycle cost."""
        plugin.stop()
        out = {}
        with CountingProxy() as proxy:
            plugin.start(http_proxy=proxy.url)
            neutron_port = 9696

            def delta(before):
                after, _ = proxy.snapshot()
                d = after - before
                return (sum(v for (port, _), v in d.items() if port == neutron_port),
                        sum(v for (port, _), v in d.items() if port != neutron_port), d)
            before, _ = proxy.snapshot()
            net = self.net_create(plugin.name)
            out["network_create_neutron"], out["network_create_other"], _ = delta(before)
            if getattr(plugin, "pool", 0):
                # a filled pool: the first container opens it, and the refill is counted apart
                before, _ = proxy.snapshot()
                offset = plugin.log_offset()
                self.run_once(net.name)
                plugin.wait_pool_filled(offset)
                out["pool_open_and_fill_neutron"], _, _ = delta(before)
            per_run, breakdown = [], Counter()
            for _ in range(self.args.count_runs):
                before, _ = proxy.snapshot()
                self.run_once(net.name)
                n, other, d = delta(before)
                per_run.append(n)
                breakdown += Counter({k[1]: v for k, v in d.items() if k[0] == neutron_port})
            before, _ = proxy.snapshot()
            self.net_rm(net)
            out["network_rm_neutron"], _, _ = delta(before)
            out["per_lifecycle_neutron"] = per_run
            out["per_lifecycle_median"] = median(per_run)
            out["per_lifecycle_breakdown"] = {k: v / len(per_run) for k, v in breakdown.most_common()}
            plugin.stop()
        plugin.start()
        return out

    def resources(self, plugin, driver):
        time.sleep(2)
        mem = plugin.memory_kib()
        out = {"idle_rss_mib": plugin.rss_kib() / 1024, "idle_fds": plugin.fds(), "idle_threads": plugin.threads(),
               "idle_memory_mib": {k: v / 1024 for k, v in mem.items()}}
        floor = os.path.join(os.path.dirname(os.path.dirname(self.args.binary)), "bench", "floor", "rss-floor")
        if isinstance(plugin, KuryrC) and os.path.exists(floor):
            # the same libraries, doing the least the daemon does before it is idle (bench/floor/rss_floor.c)
            got = json.loads(subprocess.run([floor, "http://127.0.0.1:9696/"], capture_output=True, text=True,
                                            timeout=30).stdout)
            out["library_floor_mib"] = {k[:-4]: v / 1024 for k, v in got.items()}
        lifecycles = self.args.lifecycles if isinstance(plugin, KuryrC) else self.args.lifecycles_upstream
        net = self.net_create(driver)
        self.run_once(net.name)
        samples = [(0, plugin.fds(), plugin.rss_kib() / 1024, plugin.memory_kib()["pss"] / 1024)]
        cpu0 = plugin.cpu_s()
        step = 50 if lifecycles >= 250 else max(1, lifecycles // 5)
        for i in range(1, lifecycles + 1):
            self.run_once(net.name)
            if i % step == 0 or i == lifecycles:
                samples.append((i, plugin.fds(), plugin.rss_kib() / 1024, plugin.memory_kib()["pss"] / 1024))
        cpu = plugin.cpu_s() - cpu0
        self.net_rm(net)
        out.update({"lifecycles": lifecycles, "cpu_s_per_100_starts": cpu / lifecycles * 100,
                    "samples_lifecycle_fds_rssmib_pssmib": samples,
                    "fds_per_lifecycle": (samples[-1][1] - samples[0][1]) / lifecycles,
                    "rss_growth_mib": samples[-1][2] - samples[0][2]})
        return out

    def throughput(self, driver, plugin=None):
        out = {}
        for level in self.args.levels:
            total = max(level, self.args.serial) if level == 1 else level
            net = self.net_create(driver)
            offset = plugin.log_offset() if isinstance(plugin, KuryrC) else 0
            self.run_once(net.name)
            if isinstance(plugin, KuryrC):
                plugin.wait_pool_filled(offset)  # a burst on a host in steady use, not on a new network
            peak = {"kib": 0}
            stop = threading.Event()

            def sample():
                while not stop.wait(0.05):
                    peak["kib"] = max(peak["kib"], plugin.rss_kib())
            sampler = threading.Thread(target=sample, daemon=True) if plugin else None
            if sampler:
                sampler.start()
            failures = []

            def one(_):
                try:
                    self.run_once(net.name)
                except Exception as e:  # noqa: BLE001 - a failed start is a data point
                    failures.append(repr(e)[:200])
            cpu0 = stackcpu.snapshot()
            t = time.monotonic()
            with ThreadPoolExecutor(max_workers=level) as pool:
                list(pool.map(one, range(total)))
            wall = time.monotonic() - t
            cpu = stackcpu.delta(cpu0, stackcpu.snapshot())
            stop.set()
            if sampler:
                sampler.join()
            self.sweep_containers()
            self.net_rm(net)
            ok = total - len(failures)
            per_start = {k: v / total for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])}
            cpu_total = sum(per_start.values())
            out[str(level)] = {"starts": total, "failures": len(failures), "wall_s": wall,
                               "starts_per_min": ok / wall * 60, "first_failures": failures[:3],
                               "stack_cpu_s_per_start": per_start, "stack_cpu_s_per_start_total": cpu_total,
                               "cpu_bound_starts_per_min": os.cpu_count() * 60 / cpu_total if cpu_total else None}
            if plugin:
                out[str(level)]["peak_rss_mib"] = peak["kib"] / 1024
            say(f"  {driver} x{level}: {total} starts in {wall:.1f} s, {len(failures)} failed; CPU s per start "
                f"{cpu_total:.2f} (" + ", ".join(f"{k} {v:.2f}" for k, v in per_start.items() if v >= 0.01) +
                f"): at most {os.cpu_count() * 60 / max(cpu_total, 1e-9):.0f} starts/min on {os.cpu_count()} cores")
        return out

    def sweep_containers(self):
        for c in self.client.containers.list(all=True, filters={"name": PREFIX}):
            c.remove(force=True)


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    dv = docker.from_env().version()
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem / 1024 / 1024, 1),
            "kernel": platform.release(), "docker": dv.get("Version"), "storage_driver":
            docker.from_env().info().get("Driver"), "python": platform.python_version(),
            "backend": os.environ.get("KURYR_STACK_BACKEND", "?"), "auth": os.environ.get("KURYR_STACK_AUTH", "?")}


def deep_merge(old, new):
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(old.get(k), dict):
            deep_merge(old[k], v)
        else:
            old[k] = v
    return old


def flatness(args, stack_conf):
    """Container lifecycles against one daemon that outlives this process, in chunks (each under the stack
    lock and under 10 minutes): the first chunk starts the daemon and makes the network, every chunk runs
    --chunk lifecycles and samples fds, Rss and Pss every 50, the chunk reaching --lifecycles stops the daemon
    and removes the network. State (daemon pid, network, samples) lives in --state."""
    from daemons import smaps_rollup  # noqa: E402
    bench = Bench(args)
    state = json.load(open(args.state)) if os.path.exists(args.state) else None

    def sample(pid, i):
        m = smaps_rollup(pid)
        return [i, len(os.listdir(f"/proc/{pid}/fd")), m["rss"] / 1024, m["pss"] / 1024, m["private"] / 1024]
    if state is None:
        workdir = time.strftime("/tmp/kuryr-bench-flat-%Y%m%d-%H%M%S")
        os.makedirs(workdir, exist_ok=True)
        name = "%sp%x" % (args.plugin_name, int(time.time())) if args.pool else args.plugin_name
        plugin = KuryrC(workdir, stack_conf, args.binary, name=name, pool=args.pool)
        plugin.start()
        net = bench.net_create(plugin.name)
        offset = plugin.log_offset()
        bench.run_once(net.name)
        plugin.wait_pool_filled(offset)
        state = {"pid": plugin.proc.pid, "name": plugin.name, "net": net.id, "net_name": net.name, "done": 0,
                 "target": args.lifecycles, "workdir": workdir, "backend": os.environ.get("KURYR_STACK_BACKEND"),
                 "samples_lifecycle_fds_rss_pss_private_mib": [sample(plugin.proc.pid, 0)], "failures": 0}
        bench.nets.remove(net.id)  # kept across chunks
    pid = state["pid"]
    if not os.path.exists(f"/proc/{pid}"):
        raise SystemExit(f"daemon {pid} is gone; remove {args.state} to start over")
    try:
        todo = min(args.chunk, state["target"] - state["done"])
        for _ in range(todo):
            try:
                bench.run_once(state["net_name"])
            except Exception as e:  # noqa: BLE001
                state["failures"] += 1
                say(f"  failed: {e!r}"[:200])
            state["done"] += 1
            if state["done"] % 50 == 0:
                state["samples_lifecycle_fds_rss_pss_private_mib"].append(sample(pid, state["done"]))
                say(f"  {state['samples_lifecycle_fds_rss_pss_private_mib'][-1]}")
    finally:
        with open(args.state, "w") as f:
            json.dump(state, f, indent=1)
    if state["done"] >= state["target"]:
        s = state["samples_lifecycle_fds_rss_pss_private_mib"]
        say(f"flatness over {state['done']} lifecycles ({state['failures']} failed): fds {s[0][1]} -> {s[-1][1]},"
            f" Rss {s[0][2]:.2f} -> {s[-1][2]:.2f} MiB, Pss {s[0][3]:.2f} -> {s[-1][3]:.2f} MiB")
        try:
            bench.client.networks.get(state["net"]).remove()
        finally:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z":
                    break
                time.sleep(0.2)
        state["finished"] = True
        with open(args.state, "w") as f:
            json.dump(state, f, indent=1)
    else:
        say(f"{state['done']}/{state['target']} lifecycles; run again with the same --state to go on")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a few minutes: fewer iterations, parallel 1 and 10 only")
    ap.add_argument("--out", default=None, help="JSON results file (default /tmp/kuryr-bench-<backend>-<time>.json)")
    ap.add_argument("--merge", action="store_true", help="add this run's phases to an existing --out file and"
                    " report the whole (for a full set run in several parts, each under 10 minutes)")
    ap.add_argument("--phases", default=",".join(PHASES), help=f"comma list of {', '.join(PHASES)}; bridge figures"
                    " are measured in the same part as the plugins' for latency and throughput")
    ap.add_argument("--no-upstream", action="store_true")
    ap.add_argument("--plugin-name", default=os.environ.get("KURYR_BENCH_PLUGIN", "kuryrb"),
                    help="Docker plugin name (socket) of the Kuryr-C daemon under test")
    ap.add_argument("--vif-wait", action="store_true", help="Kuryr-C waits for ACTIVE ([neutron]"
                    " vif_plugging_is_fatal); latency is reported with and without that wait")
    ap.add_argument("--pool", type=int, default=0, metavar="N", help="also measure Kuryr-C with its port pool"
                    " ([vif_pool] enabled, ports_pool_min = ports_pool_batch = N), as kuryrbp")
    ap.add_argument("--lifecycles", type=int, default=None, help="sequential lifecycles for the fd/RSS/CPU figures"
                    " (Kuryr-C; upstream does a tenth, at least 5)")
    ap.add_argument("--flatness", action="store_true", help="resumable fd/RSS run: --chunk lifecycles per call up to"
                    " --lifecycles against a daemon kept between calls (state in --state)")
    ap.add_argument("--cold", type=int, default=None, metavar="N", help="latency phase: cold runs (a new network's"
                    " first container) per plugin, each paired with a bridge one (default 3; --quick 1)")
    ap.add_argument("--chunk", type=int, default=250)
    ap.add_argument("--levels", dest="levels_only", default=None,
                    help="throughput phase: comma list of parallelism levels (default 1,10,30,50)")
    ap.add_argument("--state", default="/tmp/kuryr-bench-flatness.json")
    ap.add_argument("--venv", default=os.environ.get("KURYR_BENCH_VENV", "/opt/kuryrpy-venv"))
    ap.add_argument("--binary", default=os.environ.get("KURYR_LIBNETWORK_BIN",
                                                        os.path.join(TOP, "build-bench", "libnetwork",
                                                                     "kuryr-libnetwork")))
    args = ap.parse_args()
    q = args.quick
    args.net_iters, default_cold, args.warm = (2, 1, 3) if q else (10, 3, 15)
    args.cold = default_cold if args.cold is None else max(1, args.cold)
    args.count_runs = 1 if q else 5
    if args.lifecycles is None:
        args.lifecycles = 500 if args.flatness else (10 if q else 200)
    args.lifecycles_upstream = max(5, args.lifecycles // 10) if q else max(20, args.lifecycles // 10)
    args.levels, args.serial = ([1, 5], 2) if q else ([1, 10, 30, 50], 5)
    if args.levels_only:
        args.levels = [int(x) for x in args.levels_only.split(",") if x]
    phases = [x for x in args.phases.split(",") if x]
    bad = [x for x in phases if x not in PHASES]
    if bad:
        ap.error(f"unknown phase {bad[0]}")
    stack_conf = os.environ["KURYR_STACK_CONF"]
    backend = os.environ.get("KURYR_STACK_BACKEND", "unknown")
    if args.flatness:
        flatness(args, stack_conf)
        return
    out_path = args.out or time.strftime(f"/tmp/kuryr-bench-{backend}-%Y%m%d-%H%M%S.json")
    workdir = time.strftime("/tmp/kuryr-bench-%Y%m%d-%H%M%S")
    os.makedirs(workdir, exist_ok=True)

    bench = Bench(args)
    results = {"machine": machine(), "backend": backend, "mode": "quick" if q else "full",
               "args": {k: v for k, v in vars(args).items()}, "command": " ".join(sys.argv), "upstream": {},
               "bridge": {}, "none": {}}
    say(f"back end: {backend}\nmachine: {results['machine']}\nphases: {phases}")
    plugins = {"kuryrb": KuryrC(workdir, stack_conf, args.binary, name=args.plugin_name, vif_wait=args.vif_wait)}
    if args.pool:
        # a name new to dockerd: it asks an IPAM driver whether it needs a MAC once per name (the pool says no)
        plugins["kuryrbp"] = KuryrC(workdir, stack_conf, args.binary,
                                    name="%sp%x" % (args.plugin_name, int(time.time())), vif_wait=args.vif_wait,
                                    pool=args.pool)
    up = Upstream(workdir, stack_conf, args.venv)
    if args.no_upstream:
        results["upstream"]["skipped"] = "--no-upstream"
    elif not up.available():
        results["upstream"]["skipped"] = f"not installed in {args.venv} (run bench/setup-upstream)"
    else:
        plugins["kuryrpy"] = up
        results["upstream"]["version"] = subprocess.run(
            [os.path.join(args.venv, "bin", "pip"), "show", "kuryr-libnetwork"], capture_output=True,
            text=True).stdout.split("Version:")[1].split()[0]
    say(f"upstream: {results['upstream']}")
    try:
        bench.client.images.get(IMAGE)
        say("== baseline: Docker's bridge driver and --net none")
        if "latency" in phases:
            results["bridge"].update({"net": bench.net_latency("bridge"), "run": bench.run_latency("bridge")})
            results["none"] = {"run": bench.run_latency("none")}
        if "throughput" in phases:
            results["bridge"]["throughput"] = bench.throughput("bridge")
        for key, plugin in plugins.items():
            say(f"== {key} ({plugin.name})")
            try:
                plugin.start()
                r = {"plugin_name": plugin.name}
                if "resources" in phases:
                    r["resources"] = bench.resources(plugin, plugin.name)
                if "latency" in phases:
                    r["net"] = bench.net_latency(plugin.name)
                    r["run"] = bench.run_latency(plugin.name, plugin)
                if "calls" in phases:
                    r["neutron_calls"] = bench.neutron_calls(plugin)
                if "throughput" in phases:
                    r["throughput"] = bench.throughput(plugin.name, plugin)
                r["peak_rss_mib_vmhwm"] = plugin.peak_rss_kib() / 1024
                r["end_memory_mib"] = {k: v / 1024 for k, v in plugin.memory_kib().items()}
                r["end_rss_mib"], r["end_fds"] = plugin.rss_kib() / 1024, plugin.fds()
                results[key] = r
            except Exception as e:  # noqa: BLE001 - one failing plugin must not hide the others' figures
                results[key] = {"error": repr(e)}
                say(f"  {key} failed: {e!r}")
                bench.sweep()
            finally:
                plugin.stop()
    finally:
        bench.sweep()
        if args.merge and os.path.exists(out_path):
            with open(out_path) as f:
                results = deep_merge(json.load(f), results)
        with open(out_path, "w") as f:
            json.dump(results, f, indent=1, default=str)
    report(results)
    say(f"\nresults: {out_path}\nlogs: {workdir}")


def report(r):
    def f(x):
        return "-" if x is None or x != x else f"{x * 1000:.0f} ms"

    def get(d, *path):
        for k in path:
            if not isinstance(d, dict) or k not in d:
                return None
            d = d[k]
        return d

    def ratio(a, b):
        return f"{a / b:.2f}x" if a is not None and b else "-"
    rows = [d for d in ("bridge", "kuryrb", "kuryrbp", "kuryrpy") if d in r and "error" not in r[d]]
    b = r.get("bridge", {})
    say(f"\n== results (medians), back end {r.get('backend', '?')}")
    say(f"{'':34}" + "".join(f"{d:>14}" for d in rows))
    for label, path in (("network create+rm", ("net", "create_rm_median_s")),
                        ("docker run --rm true, cold", ("run", "cold_median_s")),
                        ("docker run --rm true, warm", ("run", "warm_median_s")),
                        ("  cold, excl. wait for ACTIVE", ("run", "cold_excl_active_median_s")),
                        ("  warm, excl. wait for ACTIVE", ("run", "warm_excl_active_median_s")),
                        ("  wait for ACTIVE (warm)", ("run", "active_wait_warm_median_s"))):
        vals = [get(r[d], *path) for d in rows]
        if any(v is not None for v in vals):
            say(f"{label:34}" + "".join(f"{f(v):>14}" for v in vals))
    if get(r, "none", "run", "warm_median_s") is not None:
        say(f"--net none warm: {f(r['none']['run']['warm_median_s'])}")
    for d in rows[1:]:
        x = r[d]
        if get(x, "run") and get(b, "run"):
            bw, bc = b["run"]["warm_median_s"], b["run"]["cold_median_s"]
            say(f"ratio {d}/bridge: net create+rm {ratio(x['net']['create_rm_median_s'], b['net']['create_rm_median_s'])},"
                f" run cold {ratio(x['run']['cold_median_s'], bc)}, warm {ratio(x['run']['warm_median_s'], bw)};"
                f" excluding the wait for ACTIVE: cold {ratio(get(x, 'run', 'cold_excl_active_median_s'), bc)},"
                f" warm {ratio(get(x, 'run', 'warm_excl_active_median_s'), bw)}")
            pb, pc = get(x, "run", "paired_bridge_warm_median_s"), get(x, "run", "paired_bridge_cold_median_s")
            if pb:
                say(f"  against bridge runs alternating with its own: warm ({f(pb)}) {ratio(x['run']['warm_median_s'], pb)},"
                    f" excluding the wait for ACTIVE {ratio(get(x, 'run', 'warm_excl_active_median_s'), pb)};"
                    f" cold ({f(pc)}) {ratio(x['run']['cold_median_s'], pc)}, excluding the wait for ACTIVE"
                    f" {ratio(get(x, 'run', 'cold_excl_active_median_s'), pc)}")
        nc = get(x, "neutron_calls")
        if nc:
            say(f"{d}: Neutron calls per lifecycle {nc['per_lifecycle_median']} {nc['per_lifecycle_neutron']},"
                f" network create {nc['network_create_neutron']}, rm {nc['network_rm_neutron']}")
            say(f"  by kind: {nc['per_lifecycle_breakdown']}")
        res = get(x, "resources")
        if res:
            m = res.get("idle_memory_mib", {})
            say(f"{d}: idle Rss {m.get('rss', res['idle_rss_mib']):.1f} MiB, Pss {m.get('pss', float('nan')):.1f} MiB,"
                f" private {m.get('private', float('nan')):.1f} MiB (anonymous {m.get('anon', float('nan')):.1f});"
                f" CPU {res['cpu_s_per_100_starts']:.2f} s/100 starts;"
                f" fds/lifecycle {res['fds_per_lifecycle']:.3f} over {res['lifecycles']},"
                f" Rss growth {res['rss_growth_mib']:+.2f} MiB")
            fl = res.get("library_floor_mib")
            if fl:
                say(f"  library floor (bench/floor/rss_floor.c: the same libraries, initialised, nothing else): Rss"
                    f" {fl['rss']:.1f} MiB, Pss {fl['pss']:.1f}, private {fl['private']:.1f}, shared clean"
                    f" {fl['shared_clean']:.1f}")
        if get(x, "peak_rss_mib_vmhwm") is not None:
            say(f"{d}: peak Rss (VmHWM) {x['peak_rss_mib_vmhwm']:.1f} MiB; at the end {x.get('end_memory_mib')}")
        for lvl, t in (get(x, "throughput") or {}).items():
            bt = get(b, "throughput", lvl, "starts_per_min")
            say(f"  x{lvl}: {t['starts_per_min']:.0f}/min ({t['failures']} failed, peak Rss"
                f" {t.get('peak_rss_mib', float('nan')):.1f} MiB) vs bridge {bt if bt is None else round(bt)}/min")
    a, ap, u = r.get("kuryrb"), r.get("kuryrbp"), r.get("kuryrpy")
    if get(ap, "run") and get(a, "run"):
        say(f"ratio kuryrbp/kuryrb (the pool's effect): run warm"
            f" {ratio(ap['run']['warm_median_s'], a['run']['warm_median_s'])}")
    if get(a, "run") and get(u, "run"):
        say(f"ratio kuryrb/kuryrpy: run warm {ratio(a['run']['warm_median_s'], u['run']['warm_median_s'])}")
    if get(ap, "neutron_calls") and get(a, "neutron_calls"):
        say(f"ratio kuryrbp/kuryrb: Neutron calls"
            f" {ratio(ap['neutron_calls']['per_lifecycle_median'], a['neutron_calls']['per_lifecycle_median'])}")
    if get(a, "neutron_calls") and get(u, "neutron_calls"):
        say(f"ratio kuryrb/kuryrpy: Neutron calls"
            f" {ratio(a['neutron_calls']['per_lifecycle_median'], u['neutron_calls']['per_lifecycle_median'])}")
    for d in ("kuryrb", "kuryrbp"):
        s = get(r.get(d), "run", "plugin_share")
        if not s:
            continue
        say(f"{d} plugin share: {s['requests']} requests, overhead median {s['overhead_median_ms']:.1f} ms"
            f" (p90 {s['overhead_p90_ms']:.1f}, 1 ms log resolution), handler median {s['handler_median_ms']:.1f} ms,"
            f" Neutron wait median {s['neutron_wait_median_ms']:.1f} ms")
        for path, v in s["per_path"].items():
            say(f"  {path}: n {v['n']}, handler {v['handler_median_ms']:.0f} ms, overhead"
                f" {v['overhead_median_ms']:.0f} ms, Neutron calls {v['neutron_calls_median']}")
    for d in ("kuryrb", "kuryrbp", "kuryrpy"):
        nt = get(r.get(d), "run", "neutron_server_times_warm")
        if nt:
            top = [f"{k} {v['median_ms']:.0f} ms (n {v['n']})" for k, v in list(nt.items())[:4]]
            say(f"{d}: neutron-server's own time per request during the warm runs, slowest kinds: " + "; ".join(top))
    for d in ("kuryrb", "kuryrbp", "kuryrpy"):
        if d in r and "error" in r[d]:
            say(f"{d}: FAILED {r[d]['error']}")


if __name__ == "__main__":
    main()
