#!/usr/bin/python3
"""kuryr-volume figures for docs/benchmarks.md: daemon RSS, and the latency of Create, first Mount (attach, loop
device, mkfs, mount), re-Mount (no mkfs), Unmount and Remove, through the plugin socket against the stack's real
Cinder. Needs `scripts/stack up --cinder`, the stack's environment and a build (KURYR_BUILD_DIR).

    bench/volume.py [N]      N volumes (default 5); prints one line per figure (median, min, max)"""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from volumes import VolumeDaemon, call, unique  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def timed(path, body):
    t0 = time.monotonic()
    status, reply = call(path, body)
    took = time.monotonic() - t0
    if status != 200:
        sys.exit(f"{path} {body}: {status} {reply}")
    return took


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if os.environ.get("KURYR_STACK_CINDER") != "1":
        sys.exit("the stack does not run Cinder: scripts/stack up --cinder; eval \"$(scripts/stack env)\"")
    work = tempfile.mkdtemp(prefix="kv-bench-")
    d = VolumeDaemon(os.environ["KURYR_STACK_CONF"], work)
    d.start()
    rss_idle = rss_kib(d.proc.pid)
    names = [unique("kvb") for _ in range(n)]
    figures = {k: [] for k in ("Create", "Mount (first: attach, loop, mkfs, mount)", "Unmount",
                               "Mount again (no mkfs)", "Remove")}
    try:
        for name in names:
            figures["Create"].append(timed("/VolumeDriver.Create", {"Name": name, "Opts": {"size": "1"}}))
            figures["Mount (first: attach, loop, mkfs, mount)"].append(
                timed("/VolumeDriver.Mount", {"Name": name, "ID": "b1"}))
            figures["Unmount"].append(timed("/VolumeDriver.Unmount", {"Name": name, "ID": "b1"}))
            figures["Mount again (no mkfs)"].append(timed("/VolumeDriver.Mount", {"Name": name, "ID": "b2"}))
            timed("/VolumeDriver.Unmount", {"Name": name, "ID": "b2"})
        rss_after = rss_kib(d.proc.pid)
        for name in names:
            figures["Remove"].append(timed("/VolumeDriver.Remove", {"Name": name}))
    finally:
        for name in names:
            call("/VolumeDriver.Remove", {"Name": name})
        d.stop()
    print(f"kuryr-volume RSS: {rss_idle / 1024:.1f} MiB idle, {rss_after / 1024:.1f} MiB after {n} volumes")
    for what, xs in figures.items():
        print(f"{what:45} median {statistics.median(xs):.2f} s  min {min(xs):.2f}  max {max(xs):.2f}  (n={len(xs)})")


if __name__ == "__main__":
    main()
