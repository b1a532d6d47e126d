"""kuryr-cni's own cost per pod operation: exec to result, with a stand-in kuryr-daemon on a unix socket that
answers at once (so the figure is the plugin's: process start, shared libraries, stdin, one HTTP request over
the socket, the result conversion and stdout). Each run executes the plugin for ADD then DEL (spec 1.0.0, the
version containerd 1.6 uses); VERSION (no daemon contact) and /bin/true are timed alongside as floors.
Prints the medians and p99s in milliseconds and writes JSON.

    /usr/bin/python3 bench/cni_overhead.py [--runs 300] [--binary build/cni/kuryr-cni] [--json out.json]
"""
import argparse
import http.server
import json
import os
import socketserver
import statistics
import subprocess
import tempfile
import threading
import time

ANSWER = json.dumps({
    "interfaces": [{"name": "eth0", "mac": "fa:16:3e:00:00:01", "mtu": 1450, "sandbox": "/run/netns/x"}],
    "ips": [{"address": "10.99.0.5/24", "gateway": "10.99.0.1", "interface": 0}],
    "routes": [{"dst": "0.0.0.0/0", "gw": "10.99.0.1"}], "dns": {}}).encode()


class StandIn(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/addNetwork":
            self.send_response(202)
            self.send_header("Content-Length", str(len(ANSWER)))
            self.end_headers()
            self.wfile.write(ANSWER)
        else:
            self.send_response(204)
            self.end_headers()

    def address_string(self):
        return "unix"

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def timed(argv, env, stdin):
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, input=stdin, stdout=subprocess.PIPE, check=False)
    dt = (time.perf_counter() - t0) * 1000
    if p.returncode != 0:
        raise SystemExit(f"{argv[0]} {env.get('CNI_COMMAND')} failed: {p.stdout!r}")
    return dt


def summary(xs):
    xs = sorted(xs)
    return {"p50_ms": round(statistics.median(xs), 3), "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))], 3)}


def main():
    ap = argparse.ArgumentParser()
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--binary", default=os.path.join(top, "build", "cni", "kuryr-cni"))
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--json")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="kuryr-cni-bench-")
    sock = os.path.join(work, "cni.sock")
    srv = Server(sock, StandIn)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    conf = json.dumps({"cniVersion": "1.0.0", "name": "kuryr", "type": "kuryr-cni",
                       "daemon_socket": sock}).encode()
    base = {"CNI_CONTAINERID": "bench0001", "CNI_NETNS": "/run/netns/x", "CNI_IFNAME": "eth0",
            "CNI_PATH": os.path.dirname(a.binary), "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=b;K8S_POD_NAME=p"}
    res = {"add": [], "del": [], "version": [], "true": []}
    try:
        for _ in range(a.runs):
            res["add"].append(timed([a.binary], dict(base, CNI_COMMAND="ADD"), conf))
            res["del"].append(timed([a.binary], dict(base, CNI_COMMAND="DEL"), conf))
            res["version"].append(timed([a.binary], {"CNI_COMMAND": "VERSION"}, b'{"cniVersion":"1.0.0"}'))
            res["true"].append(timed(["/bin/true"], {}, b""))
    finally:
        srv.shutdown()
        srv.server_close()
        os.unlink(sock)
        os.rmdir(work)
    out = {k: summary(v) for k, v in res.items()}
    out["runs"] = a.runs
    for k in ("add", "del", "version", "true"):
        print(f"{k:8s} p50 {out[k]['p50_ms']:7.3f} ms   p99 {out[k]['p99_ms']:7.3f} ms")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
