"""kuryrctl against the real stack and a running daemon, and the daemon's log telling one container's story
by its endpoint id.

kuryrctl's exit code may be 1 on the shared stack when other runs left orphans behind: the tests check
their own rows, and 0/1 versus 2/3."""
import json
import os
import subprocess

import pytest

from conftest import BUILD, PLUGIN_SOCK, kuryr_network, run_busybox

KURYRCTL = os.environ.get("KURYRCTL_BIN") or os.path.join(BUILD, "kuryrctl", "kuryrctl")


def kuryrctl(stack_env, *args):
    if not os.path.exists(KURYRCTL):
        pytest.skip("kuryrctl is not built")
    cmd = [KURYRCTL, "--config-file", stack_env["KURYR_STACK_CONF"], "--socket", PLUGIN_SOCK, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def rows(stack_env, *args, ok_codes=(0, 1)):
    rc, out, err = kuryrctl(stack_env, "--json", *args)
    assert rc in ok_codes, f"kuryrctl {args}: exit {rc}\n{err}"
    return json.loads(out)


def by_check(result):
    return {r["check"]: r for r in result}


def test_status(daemon, stack_env):
    checks = by_check(rows(stack_env, "status", ok_codes=(0,)))
    assert checks["daemon"]["ok"] and "NetworkDriver" in checks["daemon"]["detail"]
    assert checks["keystone"]["ok"]
    assert checks["neutron"]["ok"]
    assert checks["extension standard-attr-tag"]["ok"]


def test_status_table_and_unreachable_daemon(daemon, stack_env):
    rc, out, _ = kuryrctl(stack_env, "status")
    assert rc == 0
    assert out.splitlines()[0].split() == ["CHECK", "OK", "DETAIL", "FIX"]
    rc, out, _ = kuryrctl(stack_env, "--socket", "/run/docker/plugins/kuryr-absent.sock", "status")
    assert rc == 3
    assert "kuryr-libnetwork" in out  # the suggested fix


def test_networks_and_ports_map_docker_to_neutron(daemon, stack_env, dclient, neutron, cleanup):
    net = kuryr_network(dclient, cleanup, subnet="10.214.1.0/24")
    c = run_busybox(dclient, cleanup, net)
    c.reload()
    ep = c.attrs["NetworkSettings"]["Networks"][net.name]["EndpointID"]
    env = stack_env
    nets = [r for r in rows(env, "networks") if r["docker_id"] == net.id[:12]]
    assert len(nets) == 1 and nets[0]["state"] == "ok"
    nnet = neutron.get_network(nets[0]["neutron_id"])
    assert f"kuryr.net.uuid.lh:{net.id[:32]}" in nnet.tags
    ports = [r for r in rows(env, "ports") if r["endpoint_id"] == ep[:12]]
    assert len(ports) == 1 and ports[0]["state"] == "ok"
    assert ports[0]["container"] == c.name
    port = neutron.get_port(ports[0]["port_id"])
    assert port.device_id == ep
    assert ports[0]["ip"].startswith("10.214.1.")


def test_gc_dry_run_leaves_live_objects(daemon, stack_env, dclient, neutron, cleanup):
    net = kuryr_network(dclient, cleanup, subnet="10.214.2.0/24")
    c = run_busybox(dclient, cleanup, net)
    rc, out, err = kuryrctl(stack_env, "--json", "gc", "--dry-run")
    assert rc == 0, err
    report = json.loads(out)
    assert report["dry_run"] is True
    nnet = [r for r in rows(stack_env, "networks") if r["docker_id"] == net.id[:12]][0]["neutron_id"]
    listed = {o["id"] for kind in ("networks", "ports", "subnets") for o in report.get(kind, [])}
    assert nnet not in listed
    assert neutron.get_network(nnet) is not None
    c.reload()
    assert c.status == "running"


def test_doctor(daemon, stack_env):
    checks = by_check(rows(stack_env, "doctor"))
    assert checks["plugin socket"]["ok"], checks["plugin socket"]
    assert checks["kernel bridge"]["ok"] and checks["kernel veth"]["ok"]
    assert checks["agents"]["ok"], checks["agents"]
    for r in checks.values():
        assert r["ok"] or r["fix"], f"a problem without a suggested fix: {r}"


def test_one_containers_story_greps_by_endpoint_id(daemon, dclient, cleanup):
    net = kuryr_network(dclient, cleanup, subnet="10.214.3.0/24")
    c = run_busybox(dclient, cleanup, net)
    c.reload()
    ep = c.attrs["NetworkSettings"]["Networks"][net.name]["EndpointID"]
    c.remove(force=True)
    with open(daemon.log_path, errors="replace") as f:
        story = [line for line in f if f"ep={ep}" in line]
    text = "".join(story)
    for step in ("CreateEndpoint", "Join", "Leave", "DeleteEndpoint"):
        assert f"/NetworkDriver.{step} " in text, f"no {step} line carries ep={ep}:\n{text}"
    # the port id follows the endpoint through its lines, so the Neutron side can be grepped too
    assert any(" port=" in line for line in story), text
