"""The stack's Cinder (scripts/stack up --cinder), black box: a volume is created by the real NFS driver as a file
on the loop-backed share, attached to this host through the attachments API (in-use, this host's name, NFS
connection info that resolves to the mounted share), detached (available) and deleted (its file gone).

Run with /usr/bin/python3 -m pytest; skips unless root and the stack runs Cinder."""
import os
import socket
import time
import uuid

import pytest

from test_stack import ENV

HOST = socket.gethostname()
API = {"OpenStack-API-Version": "volume 3.54"}
pytestmark = pytest.mark.skipif(ENV is None or ENV.get("KURYR_STACK_CINDER") != "1" or os.geteuid() != 0,
                                reason="the stack does not run Cinder (scripts/stack up --cinder) or not root")


@pytest.fixture(scope="module")
def cinder():
    import openstack

    os.environ.update(ENV)
    return openstack.connect(cloud="kuryr-stack").block_storage


def status_becomes(cinder, vid, want, limit=120.0):
    # A generous bound so a broken stack fails instead of hanging; not a performance assertion.
    deadline = time.monotonic() + limit
    while True:
        vol = cinder.get(f"/volumes/{vid}", headers=API).json()["volume"]
        if vol["status"] == want:
            return vol
        assert vol["status"] != "error", f"volume {vid} went to error"
        if time.monotonic() > deadline:
            pytest.fail(f"volume {vid} stayed {vol['status']}, never {want}")
        time.sleep(0.3)


def share_path(info):
    """Where os-brick's RemoteFsClient mounts an NFS export: <mount_point_base>/<md5 of the export>."""
    import hashlib

    return os.path.join(info["mount_point_base"], hashlib.md5(info["export"].encode()).hexdigest())


def mounted(path):
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == path for line in f)


def test_volume_create_attach_detach_delete(cinder):
    name = "stack-test-" + uuid.uuid4().hex[:8]
    r = cinder.post("/volumes", json={"volume": {"size": 1, "name": name}}, headers=API)
    assert r.status_code == 202, r.text
    vid = r.json()["volume"]["id"]
    attachment = None
    try:
        vol = status_becomes(cinder, vid, "available")
        assert vol["os-vol-host-attr:host"].endswith("@nfs#nfs")
        connector = {"host": HOST, "ip": "127.0.0.1", "platform": "x86_64", "os_type": "linux", "multipath": False}
        r = cinder.post("/attachments", json={"attachment": {"volume_uuid": vid, "connector": connector,
                                                              "mode": "rw"}}, headers=API)
        assert r.status_code == 200, r.text
        attachment = r.json()["attachment"]
        info = attachment["connection_info"]
        assert info["driver_volume_type"] == "nfs" and info["format"] == "raw"
        share = share_path(info)
        assert mounted(share), f"the NFS driver's share {share} is not mounted"
        volume_file = os.path.join(share, info["name"])
        assert os.path.getsize(volume_file) == 1 << 30
        r = cinder.post(f"/attachments/{attachment['id']}/action", json={"os-complete": None}, headers=API)
        assert r.status_code == 204, r.text
        vol = status_becomes(cinder, vid, "in-use")
        assert [(a["attachment_id"], a["host_name"]) for a in vol["attachments"]] == [(attachment["id"], HOST)]
        r = cinder.delete(f"/attachments/{attachment['id']}", headers=API)
        assert r.status_code == 200, r.text
        attachment = None
        status_becomes(cinder, vid, "available")
        assert cinder.delete(f"/volumes/{vid}", headers=API).status_code == 202
        deadline = time.monotonic() + 120
        while cinder.get(f"/volumes/{vid}", headers=API).status_code != 404:
            assert time.monotonic() < deadline, "volume never went away"
            time.sleep(0.3)
        assert not os.path.exists(volume_file)
    finally:
        if attachment:
            cinder.delete(f"/attachments/{attachment['id']}", headers=API)
        cinder.delete(f"/volumes/{vid}", headers=API)
