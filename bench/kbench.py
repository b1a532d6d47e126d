"""Kuryr-C benchmarks against Docker's bridge driver and upstream's Python kuryr-libnetwork, all measured in the
same run on the same dockerd and Neutron. Run through bench/run, which holds the e2e lock and the stack env."""
import argparse
import json
import os
import platform
import re
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

IMAGE = os.environ.get("KURYR_STACK_IMAGE", "busybox:latest")
PREFIX = "kb-"
SUBNET_BASE = {"bridge": 61, "kuryrb": 63, "kuryrpy": 62}
LOGLINE = re.compile(r"POST (\S+) (\d+) in ([\d.]+) s, (\d+) Neutron calls \(([\d.]+) s\)")


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
        subnet = f"10.{SUBNET_BASE[driver]}.{third}.0/24"
        ipam_driver = "default" if driver == "bridge" else driver
        ipam = docker.types.IPAMConfig(driver=ipam_driver, pool_configs=[
            docker.types.IPAMPool(subnet=subnet, gateway=f"10.{SUBNET_BASE[driver]}.{third}.1")])
        options = {"com.docker.network.bridge.enable_ip_masquerade": "false"} if driver == "bridge" else {}
        net = self.client.networks.create(PREFIX + uuid.uuid4().hex[:8], driver=driver, ipam=ipam, options=options)
        self.nets.append(net.id)
        return net

    def net_rm(self, net):
        net.remove()
        self.nets.remove(net.id)

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
        for _ in range(self.args.cold):
            net = self.net_create(driver)
            cold.append(self.run_once(net.name))
            self.net_rm(net)
        net = self.net_create(driver)
        self.run_once(net.name)
        warm = [self.run_once(net.name) for _ in range(self.args.warm)]
        self.net_rm(net)
        out = {"cold_median_s": median(cold), "warm_median_s": median(warm), "warm_p90_s": pct(warm, 90),
               "n_cold": len(cold), "n_warm": len(warm)}
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
        out = {"idle_rss_mib": plugin.rss_kib() / 1024, "idle_fds": plugin.fds(), "idle_threads": plugin.threads()}
        lifecycles = self.args.lifecycles if isinstance(plugin, KuryrC) else self.args.lifecycles_upstream
        net = self.net_create(driver)
        self.run_once(net.name)
        samples = [(0, plugin.fds(), plugin.rss_kib() / 1024)]
        cpu0 = plugin.cpu_s()
        step = max(1, lifecycles // 5)
        for i in range(1, lifecycles + 1):
            self.run_once(net.name)
            if i % step == 0 or i == lifecycles:
                samples.append((i, plugin.fds(), plugin.rss_kib() / 1024))
        cpu = plugin.cpu_s() - cpu0
        self.net_rm(net)
        out.update({"lifecycles": lifecycles, "cpu_s_per_100_starts": cpu / lifecycles * 100,
                    "samples_lifecycle_fds_rssmib": samples,
                    "fds_per_lifecycle": (samples[-1][1] - samples[0][1]) / lifecycles,
                    "rss_growth_mib": samples[-1][2] - samples[0][2]})
        return out

    def throughput(self, driver, plugin=None):
        out = {}
        for level in self.args.levels:
            total = max(level, self.args.serial) if level == 1 else level
            net = self.net_create(driver)
            self.run_once(net.name)
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
            t = time.monotonic()
            with ThreadPoolExecutor(max_workers=level) as pool:
                list(pool.map(one, range(total)))
            wall = time.monotonic() - t
            stop.set()
            if sampler:
                sampler.join()
            self.sweep_containers()
            self.net_rm(net)
            ok = total - len(failures)
            out[str(level)] = {"starts": total, "failures": len(failures), "wall_s": wall,
                               "starts_per_min": ok / wall * 60, "first_failures": failures[:3]}
            if plugin:
                out[str(level)]["peak_rss_mib"] = peak["kib"] / 1024
            say(f"  {driver} x{level}: {total} starts in {wall:.1f} s, {len(failures)} failed")
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


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a few minutes: fewer iterations, parallel 1 and 10 only")
    ap.add_argument("--out", default=None, help="JSON results file (default /tmp/kuryr-bench-<time>.json)")
    ap.add_argument("--no-upstream", action="store_true")
    ap.add_argument("--lifecycles", type=int, default=None, help="sequential lifecycles for the fd/RSS/CPU figures"
                    " (Kuryr-C; upstream does a tenth, at least 5)")
    ap.add_argument("--venv", default=os.environ.get("KURYR_BENCH_VENV", "/opt/kuryrpy-venv"))
    ap.add_argument("--binary", default=os.environ.get("KURYR_LIBNETWORK_BIN",
                                                        os.path.join(TOP, "build-bench", "libnetwork",
                                                                     "kuryr-libnetwork")))
    args = ap.parse_args()
    q = args.quick
    args.net_iters, args.cold, args.warm = (2, 1, 3) if q else (10, 3, 15)
    args.count_runs = 1 if q else 5
    if args.lifecycles is None:
        args.lifecycles = 10 if q else 200
    args.lifecycles_upstream = max(5, args.lifecycles // 10) if q else max(20, args.lifecycles // 10)
    args.levels, args.serial = ([1, 5], 2) if q else ([1, 10, 30, 50], 5)
    out_path = args.out or time.strftime("/tmp/kuryr-bench-%Y%m%d-%H%M%S.json")
    stack_conf = os.environ["KURYR_STACK_CONF"]
    workdir = time.strftime("/tmp/kuryr-bench-%Y%m%d-%H%M%S")
    os.makedirs(workdir, exist_ok=True)

    bench = Bench(args)
    results = {"machine": machine(), "mode": "quick" if q else "full", "args": {k: v for k, v in vars(args).items()},
               "command": " ".join(sys.argv), "upstream": {}}
    say(f"machine: {results['machine']}")
    plugins = {"kuryrb": KuryrC(workdir, stack_conf, args.binary)}
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
        results["bridge"] = {"net": bench.net_latency("bridge"), "run": bench.run_latency("bridge"),
                             "throughput": bench.throughput("bridge")}
        results["none"] = {"run": bench.run_latency("none")}
        for name, plugin in plugins.items():
            say(f"== {name}")
            try:
                plugin.start()
                r = {}
                r["resources"] = bench.resources(plugin, name)
                r["net"] = bench.net_latency(name)
                r["run"] = bench.run_latency(name, plugin)
                r["neutron_calls"] = bench.neutron_calls(plugin)
                r["throughput"] = bench.throughput(name, plugin)
                r["peak_rss_mib_vmhwm"] = plugin.peak_rss_kib() / 1024
                r["end_rss_mib"], r["end_fds"] = plugin.rss_kib() / 1024, plugin.fds()
                results[name] = r
            except Exception as e:  # noqa: BLE001 - one failing plugin must not hide the others' figures
                results[name] = {"error": repr(e)}
                say(f"  {name} failed: {e!r}")
                bench.sweep()
            finally:
                plugin.stop()
    finally:
        bench.sweep()
        with open(out_path, "w") as f:
            json.dump(results, f, indent=1, default=str)
    report(results)
    say(f"\nresults: {out_path}\nlogs: {workdir}")


def report(r):
    def f(x, unit="s"):
        return "-" if x is None or x != x else (f"{x * 1000:.0f} ms" if unit == "s" else f"{x:.2f}")
    rows = [d for d in ("bridge", "kuryrb", "kuryrpy") if d in r and "error" not in r[d]]
    say("\n== results (medians)")
    say(f"{'':28}" + "".join(f"{d:>14}" for d in rows))
    say(f"{'network create+rm':28}" + "".join(f"{f(r[d]['net']['create_rm_median_s']):>14}" for d in rows))
    say(f"{'docker run --rm true, cold':28}" + "".join(f"{f(r[d]['run']['cold_median_s']):>14}" for d in rows))
    say(f"{'docker run --rm true, warm':28}" + "".join(f"{f(r[d]['run']['warm_median_s']):>14}" for d in rows))
    say(f"--net none warm: {f(r['none']['run']['warm_median_s'])}")
    b = r["bridge"]
    for d in rows[1:]:
        say(f"ratio {d}/bridge: net create+rm {r[d]['net']['create_rm_median_s'] / b['net']['create_rm_median_s']:.1f}x,"
            f" run cold {r[d]['run']['cold_median_s'] / b['run']['cold_median_s']:.2f}x,"
            f" run warm {r[d]['run']['warm_median_s'] / b['run']['warm_median_s']:.2f}x")
        nc = r[d]["neutron_calls"]
        say(f"{d}: Neutron calls per lifecycle {nc['per_lifecycle_median']}, network create {nc['network_create_neutron']},"
            f" rm {nc['network_rm_neutron']}; RSS idle {r[d]['resources']['idle_rss_mib']:.1f} MiB, peak"
            f" {r[d]['peak_rss_mib_vmhwm']:.1f} MiB; CPU {r[d]['resources']['cpu_s_per_100_starts']:.2f} s/100 starts;"
            f" fds/lifecycle {r[d]['resources']['fds_per_lifecycle']:.3f} over {r[d]['resources']['lifecycles']}")
        for lvl, t in r[d]["throughput"].items():
            say(f"  x{lvl}: {t['starts_per_min']:.0f}/min ({t['failures']} failed) vs bridge"
                f" {b['throughput'].get(lvl, {}).get('starts_per_min', float('nan')):.0f}/min")
    if "kuryrb" in rows and "kuryrpy" in rows:
        a, u = r["kuryrb"], r["kuryrpy"]
        say(f"ratio kuryrb/kuryrpy: run warm {a['run']['warm_median_s'] / u['run']['warm_median_s']:.2f}x, Neutron calls"
            f" {a['neutron_calls']['per_lifecycle_median'] / u['neutron_calls']['per_lifecycle_median']:.2f}x")
    if "kuryrb" in rows:
        s = r["kuryrb"]["run"]["plugin_share"]
        say(f"kuryrb plugin share: {s['requests']} requests, overhead median {s['overhead_median_ms']:.1f} ms"
            f" (p90 {s['overhead_p90_ms']:.1f}, 1 ms log resolution), handler median {s['handler_median_ms']:.1f} ms,"
            f" Neutron wait median {s['neutron_wait_median_ms']:.1f} ms")
    for d in ("kuryrb", "kuryrpy"):
        if d in r and "error" in r[d]:
            say(f"{d}: FAILED {r[d]['error']}")


if __name__ == "__main__":
    main()
