"""What deleting a released port before ReleaseAddress answers (the default) costs a container's stop, against
[DEFAULT] background_port_delete = True (answer first, delete right after): `docker network disconnect` and
`docker rm -f` timed with the docker CLI, as a user runs them, on the stack from scripts/stack.

Two Kuryr-C daemons run side by side ("<name>s" deletes before answering, "<name>a" in the background), each
with a network of its own; the runs alternate between them so that load from elsewhere on the machine falls
on both alike. Each run: one busybox started on the kuryr network is disconnected from it (timed), another is
removed with rm -f (timed). Prints the medians and writes JSON.

(The containers have the kuryr network as their only one: Docker 20.10's `rm -f` of a container that was
`docker network connect`ed to a remote-driver network as a second network returns without releasing that
endpoint at all; it stays in Docker as a stale endpoint until `docker network disconnect -f`.)

    eval "$(scripts/stack env)"; /usr/bin/python3 bench/stoppath.py [--runs 15] [--name kstop] [--binary PATH]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemons import TOP, KuryrC  # noqa: E402

IMAGE = os.environ.get("KURYR_STACK_IMAGE", "busybox:latest")


def docker(*args):
    subprocess.run(["docker", *args], check=True, capture_output=True, text=True)


def timed(*args):
    t0 = time.monotonic()
    docker(*args)
    return time.monotonic() - t0


def one_run(net):
    a, b = ("ks-" + uuid.uuid4().hex[:8] for _ in range(2))
    try:
        docker("run", "-d", "--name", a, "--network", net, IMAGE, "sleep", "600")
        disconnect = timed("network", "disconnect", net, a)
        docker("run", "-d", "--name", b, "--network", net, IMAGE, "sleep", "600")
        rm = timed("rm", "-f", b)
        return disconnect, rm
    finally:
        subprocess.run(["docker", "rm", "-f", a, b], capture_output=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15, help="runs per mode (default 15)")
    ap.add_argument("--name", default="kstop", help="plugin name prefix (sockets /run/docker/plugins/<name>[sa].sock)")
    ap.add_argument("--binary", default=os.environ.get("KURYR_LIBNETWORK_BIN",
                                                       os.path.join(TOP, "build", "libnetwork", "kuryr-libnetwork")))
    ap.add_argument("--out", default=f"/tmp/kuryr-stoppath-{int(time.time())}.json")
    args = ap.parse_args()
    stack_conf = os.environ.get("KURYR_STACK_CONF")
    if not stack_conf:
        sys.exit("the stack's environment is not loaded: eval \"$(scripts/stack env)\"")
    work = tempfile.mkdtemp(prefix="kuryr-stoppath-")
    modes = {"sync": KuryrC(work, stack_conf, args.binary, name=args.name + "s"),
             "background": KuryrC(work, stack_conf, args.binary, name=args.name + "a",
                                  extra_default="background_port_delete = True\n")}
    nets = {}
    times = {m: {"disconnect": [], "rm": []} for m in modes}
    try:
        for i, (mode, d) in enumerate(modes.items()):
            d.start()
            net = f"ks-{mode}-{uuid.uuid4().hex[:6]}"
            docker("network", "create", "-d", d.name, "--ipam-driver", d.name, "--subnet", f"10.64.{i + 1}.0/24", net)
            nets[mode] = net
            one_run(net)  # warm-up: the network's first port, caches
        for r in range(args.runs):
            for mode in (modes if r % 2 == 0 else reversed(list(modes))):
                disconnect, rm = one_run(nets[mode])
                times[mode]["disconnect"].append(disconnect)
                times[mode]["rm"].append(rm)
    finally:
        for net in nets.values():
            subprocess.run(["docker", "network", "rm", net], capture_output=True)
        for d in modes.values():
            d.stop()
    result = {m: {k: {"median_s": statistics.median(v), "runs": v} for k, v in t.items()} for m, t in times.items()}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"{'':12s}{'disconnect (median)':>22s}{'rm -f (median)':>18s}   runs: {args.runs} per mode")
    for m in modes:
        print(f"{m:12s}{result[m]['disconnect']['median_s']:20.3f} s{result[m]['rm']['median_s']:16.3f} s")
    for k in ("disconnect", "rm"):
        d = result["sync"][k]["median_s"] - result["background"][k]["median_s"]
        print(f"deleting before the answer adds {d * 1000:+.0f} ms to {k} ({d / result['background'][k]['median_s']:+.0%})")
    print(f"logs in {work}, JSON in {args.out}")


if __name__ == "__main__":
    main()
