"""Black-box checks of the running `scripts/stack`: Keystone, Neutron binding to this host, DHCP.

Run with /usr/bin/python3 -m pytest; needs root and a stack that is up (skips otherwise)."""
import os
import shlex
import socket
import subprocess
import time
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
STACK = os.path.join(REPO, "scripts", "stack")
HOST = socket.gethostname()


def stack_env():
    try:
        out = subprocess.run([STACK, "env"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    env = {}
    for line in out.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            # The shell would expand "$PATH" in `export PATH=<rig bin>:$PATH` (the Kubernetes rig's line); so do we.
            env[key] = os.path.expandvars(shlex.split(value)[0]) if value else ""
    return env


ENV = stack_env()
pytestmark = pytest.mark.skipif(ENV is None or os.geteuid() != 0, reason="stack is not up (scripts/stack up) or not root")


@pytest.fixture(scope="module")
def conn():
    import openstack

    os.environ.update(ENV)
    return openstack.connect(cloud="kuryr-stack")


@pytest.fixture(scope="module")
def backend():
    return ENV["KURYR_STACK_BACKEND"]


def wait_until(what, fn, limit=60.0):
    # A generous bound so a broken stack fails instead of hanging; not a performance assertion.
    deadline = time.monotonic() + limit
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def test_keystone_token(conn):
    if ENV["KURYR_STACK_AUTH"] == "noauth":
        pytest.skip("stack runs without Keystone")
    token = conn.authorize()
    assert token
    assert conn.current_project["name"] == "service"


def test_default_subnetpools_are_shared(conn):
    v4 = conn.network.find_subnet_pool("kuryr")
    v6 = conn.network.find_subnet_pool("kuryr6")
    assert v4 is not None and v4.is_shared and v4.prefixes == ["10.10.0.0/16"] and v4.default_prefix_length == 24
    assert v6 is not None and v6.is_shared and v6.default_prefix_length == 64 and v6.ip_version == 6


def test_port_binds_and_turns_active(conn, backend):
    name = "stack-test-" + uuid.uuid4().hex[:8]
    made = []
    tap = peer = None
    try:
        net = conn.network.create_network(name=name)
        made.append(net)
        subnet = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.99.0.0/24", name=name)
        made.append(subnet)
        port = conn.network.create_port(network_id=net.id, name=name, binding_host_id=HOST,
                                        device_owner="compute:kuryr", device_id=str(uuid.uuid4()))
        made.append(port)
        assert port.binding_vif_type == ("ovs" if backend == "ovn" else "bridge")
        tap = "tap" + port.id[:11]
        peer = "t_c" + port.id[:11]
        sh("ip", "link", "add", tap, "type", "veth", "peer", "name", peer)
        if backend == "ovn":
            for key, val in (("arp_ignore", "8"), ("forwarding", "0")):
                sh("sysctl", "-qw", f"net.ipv4.conf.{tap}.{key}={val}")
            sh("sysctl", "-qw", f"net.ipv6.conf.{tap}.disable_ipv6=1")
            sh("ovs-vsctl", "add-port", "br-int", tap, "--", "set", "Interface", tap,
               f"external_ids:iface-id={port.id}", f"external_ids:attached-mac={port.mac_address}",
               "external_ids:iface-status=active", "external_ids:owner=kuryr")
        else:
            # The agent leaves compute-owned taps to the binding (os-vif in Nova, kuryr here): it only makes
            # brq<net> and its vxlan device. So plug the way kuryr's `bridge` hook does.
            brq = "brq" + net.id[:11]
            if subprocess.run(["ip", "link", "show", brq], capture_output=True).returncode != 0:
                subprocess.run(["ip", "link", "add", brq, "type", "bridge", "forward_delay", "0", "stp_state", "0"],
                               capture_output=True)
            sh("ip", "link", "set", brq, "up")
            sh("ip", "link", "set", tap, "master", brq)
        sh("ip", "link", "set", peer, "up")
        sh("ip", "link", "set", tap, "up")
        wait_until("port ACTIVE", lambda: conn.network.get_port(port.id).status == "ACTIVE")
        if backend != "ovn":
            links = subprocess.run(["ip", "-o", "link", "show", "master", brq], capture_output=True, text=True).stdout
            assert tap in links
            wait_until("vxlan device in " + brq, lambda: "vxlan-" in subprocess.run(
                ["ip", "-o", "link", "show", "master", brq], capture_output=True, text=True).stdout)
            dhcp = wait_until("network:dhcp port", lambda: list(conn.network.ports(
                network_id=net.id, device_owner="network:dhcp")))
            assert len(dhcp) == 1
        else:
            assert conn.network.get_network(net.id).mtu == 1442
    finally:
        if tap:
            if backend == "ovn":
                subprocess.run(["ovs-vsctl", "--if-exists", "del-port", "br-int", tap], capture_output=True)
            subprocess.run(["ip", "link", "delete", tap], capture_output=True)
        for obj in reversed(made):
            if obj.__class__.__name__ == "Port":
                conn.network.delete_port(obj, ignore_missing=True)
            elif obj.__class__.__name__ == "Subnet":
                conn.network.delete_subnet(obj, ignore_missing=True)
            else:
                conn.network.delete_network(obj, ignore_missing=True)
    assert conn.network.find_network(name) is None
