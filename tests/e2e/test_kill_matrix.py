"""Crash safety: SIGKILL the daemon at every fault point of the Docker call sequences for network create,
container start, container stop and network delete (a build with -Dfault_points=true), restart it as a
supervisor would, retry what Docker reported as failed, and check that kuryr left nothing behind in Neutron or
on the host for that case: no port, security group, subnet, subnetpool, network or tap.

Run under `flock /tmp/kuryr-e2e.lock`. Restarts run the start-up reconciliation, with reconcile_min_age short
enough for this test; a case whose leftovers are younger than that waits once and restarts again."""
import datetime
import os
import time

import pytest

from conftest import IMAGE, unique_name, wait_for
from reliability import RELIABILITY_PLUGIN, EnvDaemon, has_fault_points, kuryr_leftovers, orphan_networks

MIN_AGE = 20
BASE_CONF = "reconcile_on_startup = True\nreconcile_min_age = %d\n" % MIN_AGE
# points reached only with an option on
CASE_CONF = {"release_address.queued": "background_port_delete = True\n"}
# (step during which the point is reached, fault point). Every point that Docker's call sequence reaches with
# kuryr's IPAM; create_endpoint.port_created and delete_endpoint.port_deleted sit on the path of an endpoint
# without an IPAM port (another IPAM driver), which this sequence never takes.
MATRIX = [
    ("network create", "request_pool.pool_created"),
    ("network create", "create_network.network_created"),
    ("network create", "create_network.subnet_created"),
    ("container start", "request_address.port_created"),
    ("container start", "create_endpoint.port_bound"),
    ("container start", "create_endpoint.plugged"),
    ("container start", "program_external.sg_created"),
    ("container stop", "delete_endpoint.unplugged"),
    ("container stop", "release_address.port_deleted"),
    # with background_port_delete: Docker has its answer, the port's delete has not started
    ("container stop", "release_address.queued"),
    ("network delete", "release_pool.pool_deleted"),
    ("network delete", "delete_network.network_deleted"),
]
RESULTS = []


@pytest.fixture(scope="module")
def fault_daemon(stack_env, dclient, tmp_path_factory):
    if os.environ.get("KURYR_E2E_KILL_MATRIX") == "0":
        pytest.skip("KURYR_E2E_KILL_MATRIX=0: the kill matrix (about 8 minutes) was not asked for")
    d = EnvDaemon(stack_env["KURYR_STACK_CONF"], str(tmp_path_factory.mktemp("killmatrix")),
                  extra_conf=BASE_CONF)
    if not has_fault_points(d.binary):
        pytest.skip("kuryr-libnetwork was built without -Dfault_points=true")
    yield d
    d.stop()
    if RESULTS:
        print("\nkill matrix:")
        for r in RESULTS:
            print("  " + r)


def _docker_step(daemon, fn, what):
    """Runs one Docker operation; when the daemon was killed during it, restarts the daemon and retries once,
    as an operator (or Docker's own retry) would. Returns (value, killed)."""
    try:
        return fn(), daemon.died_by_sigkill()
    except Exception as first:  # noqa: BLE001 - any Docker error, judged below
        if not daemon.died_by_sigkill():
            raise AssertionError(f"{what} failed without a crash: {first}\n{daemon.log_tail()}") from first
    daemon.start(env={"KURYR_FAULT": None})
    return fn(), True


@pytest.mark.parametrize("step,point", MATRIX, ids=[p for _, p in MATRIX])
def test_kill_at(fault_daemon, dclient, neutron, step, point):
    idx = MATRIX.index((step, point))
    cidr = f"10.97.{idx + 1}.0/24"
    since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    t0 = time.monotonic()
    fault_daemon.stop()
    fault_daemon.configure(BASE_CONF + CASE_CONF.get(point, ""))
    fault_daemon.start(env={"KURYR_FAULT": point})
    net = container = None
    killed = False
    port_ids = set()
    try:
        import docker
        ipam = docker.types.IPAMConfig(driver=RELIABILITY_PLUGIN, pool_configs=[docker.types.IPAMPool(subnet=cidr)])
        name = unique_name("km")
        net, k = _docker_step(fault_daemon, lambda: dclient.networks.create(name, driver=RELIABILITY_PLUGIN, ipam=ipam),
                              "network create")
        killed |= k
        cname = unique_name("kmc")

        def start():
            try:
                old = dclient.containers.get(cname)
                old.remove(force=True)
            except docker.errors.NotFound:
                pass
            return dclient.containers.run(IMAGE, ["sleep", "600"], network=net.name, detach=True, name=cname,
                                          ports={"80/tcp": None})
        container, k = _docker_step(fault_daemon, start, "container start")
        killed |= k
        port_ids |= {p.id for p in neutron.ports(device_owner="compute:kuryr")
                     if any(ip["ip_address"].startswith(cidr.rsplit(".", 1)[0] + ".") for ip in p.fixed_ips)}
        _, k = _docker_step(fault_daemon, lambda: container.remove(force=True) or True, "container stop")
        killed |= k
        container = None
        _, k = _docker_step(fault_daemon, lambda: net.remove() or True, "network delete")
        killed |= k
        net = None
    finally:
        if fault_daemon.proc is None or fault_daemon.proc.poll() is not None:
            fault_daemon.start(env={"KURYR_FAULT": None})
        for obj in (container, net):
            try:
                if obj is not None:
                    obj.remove(force=True) if obj is container else obj.remove()
            except Exception:  # noqa: BLE001 - the checks below report what stayed
                pass
    left = kuryr_leftovers(neutron, cidr, port_ids)
    nets = orphan_networks(neutron, dclient, since)
    if nets:
        left["networks"] = nets
    needed_reconcile = bool(left)
    if left:
        # what a crash left is younger than reconcile_min_age: wait until it is not, then restart once
        time.sleep(max(0.0, MIN_AGE + 2 - (time.monotonic() - t0)))
        fault_daemon.stop()
        fault_daemon.start(env={"KURYR_FAULT": None})
        left = kuryr_leftovers(neutron, cidr, port_ids)
        nets = orphan_networks(neutron, dclient, since)
        if nets:
            left["networks"] = nets
    RESULTS.append(f"{point:38s} killed={killed!s:5s} reconcile_needed={needed_reconcile!s:5s} "
                   f"clean={not left} ({time.monotonic() - t0:.1f} s)")
    assert killed, f"fault point {point} was never reached during {step}"
    assert not left, f"left behind after a kill at {point}: {left}\n{fault_daemon.log_tail(60)}"
