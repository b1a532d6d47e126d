#!/usr/bin/python3
"""Idempotent identity and network bootstrap for scripts/stack.

Keystone: a `service` project, a `neutron` user (token validation) and a `kuryr` user, both with the admin
role there (binding:host_id needs admin). Cinder (stack up --cinder): a `cinder` user and the volumev3
endpoints. Neutron: shared default subnetpools `kuryr` and `kuryr6`. Kubernetes with Kuryr-C's CNI (stack up
--k8s): the pod network, subnet and security group (k8s-pods), removed again with their ports (k8s-pods-down).
Passwords come from the environment, never from argv, and are never printed."""
import datetime
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request

KEYSTONE = "http://127.0.0.1:5000/v3"
NEUTRON = "http://127.0.0.1:9696/v2.0"
CINDER = "http://127.0.0.1:8776/v3"
NOAUTH_PROJECT = "kuryr-stack"


def call(method, url, token=None, body=None, want_headers=False):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(req, timeout=60) as resp:
        raw = resp.read()
        doc = json.loads(raw) if raw else {}
        return (doc, resp.headers) if want_headers else doc


def admin_token():
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": os.environ["STACK_ADMIN_PASSWORD"]}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    _, headers = call("POST", KEYSTONE + "/auth/tokens", body=body, want_headers=True)
    return headers["X-Subject-Token"]


def find_one(token, url, key):
    items = call("GET", url, token)[key]
    return items[0] if items else None


def ensure_user(token, name, password, project_id, role_id):
    user = find_one(token, f"{KEYSTONE}/users?name={name}&domain_id=default", "users")
    if user is None:
        user = call("POST", KEYSTONE + "/users", token, {"user": {
            "name": name, "password": password, "domain_id": "default", "default_project_id": project_id}})["user"]
    else:
        call("PATCH", f"{KEYSTONE}/users/{user['id']}", token, {"user": {"password": password}})
    call("PUT", f"{KEYSTONE}/projects/{project_id}/users/{user['id']}/roles/{role_id}", token)


def keystone():
    token = admin_token()
    project = find_one(token, KEYSTONE + "/projects?name=service&domain_id=default", "projects")
    if project is None:
        project = call("POST", KEYSTONE + "/projects", token, {"project": {
            "name": "service", "domain_id": "default", "description": "kuryr stack service users"}})["project"]
    role = find_one(token, KEYSTONE + "/roles?name=admin", "roles")
    ensure_user(token, "neutron", os.environ["STACK_NEUTRON_PASSWORD"], project["id"], role["id"])
    ensure_user(token, "kuryr", os.environ["STACK_KURYR_PASSWORD"], project["id"], role["id"])
    ensure_endpoints(token, "neutron", "network", "http://127.0.0.1:9696")


def ensure_endpoints(token, name, stype, url):
    service = find_one(token, f"{KEYSTONE}/services?type={stype}", "services")
    if service is None:
        service = call("POST", KEYSTONE + "/services", token, {"service": {
            "name": name, "type": stype, "enabled": True}})["service"]
    endpoints = call("GET", f"{KEYSTONE}/endpoints?service_id={service['id']}", token)["endpoints"]
    have = {e["interface"] for e in endpoints}
    for iface in ("public", "internal", "admin"):
        if iface not in have:
            call("POST", KEYSTONE + "/endpoints", token, {"endpoint": {
                "service_id": service["id"], "interface": iface, "url": url,
                "region_id": "RegionOne", "enabled": True}})


def cinder():
    """A `cinder` user (token validation) with the admin role in `service`, and the volumev3 endpoints."""
    token = admin_token()
    project = find_one(token, KEYSTONE + "/projects?name=service&domain_id=default", "projects")
    role = find_one(token, KEYSTONE + "/roles?name=admin", "roles")
    ensure_user(token, "cinder", os.environ["STACK_CINDER_PASSWORD"], project["id"], role["id"])
    ensure_endpoints(token, "cinderv3", "volumev3", "http://127.0.0.1:8776/v3/%(project_id)s")


def cinder_pool():
    """Waits until the NFS back end has reported a pool with free space to the scheduler."""
    timeout = int(os.environ.get("STACK_CINDER_POOL_WAIT", "120"))
    token = admin_token()
    project = find_one(token, KEYSTONE + "/projects?name=admin&domain_id=default", "projects")
    deadline = time.monotonic() + timeout
    while True:
        try:
            pools = call("GET", f"{CINDER}/{project['id']}/scheduler-stats/get_pools?detail=true", token)["pools"]
        except (urllib.error.URLError, ConnectionError):
            pools = []
        if any(p.get("capabilities", {}).get("free_capacity_gb", 0) for p in pools):
            return
        if time.monotonic() > deadline:
            sys.exit(f"bootstrap: no Cinder pool with free space after {timeout}s")
        time.sleep(1)


def neutron(auth):
    token = admin_token() if auth == "keystone" else None
    pools = [("kuryr", 4, "10.10.0.0/16", 24), ("kuryr6", 6, "fd00:6b75:7279::/48", 64)]
    for name, _, prefix, length in pools:
        if find_one(token, f"{NEUTRON}/subnetpools?name={name}", "subnetpools"):
            continue
        body = {"subnetpool": {"name": name, "prefixes": [prefix], "default_prefixlen": length,
                               "shared": True}}
        if auth != "keystone":
            # Without Keystone the request carries no project; neutron still wants an owner.
            body["subnetpool"]["project_id"] = NOAUTH_PROJECT
        call("POST", NEUTRON + "/subnetpools", token, body)
    if os.environ.get("STACK_BACKEND") == "ovn":
        wait_agents(token, {"OVN Controller agent"}, restarted=False)
    else:
        wait_agents(token, {"Linux bridge agent", "DHCP agent"})


