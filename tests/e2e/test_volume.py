"""kuryr-volume against the real dockerd, Keystone and Cinder (scripts/stack up --cinder): the issue's
"How it must be shown" list. Each test leaves no volume, attachment, loop device or mount behind."""
import os
import subprocess

import openstack
import pytest

from conftest import IMAGE
from reliability import Paused
from volumes import (API, HOST, VOLUME_PLUGIN, VolumeDaemon, assert_settled, attachments, call, cinder_status_becomes,
                     cinder_volume, gone, loops_of, mounts_under, need_cinder, remove_volume, unique)


@pytest.fixture(scope="module")
def cinder(stack_env):
    need_cinder()
    conn = openstack.connect(cloud="kuryr-stack")
    yield conn.block_storage
    conn.close()


@pytest.fixture(scope="module")
def vdaemon(stack_env, cinder, tmp_path_factory):
    # A short Keystone/Cinder timeout, so that the paused-Cinder test waits seconds, not a minute.
    d = VolumeDaemon(stack_env["KURYR_STACK_CONF"], str(tmp_path_factory.mktemp("kuryr-volume")),
                     "[neutron]\ntimeout = 8\n")
    d.start()
    yield d
    d.stop()
    assert d.journal() == []


@pytest.fixture
def volume(dclient, cinder, vdaemon):
    """A fresh 1 GiB volume made through Docker; removed afterwards whatever happened."""
    name = unique()
    dclient.volumes.create(name=name, driver=VOLUME_PLUGIN, driver_opts={"size": "1"})
    yield name
    remove_volume(dclient, cinder, name)


def run(dclient, volume, cmd, detach=False):
    return dclient.containers.run(IMAGE, ["sh", "-c", cmd], volumes={volume: {"bind": "/data", "mode": "rw"}},
                                  network_mode="none", remove=not detach, detach=detach)


def fs_uuid(cinder, name):
    """The file system's UUID, read straight from Cinder's volume file on the share."""
    vol = cinder_volume(cinder, name)
    share_files = subprocess.run(["find", "/var/lib/kuryr-stack/cinder/mnt", "-maxdepth", "2", "-name",
                                  "volume-" + vol["id"]], capture_output=True, text=True).stdout.split()
    assert len(share_files) == 1
    return subprocess.run(["blkid", "-p", "-o", "value", "-s", "UUID", share_files[0]], capture_output=True,
                          text=True).stdout.strip()


def test_hi_two_containers_cinder_states_and_rm(dclient, cinder, vdaemon, volume):
    vol = cinder_volume(cinder, volume)
    assert vol["size"] == 1 and vol["status"] == "available" and vol["metadata"]["volume_from"] == "fuxi"
    writer = run(dclient, volume, "echo hi > /data/f && sleep 600", detach=True)
    try:
        inuse = cinder_status_becomes(cinder, vol["id"], "in-use")
        assert [a["host_name"] for a in inuse["attachments"]] == [HOST]
        assert len(loops_of(vol["id"])) == 1 and len(mounts_under(vdaemon.volume_dir)) == 1
        assert run(dclient, volume, "cat /data/f").decode().strip() == "hi"
    finally:
        gone(writer)
    assert_settled(cinder, vdaemon, vol["id"])
    assert run(dclient, volume, "cat /data/f").decode().strip() == "hi"
    dclient.volumes.get(volume).remove()
    cinder_status_becomes(cinder, vol["id"], None)


def test_data_survives_remount_and_is_never_reformatted(dclient, cinder, vdaemon, volume):
    run(dclient, volume, "echo first > /data/keep")
    first = fs_uuid(cinder, volume)
    assert first, "the volume holds no file system after its first mount"
    for i in range(2):
        assert run(dclient, volume, "cat /data/keep; echo again >> /data/keep").decode().split()[0] == "first"
        assert fs_uuid(cinder, volume) == first
    assert run(dclient, volume, "cat /data/keep").decode().split() == ["first", "again", "again"]
    assert vdaemon.log_text().count(f"volume {volume} holds no file system") == 1


def test_refcount_keeps_the_mount_until_the_last_container_stops(dclient, cinder, vdaemon, volume):
    vid = cinder_volume(cinder, volume)["id"]
    a = run(dclient, volume, "sleep 600", detach=True)
    b = run(dclient, volume, "sleep 600", detach=True)
    try:
        gone(a)
        assert len(mounts_under(vdaemon.volume_dir)) == 1 and len(loops_of(vid)) == 1
        assert cinder.get(f"/volumes/{vid}", headers=API).json()["volume"]["status"] == "in-use"
        assert b.exec_run(["sh", "-c", "echo still > /data/x && cat /data/x"]).output.decode().strip() == "still"
    finally:
        gone(a)
        gone(b)
    assert_settled(cinder, vdaemon, vid)


def test_remove_refuses_a_volume_in_use(dclient, cinder, vdaemon, volume):
    c = run(dclient, volume, "sleep 600", detach=True)
    try:
        status, body = call("/VolumeDriver.Remove", {"Name": volume})
        assert status == 409 and "in use" in body["Err"]
        assert cinder_volume(cinder, volume) is not None
    finally:
        gone(c)


