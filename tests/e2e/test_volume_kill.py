"""The kill matrix of kuryr-volume: SIGKILL at every step of Create, Mount and Unmount (fault points, a build
with -Dfault_points=true), then a restart. The restart must find and settle what the killed daemon left: no
attachment in Cinder, no loop device, no mount and no journal; the volume is available and still usable, and a
volume that already held a file system keeps it (never reformatted)."""
import os
import signal
import threading

import openstack
import pytest

from conftest import BUILD, IMAGE, wait_for
from reliability import has_fault_points
from volumes import (VOLUME_PLUGIN, VolumeDaemon, assert_settled, call, cinder_volume, gone, need_cinder,
                     remove_volume, unique)

MOUNT_POINTS = ["volume.mount.journaled", "volume.mount.attachment_created", "volume.mount.loop_attached",
                "volume.mount.fs_ready", "volume.mount.mounted", "volume.mount.completed", "volume.mount.recorded"]
UNMOUNT_POINTS = ["volume.unmount.journaled", "volume.undo.unmounted", "volume.undo.loop_detached"]


@pytest.fixture(scope="module")
def cinder(stack_env):
    need_cinder()
    if not has_fault_points(os.path.join(BUILD, "volume", "kuryr-volume")):
        pytest.skip("kuryr-volume was built without -Dfault_points=true")
    conn = openstack.connect(cloud="kuryr-stack")
    yield conn.block_storage
    conn.close()


@pytest.fixture(scope="module")
def vd(stack_env, cinder, tmp_path_factory):
    d = VolumeDaemon(stack_env["KURYR_STACK_CONF"], str(tmp_path_factory.mktemp("kuryr-volume-kill")))
    d.start()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def volume(dclient, cinder, vd):
    """One volume for the whole matrix, with a file system and a file made before any kill."""
    name = unique("kvk")
    dclient.volumes.create(name=name, driver=VOLUME_PLUGIN, driver_opts={"size": "1"})
    dclient.containers.run(IMAGE, ["sh", "-c", "echo kept > /data/f"], volumes={name: {"bind": "/data"}},
                           network_mode="none", remove=True)
    yield name
    if not vd.alive():
        vd.start()
    remove_volume(dclient, cinder, name)


def killed(d):
    wait_for(lambda: d.proc.poll() is not None, 60, what="the daemon to die at its fault point")
    assert d.proc.returncode == -signal.SIGKILL, d.log_text()[-2000:]


def restart_and_check(d, dclient, cinder, name, pending=None):
    d.start()
    if pending:
        pending.join()  # Docker's own retries of the interrupted call reach the restarted daemon
    vid = cinder_volume(cinder, name)["id"]
    assert_settled(cinder, d, vid)
    out = dclient.containers.run(IMAGE, ["cat", "/data/f"], volumes={name: {"bind": "/data"}}, network_mode="none",
                                 remove=True)
    assert out.decode().strip() == "kept"
    assert_settled(cinder, d, vid)


@pytest.mark.parametrize("point", MOUNT_POINTS)
def test_kill_during_mount(dclient, cinder, vd, volume, point):
    vd.stop()
    vd.start(fault=point)
    try:
        call("/VolumeDriver.Mount", {"Name": volume, "ID": "kill-" + point.split(".")[-1]}, timeout=120)
    except OSError:
        pass  # the connection dies with the daemon
    killed(vd)
    restart_and_check(vd, dclient, cinder, volume)


@pytest.mark.parametrize("point", UNMOUNT_POINTS)
def test_kill_during_unmount(dclient, cinder, vd, volume, point):
    holder = dclient.containers.run(IMAGE, ["sleep", "600"], volumes={volume: {"bind": "/data"}},
                                    network_mode="none", detach=True)
    removal = threading.Thread(target=gone, args=(holder,))
    try:
        vd.stop()
        vd.start(fault=point)  # the running container keeps its mount through the restart's settling
        assert vd.alive()
        removal.start()  # Docker's Unmount meets the fault point; Docker retries it until a daemon answers
        killed(vd)
    finally:
        if not removal.is_alive():
            gone(holder)
    restart_and_check(vd, dclient, cinder, volume, pending=removal)


def test_kill_during_create(dclient, cinder, vd):
    name = unique("kvk")
    vd.stop()
    vd.start(fault="volume.create.requested")
    try:
        try:
            call("/VolumeDriver.Create", {"Name": name, "Opts": {"size": "1"}}, timeout=120)
        except OSError:
            pass
        killed(vd)
        vd.start()
        # the volume Cinder made is Docker's and usable: a second Create finds it instead of making another
        assert call("/VolumeDriver.Create", {"Name": name, "Opts": {"size": "1"}})[0] == 200
        vols = cinder.get(f"/volumes/detail?name={name}", headers={"OpenStack-API-Version": "volume 3.54"}).json()
        assert len(vols["volumes"]) == 1
    finally:
        if not vd.alive():
            vd.start()
        remove_volume(dclient, cinder, name)
