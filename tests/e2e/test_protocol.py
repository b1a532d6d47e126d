"""The plugin protocol as dockerd speaks it, on the real daemon's unix socket: handshake, shapes and errors."""
import json
import os
import stat

import pytest

from conftest import PLUGIN_SOCK, plugin_call

CT = "application/vnd.docker.plugins.v1+json"


def call(path, body):
    status, headers, payload = plugin_call(path, json.dumps(body) if not isinstance(body, (bytes, str)) else body)
    return status, headers, json.loads(payload or b"{}")


def test_socket_is_root_only(daemon):
    st = os.stat(PLUGIN_SOCK)
    assert stat.S_ISSOCK(st.st_mode)
    assert st.st_uid == 0
    assert stat.S_IMODE(st.st_mode) & 0o077 == 0


def test_activate_and_capabilities(daemon):
    status, headers, body = call("/Plugin.Activate", b"")
    assert status == 200 and headers["content-type"].startswith(CT)
    assert sorted(body["Implements"]) == ["IpamDriver", "NetworkDriver"]
    status, _, body = call("/NetworkDriver.GetCapabilities", b"")
    assert status == 200 and body["Scope"] in ("local", "global")
    status, _, body = call("/IpamDriver.GetCapabilities", b"")
    assert status == 200 and body["RequiresMACAddress"] is True
    status, _, body = call("/IpamDriver.GetDefaultAddressSpaces", b"")
    assert status == 200 and set(body) >= {"LocalDefaultAddressSpace", "GlobalDefaultAddressSpace"}
    for path in ("/NetworkDriver.DiscoverNew", "/NetworkDriver.DiscoverDelete"):
        status, _, body = call(path, {"DiscoveryType": 1, "DiscoveryData": {}})
        assert status == 200 and body == {}


def test_unknown_uri_is_404(daemon):
    status, headers, body = call("/NetworkDriver.NoSuchThing", {})
    assert status == 404
    assert "Err" in body


@pytest.mark.parametrize("path,body", [
    ("/NetworkDriver.CreateNetwork", b"{not json"),
    ("/NetworkDriver.CreateNetwork", {"NetworkID": "short", "IPv4Data": [], "IPv6Data": [], "Options": {}}),
    ("/NetworkDriver.CreateEndpoint", {"NetworkID": "a" * 64, "EndpointID": "z" * 64, "Interface": {}}),
    ("/NetworkDriver.Join", {"NetworkID": "a" * 64, "EndpointID": "b" * 64, "SandboxKey": 42}),
    ("/IpamDriver.RequestPool", {"AddressSpace": "x", "Pool": "10.0.0.0/33", "SubPool": "", "V6": False}),
    ("/IpamDriver.RequestPool", {"AddressSpace": "x", "Pool": "", "SubPool": "10.1.0.0/24", "V6": False}),
    ("/IpamDriver.RequestAddress", {"PoolID": "p", "Address": "10.0.0.999", "Options": {}}),
    ("/IpamDriver.RequestAddress", {"PoolID": 7, "Address": "", "Options": {}}),
])
def test_bad_input_gets_a_400_with_err(daemon, path, body):
    status, headers, answer = call(path, body)
    assert status == 400, answer
    assert headers["content-type"].startswith(CT)
    assert isinstance(answer.get("Err"), str) and answer["Err"]


def test_oversized_body_is_refused(daemon):
    status, _, body = plugin_call("/NetworkDriver.CreateNetwork", b"{" + b" " * (4 * 1024 * 1024) + b"}")
    assert status == 413, body
    # ... and the daemon is still there.
    assert call("/Plugin.Activate", b"")[0] == 200


def test_unknown_network_gets_a_clear_error(daemon):
    status, _, body = call("/NetworkDriver.CreateEndpoint", {
        "NetworkID": "f" * 64, "EndpointID": "e" * 64, "Options": {},
        "Interface": {"Address": "10.99.0.5/24", "AddressIPv6": "", "MacAddress": "fa:16:3e:00:00:01"}})
    assert status == 404, body
    assert "f" * 12 in body["Err"] and "network" in body["Err"].lower(), body