def test_bad_input_gets_a_clear_err(dclient, cinder, vdaemon):
    cases = [
        ("/VolumeDriver.Mount", {"Name": "kv-no-such-volume", "ID": "abc"}, 404, "no volume named kv-no-such-volume"),
        ("/VolumeDriver.Create", {"Name": "kv-bad-size", "Opts": {"size": "abc"}}, 400, "size 'abc' is not a whole"),
        ("/VolumeDriver.Create", {"Name": "kv-bad-opt", "Opts": {"colour": "red"}}, 400, "unknown option colour"),
        ("/VolumeDriver.Create", {"Name": "../etc", "Opts": {}}, 400, "not a valid volume name"),
        ("/VolumeDriver.Mount", {"Name": "kv-x"}, 400, "ID is missing"),
        ("/VolumeDriver.Get", "{not json", 400, "not a JSON object"),
        ("/VolumeDriver.Create", {"Name": "kv-x", "Opts": {"volume_id": "1; rm -rf /"}}, 400, "is not a UUID"),
    ]
    for path, body, status, text in cases:
        got_status, got = call(path, body)
        assert (got_status, text in got.get("Err", "")) == (status, True), (path, body, got_status, got)
    assert cinder_volume(cinder, "kv-bad-size") is None
    # and through the Docker CLI, as a user sees it
    out = subprocess.run(["docker", "volume", "create", "-d", VOLUME_PLUGIN, "-o", "size=abc", unique()],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "size 'abc' is not a whole number" in out.stderr
    assert vdaemon.alive()


def test_a_volume_of_another_project_is_refused(cinder, vdaemon):
    admin = openstack.connect(cloud="kuryr-stack-admin").block_storage
    name = unique()
    r = admin.post("/volumes", json={"volume": {"size": 1, "name": name}}, headers=API)
    vid = r.json()["volume"]["id"]
    try:
        cinder_status_becomes(admin, vid, "available")
        status, body = call("/VolumeDriver.Create", {"Name": name, "Opts": {"volume_id": vid}})
        assert status == 403 and "belongs to another project" in body["Err"]
        assert "volume_from" not in admin.get(f"/volumes/{vid}", headers=API).json()["volume"]["metadata"]
    finally:
        admin.delete(f"/volumes/{vid}", headers=API)


def test_adopting_an_existing_volume_by_id(dclient, cinder, vdaemon):
    name = unique()
    vid = cinder.post("/volumes", json={"volume": {"size": 1, "name": name}}, headers=API).json()["volume"]["id"]
    try:
        cinder_status_becomes(cinder, vid, "available")
        dclient.volumes.create(name=name, driver=VOLUME_PLUGIN, driver_opts={"volume_id": vid})
        assert cinder.get(f"/volumes/{vid}", headers=API).json()["volume"]["metadata"]["volume_from"] == "fuxi"
        assert run(dclient, name, "echo adopted > /data/a; cat /data/a").decode().strip() == "adopted"
        assert_settled(cinder, vdaemon, vid)
    finally:
        remove_volume(dclient, cinder, name)


def test_a_volume_attached_to_another_host_is_a_clear_error(dclient, cinder, vdaemon, volume):
    vid = cinder_volume(cinder, volume)["id"]
    connector = {"host": "elsewhere", "ip": "10.0.0.9", "platform": "x86_64", "os_type": "linux", "multipath": False}
    att = cinder.post("/attachments", json={"attachment": {"volume_uuid": vid, "connector": connector, "mode": "rw"}},
                      headers=API).json()["attachment"]
    try:
        cinder.post(f"/attachments/{att['id']}/action", json={"os-complete": None}, headers=API)
        cinder_status_becomes(cinder, vid, "in-use")
        status, body = call("/VolumeDriver.Mount", {"Name": volume, "ID": "c1"})
        assert status == 409 and "attached to host elsewhere" in body["Err"]
        assert loops_of(vid) == [] and vdaemon.journal() == []
    finally:
        cinder.delete(f"/attachments/{att['id']}", headers=API)
    cinder_status_becomes(cinder, vid, "available")


def test_cinder_down_the_daemon_survives(dclient, cinder, vdaemon, volume):
    with Paused("cinder-api"):
        status, body = call("/VolumeDriver.Get", {"Name": volume})
        assert status == 503 and "Cinder unreachable" in body["Err"]
        status, body = call("/VolumeDriver.Mount", {"Name": volume, "ID": "c2"})
        assert status == 503 and vdaemon.alive()
    assert vdaemon.journal() == []
    status, body = call("/VolumeDriver.Get", {"Name": volume})
    assert status == 200 and body["Volume"]["Name"] == volume
    assert run(dclient, volume, "echo back > /data/b; cat /data/b").decode().strip() == "back"


def test_list_get_path_and_capabilities(dclient, cinder, vdaemon, volume):
    status, body = call("/VolumeDriver.List", {})
    assert status == 200 and volume in [v["Name"] for v in body["Volumes"]]
    status, body = call("/VolumeDriver.Get", {"Name": volume})
    assert status == 200 and body["Volume"]["Mountpoint"] == "" and body["Volume"]["Status"]["status"] == "available"
    assert call("/VolumeDriver.Capabilities", {}) == (200, {"Capabilities": {"Scope": "global"}, "Err": ""})
    c = run(dclient, volume, "sleep 600", detach=True)
    try:
        status, body = call("/VolumeDriver.Path", {"Name": volume})
        assert status == 200 and body["Mountpoint"] == os.path.join(vdaemon.volume_dir, "cinder", volume)
    finally:
        gone(c)
