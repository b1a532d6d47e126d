"""Neutron's own time per request kind, read from neutron-server's access log lines
('... "PUT /v2.0/ports/<id> HTTP/1.1" status: 200  len: 1234 time: 0.3512'), between two log offsets: what a
container start cannot be faster than, whatever the plugin does. Usable alone:
    neutron_times.py /var/lib/kuryr-stack/logs/neutron-server.log [from_offset [to_offset]]"""
import re
import statistics
import sys

LINE = re.compile(r'"(GET|POST|PUT|DELETE) (/v2\.0/[^ ?"]+)(\?[^ "]*)? HTTP/1\.[01]" status: (\d+)\s+len: \d+ '
                  r'time: ([\d.]+)')
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def offset(path):
    try:
        with open(path, "rb") as f:
            return f.seek(0, 2)
    except OSError:
        return 0


def times(path, start=0, end=None):
    """{"PUT /v2.0/ports/{id}": [seconds, ...], ...}; a list query keeps a trailing '?'."""
    out = {}
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read((end - start) if end is not None else -1).decode(errors="replace")
    except OSError:
        return out
    for m in LINE.finditer(data):
        method, url, query, _status, secs = m.groups()
        kind = f"{method} {UUID.sub('{id}', url)}{'?' if query else ''}"
        out.setdefault(kind, []).append(float(secs))
    return out


def medians_ms(t):
    return {k: {"n": len(v), "median_ms": statistics.median(v) * 1000}
            for k, v in sorted(t.items(), key=lambda kv: -statistics.median(kv[1]))}


if __name__ == "__main__":
    a = sys.argv[1:]
    for kind, v in medians_ms(times(a[0], int(a[1]) if len(a) > 1 else 0,
                                    int(a[2]) if len(a) > 2 else None)).items():
        print(f"{kind:45s} n {v['n']:4d}  median {v['median_ms']:7.1f} ms")
