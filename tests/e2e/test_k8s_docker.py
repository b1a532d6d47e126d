"""Docker and Kubernetes on one Neutron network (issue 20 item 6), black-box on the real services.

The rig runs Kuryr-C's CNI (scripts/stack up --k8s): its pods live on the Neutron network kuryr-k8s-pods. A Docker
network made by kuryr-libnetwork on that existing network (`-o neutron.net.uuid=<it>`, IPAM `neutron.subnet.uuid`)
puts a container on it; the container and a pod then ping each other. The container's port is given the pods'
security group (the project's default group admits only its own members), as an operator would.

Skipped unless the rig runs Kuryr-C (KURYR_K8S_CNI=kuryr, from `scripts/stack env`); the k8s round runs it."""
import json
import os
import subprocess

import pytest

from conftest import kuryr_network, ping, run_busybox, unique_name, wait_for

pytestmark = pytest.mark.skipif(os.environ.get("KURYR_K8S_CNI") != "kuryr",
                                reason="the Kubernetes rig does not run Kuryr-C's CNI")
POD_NET = "kuryr-k8s-pods"


def kubectl(*args, stdin=None):
    kubectl_bin = os.path.join(os.environ["KURYR_K8S_BIN"], "kubectl")
    r = subprocess.run([kubectl_bin, *args], input=stdin, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"kubectl {' '.join(args)}: {r.stderr}"
    return r.stdout


@pytest.fixture
def namespace():
    ns = unique_name("kuryr-docker-k8s")
    kubectl("create", "namespace", ns)
    yield ns
    kubectl("delete", "namespace", ns, "--wait=true", "--timeout=300s")


def test_container_and_pod_on_one_network(daemon, dclient, neutron, cleanup, namespace):
    net = neutron.find_network(POD_NET)
    assert net is not None, "no pod network in Neutron"
    subnet = next(iter(neutron.subnets(network_id=net.id)))
    sg = next(iter(neutron.security_groups(name=POD_NET)))

    dnet = kuryr_network(dclient, cleanup, subnet=subnet.cidr, gateway=subnet.gateway_ip,
                         options={"neutron.net.uuid": net.id}, ipam_options={"neutron.subnet.uuid": subnet.id})
    container = run_busybox(dclient, cleanup, dnet)
    container.reload()
    c_ip = container.attrs["NetworkSettings"]["Networks"][dnet.name]["IPAddress"]
    port = next(iter(neutron.ports(network_id=net.id, fixed_ips=[f"ip_address={c_ip}"])))
    neutron.update_port(port, security_group_ids=list(port.security_group_ids) + [sg.id])
    wait_for(lambda: neutron.get_port(port.id).status == "ACTIVE", 120, what="the container's port ACTIVE")

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pinger", "namespace": namespace},
           "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
               "name": "busybox", "image": os.environ["KURYR_K8S_BUSYBOX_IMAGE"], "imagePullPolicy": "Never",
               "command": ["sleep", "3600"]}]}}
    kubectl("apply", "-f", "-", stdin=json.dumps(pod))
    kubectl("-n", namespace, "wait", "--for=condition=Ready", "pod/pinger", "--timeout=300s")
    p_ip = kubectl("-n", namespace, "get", "pod", "pinger", "-o", "jsonpath={.status.podIP}")
    assert any(p.fixed_ips[0]["ip_address"] == p_ip for p in neutron.ports(network_id=net.id)), \
        "the pod's address is no port of the pod network"

    ok, out = ping(container, p_ip)
    assert ok, f"container -> pod {p_ip}: {out}"
    r = subprocess.run([os.path.join(os.environ["KURYR_K8S_BIN"], "kubectl"), "-n", namespace, "exec", "pinger",
                        "--", "ping", "-c", "3", "-W", "2", c_ip], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"pod -> container {c_ip}: {r.stdout}{r.stderr}"
