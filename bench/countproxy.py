"""A forward HTTP proxy on 127.0.0.1 that counts the requests passing through it, per target port and per
"METHOD /path" with ids folded to {id}. Both daemons reach Keystone and Neutron through it when started with
http_proxy pointing here (libcurl and python-requests both honour that variable), so their counts compare."""
import http.client
import http.server
import re
import threading
import urllib.parse
from collections import Counter

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


def template(method, path):
    return f"{method} {UUID.sub('{id}', urllib.parse.urlsplit(path).path)}"


class CountingProxy:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()
        self.by_port = Counter()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                url = urllib.parse.urlsplit(self.path)
                if not url.hostname:
                    self.send_error(400, "absolute URI expected")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                target = url.path + (f"?{url.query}" if url.query else "")
                conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=300)
                try:
                    conn.request(self.command, target, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                finally:
                    conn.close()
                with proxy.lock:
                    proxy.counts[(url.port, template(self.command, url.path))] += 1
                    proxy.by_port[url.port] += 1
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self):
        with self.lock:
            return Counter(self.counts), Counter(self.by_port)
