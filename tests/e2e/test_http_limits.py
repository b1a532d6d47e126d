"""Hostile HTTP on the plugin's listeners: oversized bodies and headers, malformed requests, slow clients
(slowloris), too many connections, and the optional TLS listener with a self-signed certificate. After each,
the daemon must still answer. Uses its own socket and no Neutron objects (Plugin.Activate needs no Neutron)."""
import os
import socket
import ssl
import subprocess

import pytest

from conftest import plugin_call, wait_for
from reliability import RELIABILITY_SOCK, EnvDaemon

MAX_BODY = 4096


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def limited(stack_env, tmp_path_factory):
    work = str(tmp_path_factory.mktemp("limits"))
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    port = _free_port()
    d = EnvDaemon(stack_env["KURYR_STACK_CONF"], work, extra_conf=(
        f"reconcile_on_startup = False\nmax_request_body = {MAX_BODY}\nmax_connections = 8\nrequest_timeout = 3\n"
        f"kuryr_uri = https://127.0.0.1:{port}\nenable_ssl = True\nssl_cert_file = {cert}\nssl_key_file = {key}\n"))
    d.start()
    d.port, d.cert = port, cert
    yield d
    d.stop()


def _raw(data, timeout=30):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(RELIABILITY_SOCK)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                c = s.recv(65536)
            except ConnectionResetError:
                break
            if not c:
                break
            out += c
        return out
    finally:
        s.close()


def _alive(d):
    assert d.proc.poll() is None, d.log_tail()
    assert plugin_call("/Plugin.Activate", b"", RELIABILITY_SOCK)[0] == 200


def test_body_too_large_is_413(limited):
    status, _, body = plugin_call("/NetworkDriver.CreateNetwork", b"{" + b" " * (MAX_BODY * 4) + b"}", RELIABILITY_SOCK)
    assert status == 413, body
    _alive(limited)


def test_malformed_http_is_400(limited):
    # A request line that is not HTTP at all gets the connection closed (libmicrohttpd answers nothing it
    # cannot frame); an HTTP request it can read but not accept gets its status.
    assert _raw(b"GARBAGE\r\n\r\n") == b""
    for junk, status in ((b"POST /Plugin.Activate HTTP/9.9\r\n\r\n", b"505"),
                         (b"POST /Plugin.Activate HTTP/1.1\r\nContent-Length: -5\r\nHost: x\r\n\r\n", b"400")):
        answer = _raw(junk)
        assert answer.split(b" ")[1:2] == [status], answer[:200]
    _alive(limited)


def test_huge_header_is_refused(limited):
    answer = _raw(b"POST /Plugin.Activate HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
    assert answer.split(b" ")[1:2] in ([b"400"], [b"413"], [b"431"]), answer[:200]
    _alive(limited)


def test_slow_client_is_dropped(limited):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(RELIABILITY_SOCK)
    try:
        s.sendall(b"POST /Plugin.Activate HTTP/1.1\r\nHost: x\r\n")  # and never finishes the headers
        assert s.recv(100) == b"", "the server closes a connection that stays incomplete past request_timeout"
    finally:
        s.close()
    _alive(limited)


def _closed_by_server(s):
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _over_the_limit():
    """Holds max_connections (8) idle connections and sends a request on a ninth. Returns what the ninth got and
    whether the server had meanwhile timed out one of the held ones (request_timeout is 3 s: on a loaded machine
    that can happen before the ninth is read, and then it is rightly served)."""
    held = []
    try:
        for _ in range(8):
            s = socket.socket(socket.AF_UNIX)
            s.connect(RELIABILITY_SOCK)
            held.append(s)
        extra = socket.socket(socket.AF_UNIX)
        extra.settimeout(30)
        extra.connect(RELIABILITY_SOCK)  # the kernel accepts it into the backlog; the server drops it
        try:
            # the server may close it before the request is even written: a broken pipe is the same refusal
            extra.sendall(b"POST /Plugin.Activate HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            got = extra.recv(100)
        except (ConnectionResetError, BrokenPipeError):
            got = b""
        extra.close()
        return got, any(_closed_by_server(s) for s in held)
    finally:
        for s in held:
            s.close()


def _serves():
    # the server frees the slots once its threads see the closes: poll until it does
    try:
        return plugin_call("/Plugin.Activate", b"", RELIABILITY_SOCK)[0] == 200
    except OSError:
        return False


def test_connection_limit_holds_and_recovers(limited):
    for _ in range(3):
        wait_for(_serves, 60, what="the daemon to serve with every slot free")
        got, slot_freed = _over_the_limit()
        if not slot_freed:
            break
    assert not slot_freed, "a held connection timed out before the ninth was read, three times over"
    assert got == b"", "a connection over max_connections is closed unanswered"
    wait_for(_serves, 60, what="the daemon to serve again after the held connections closed")
    _alive(limited)


def test_tls_listener_with_self_signed_cert(limited):
    ctx = ssl.create_default_context(cafile=limited.cert)
    with socket.create_connection(("127.0.0.1", limited.port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"POST /Plugin.Activate HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                c = s.recv(4096)
                if not c:
                    break
                data += c
    assert data.split(b" ")[1] == b"200" and b"NetworkDriver" in data
    # verification is on by default in clients: an unknown CA is refused
    with socket.create_connection(("127.0.0.1", limited.port), timeout=30) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")
    _alive(limited)