POD_NAME = "kuryr-k8s-pods"


def service_project(token):
    if token is None:
        return NOAUTH_PROJECT
    return find_one(token, KEYSTONE + "/projects?name=service&domain_id=default", "projects")["id"]


def k8s_pods(auth):
    """The pod network of the rig's Kuryr-C, in the kuryr user's project (the controller's): network, subnet
    (STACK_POD_CIDR, no DHCP: pods get their addresses from their ports) and a security group admitting
    everything from the pod subnet (pods, the node port, Docker containers on the same network). Idempotent.
    Prints "network_id subnet_id security_group_id project_id"."""
    token = admin_token() if auth == "keystone" else None
    project = service_project(token)
    cidr = os.environ["STACK_POD_CIDR"]
    net = find_one(token, f"{NEUTRON}/networks?name={POD_NAME}", "networks")
    if net is None:
        net = call("POST", NEUTRON + "/networks", token, {"network": {
            "name": POD_NAME, "project_id": project, "admin_state_up": True}})["network"]
    sub = find_one(token, f"{NEUTRON}/subnets?name={POD_NAME}&network_id={net['id']}", "subnets")
    if sub is None:
        sub = call("POST", NEUTRON + "/subnets", token, {"subnet": {
            "name": POD_NAME, "network_id": net["id"], "project_id": project, "ip_version": 4, "cidr": cidr,
            "enable_dhcp": False}})["subnet"]
    sg = find_one(token, f"{NEUTRON}/security-groups?name={POD_NAME}&project_id={project}", "security_groups")
    if sg is None:
        sg = call("POST", NEUTRON + "/security-groups", token, {"security_group": {
            "name": POD_NAME, "project_id": project, "description": "pods of the Kubernetes rig"}})["security_group"]
        call("POST", NEUTRON + "/security-group-rules", token, {"security_group_rule": {
            "security_group_id": sg["id"], "direction": "ingress", "ethertype": "IPv4",
            "remote_ip_prefix": cidr, "project_id": project}})
    print(net["id"], sub["id"], sg["id"], project)


def k8s_pods_down(auth):
    """Removes the pod network with every port still on it (pods the rig did not delete, the node port), and
    its security group. Prints how many ports went."""
    token = admin_token() if auth == "keystone" else None
    net = find_one(token, f"{NEUTRON}/networks?name={POD_NAME}", "networks")
    ports = call("GET", f"{NEUTRON}/ports?network_id={net['id']}", token)["ports"] if net else []
    for port in ports:
        try:
            call("DELETE", f"{NEUTRON}/ports/{port['id']}", token)
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
    if net:
        call("DELETE", f"{NEUTRON}/networks/{net['id']}", token)
    for sg in call("GET", f"{NEUTRON}/security-groups?name={POD_NAME}", token)["security_groups"]:
        call("DELETE", f"{NEUTRON}/security-groups/{sg['id']}", token)
    print(len(ports))


def started(agent):
    when = datetime.datetime.strptime(agent["started_at"], "%Y-%m-%d %H:%M:%S")
    return when.replace(tzinfo=datetime.timezone.utc).timestamp()


def wait_agents(token, want, restarted=True, timeout=90):
    """The agents must have reported in before a port can bind or get a DHCP port. OVN's agents are views of
    the chassis in the southbound DB and carry no start time: there, alive is all Neutron can tell."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    reported = t0
    while True:
        agents = call("GET", NEUTRON + "/agents", token)["agents"]
        # A restarted agent still looks alive from its old heartbeats: only a (re)start after this `up` began
        # proves the running process has reported in.
        since = float(os.environ.get("STACK_SINCE", "0"))
        alive = {a["agent_type"] for a in agents if a["alive"] and a["host"] == socket.gethostname()
                 and (not restarted or started(a) >= since)}
        if want <= alive:
            print(f"bootstrap: agents {sorted(want)} alive after {time.monotonic() - t0:.1f} s", flush=True)
            return
        if time.monotonic() - reported >= 10:  # bootstrap.log then tells which agent a slow start waited for
            reported = time.monotonic()
            print(f"bootstrap: still waiting after {reported - t0:.0f} s for {sorted(want - alive)}; agents: "
                  f"{[(a['agent_type'], a['alive'], a.get('started_at')) for a in agents]}", flush=True)
        if time.monotonic() > deadline:
            sys.exit(f"bootstrap: agents not alive after {timeout}s: missing {sorted(want - alive)}")
        time.sleep(0.5)


def main():
    what, auth = sys.argv[1], sys.argv[2]
    try:
        {"keystone": keystone, "cinder": cinder, "cinder-pool": cinder_pool, "k8s-pods": lambda: k8s_pods(auth),
         "k8s-pods-down": lambda: k8s_pods_down(auth)}.get(what, lambda: neutron(auth))()
    except urllib.error.HTTPError as e:
        sys.exit(f"bootstrap {what}: {e.code} {e.reason} on {e.url}: {e.read()[:500]!r}")


if __name__ == "__main__":
    main()
