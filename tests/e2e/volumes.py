"""Helpers for the kuryr-volume e2e tests: the daemon on its own socket and state, and what the host and Cinder
show about a volume (loop devices, mounts, journal, Cinder status and attachments)."""
import glob
import os
import signal
import socket
import subprocess
import time
import uuid

import pytest

from conftest import BUILD, SLOW, WRAPPER, plugin_call, wait_for

# The Docker driver name is the socket's basename: production uses Fuxi's "fuxi"; parallel runs pick another.
VOLUME_PLUGIN = os.environ.get("KURYR_E2E_VOLUME_PLUGIN", "fuxi")
VOLUME_SOCK = f"/run/docker/plugins/{VOLUME_PLUGIN}.sock"
HOST = socket.gethostname()
API = {"OpenStack-API-Version": "volume 3.54"}


def need_cinder():
    if os.environ.get("KURYR_STACK_CINDER") != "1":
        pytest.skip("the stack does not run Cinder (scripts/stack up --cinder)")
    if not os.path.exists(os.path.join(BUILD, "volume", "kuryr-volume")):
        pytest.skip("kuryr-volume is not built")


class VolumeDaemon:
    """One kuryr-volume process with its own volume_dir and journal under workdir."""

    def __init__(self, stack_conf, workdir, extra=""):
        self.workdir = workdir
        self.conf = os.path.join(workdir, "volume.conf")
        self.log_path = os.path.join(workdir, "kuryr-volume.log")
        self.volume_dir = os.path.join(workdir, "data")
        self.state_dir = os.path.join(workdir, "state")
        with open(self.conf, "w") as f:
            f.write(f"[DEFAULT]\nvolume_dir = {self.volume_dir}\nvolume_state_dir = {self.state_dir}\n"
                    f"volume_unix_socket = {VOLUME_SOCK}\n{extra}")
        self.stack_conf = stack_conf
        self.proc = None

    def start(self, fault=None):
        env = dict(os.environ)
        env.pop("KURYR_FAULT", None)
        if fault:
            env["KURYR_FAULT"] = fault
        log = open(self.log_path, "ab")
        # KURYR_E2E_DAEMON_WRAPPER (e.g. valgrind) wraps this daemon as it does kuryr-libnetwork
        self.proc = subprocess.Popen(WRAPPER + [os.path.join(BUILD, "volume", "kuryr-volume"), "--config-file",
                                                self.stack_conf, "--config-file", self.conf],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        log.close()
        wait_for(self._answers, 60 * SLOW, what="kuryr-volume to answer on " + VOLUME_SOCK)

    def _answers(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"kuryr-volume exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
        try:
            return call("/Plugin.Activate", "", timeout=10)[0] == 200
        except OSError:
            return False  # not listening yet, or the socket file of a killed run

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30 * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def journal(self):
        return sorted(glob.glob(os.path.join(self.state_dir, "*.json")))

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def call(path, body, timeout=180):
    import json

    status, _, payload = plugin_call(path, body if isinstance(body, str) else json.dumps(body), VOLUME_SOCK, timeout)
    try:
        return status, json.loads(payload or b"{}")
    except ValueError:
        return status, {"raw": payload}


def unique(prefix="kv"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def cinder_volume(cinder, name):
    vols = cinder.get(f"/volumes/detail?name={name}", headers=API).json()["volumes"]
    return vols[0] if vols else None


def cinder_status_becomes(cinder, vid, want, limit=120.0):
    # A generous bound so a broken stack fails instead of hanging; not a performance assertion.
    def check():
        r = cinder.get(f"/volumes/{vid}", headers=API)
        if want is None:
            return r.status_code == 404
        return r.status_code == 200 and r.json()["volume"]["status"] == want and r.json()["volume"]
    return wait_for(check, limit, interval=0.3, what=f"volume {vid} to become {want or 'deleted'}")


def attachments(cinder, vid):
    return cinder.get(f"/attachments?volume_id={vid}", headers=API).json()["attachments"]


def loops_of(vid):
    """The loop devices whose backing file is Cinder's file of the volume."""
    out = []
    for bf in glob.glob("/sys/block/loop*/loop/backing_file"):
        try:
            with open(bf) as f:
                if f.read().strip().endswith("/volume-" + vid):
                    out.append(bf.split("/")[3])
        except OSError:
            pass
    return out


def mounts_under(path):
    with open("/proc/self/mounts") as f:
        return [line.split()[1] for line in f if line.split()[1].startswith(path)]


def assert_settled(cinder, daemon, vid):
    """Nothing of the volume is left on this host or in Cinder: no loop device, mount, journal or attachment."""
    assert loops_of(vid) == [], f"loop devices left on volume {vid}"
    assert mounts_under(daemon.volume_dir) == [], "mounts left under volume_dir"
    assert daemon.journal() == [], f"journal left: {daemon.journal()}"
    vol = cinder_status_becomes(cinder, vid, "available")
    assert vol["attachments"] == [] and attachments(cinder, vid) == []


def gone(container):
    """Removes a container (Docker then calls Unmount); one already gone is fine."""
    try:
        container.remove(force=True)
    except Exception:
        pass


def remove_volume(dclient, cinder, name):
    """Best-effort clean-up: the containers that use the volume (so Docker unmounts it through the plugin), the
    volume through Docker, then in Cinder directly whatever is left."""
    for c in dclient.containers.list(all=True, filters={"volume": name}):
        gone(c)
    try:
        dclient.volumes.get(name).remove(force=True)
    except Exception:
        pass
    vol = cinder_volume(cinder, name)
    if vol:
        for a in attachments(cinder, vol["id"]):
            cinder.delete(f"/attachments/{a['id']}", headers=API)
        time.sleep(0.5)
        cinder.delete(f"/volumes/{vol['id']}", headers=API)
