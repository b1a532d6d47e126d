"""Prints the pod ports (device_owner compute:kuryr) on a Neutron network as one JSON list, each
{id, name, device_id, host, status, sgs, tags, ips}. Credentials from the stack's OS_* environment
(eval "$(scripts/stack env)"). Used by test_pod_ports.sh; one Keystone and one Neutron request."""
import json
import os
import sys
import urllib.request


def token_and_endpoint():
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": os.environ["OS_USERNAME"], "password": os.environ["OS_PASSWORD"],
            "domain": {"name": os.environ.get("OS_USER_DOMAIN_NAME", "Default")}}}},
        "scope": {"project": {"name": os.environ["OS_PROJECT_NAME"],
                              "domain": {"name": os.environ.get("OS_PROJECT_DOMAIN_NAME", "Default")}}}}}
    url = os.environ["OS_AUTH_URL"].rstrip("/") + "/auth/tokens"
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        token = r.headers["X-Subject-Token"]
        catalog = json.load(r)["token"]["catalog"]
    for svc in catalog:
        if svc["type"] == "network":
            for ep in svc["endpoints"]:
                if ep["interface"] == "public":
                    return token, ep["url"].rstrip("/")
    raise SystemExit("no network endpoint")


def main():
    network = sys.argv[1]
    token, endpoint = token_and_endpoint()
    url = f"{endpoint}/v2.0/ports?network_id={network}&device_owner=compute:kuryr"
    req = urllib.request.Request(url, headers={"X-Auth-Token": token})
    with urllib.request.urlopen(req, timeout=30) as r:
        ports = json.load(r)["ports"]
    print(json.dumps([{"id": p["id"], "name": p.get("name"), "device_id": p.get("device_id"),
                       "host": p.get("binding:host_id"), "status": p.get("status"),
                       "sgs": p.get("security_groups", []), "tags": p.get("tags", []),
                       "ips": [ip["ip_address"] for ip in p.get("fixed_ips", [])]} for p in ports]))


if __name__ == "__main__":
    main()
