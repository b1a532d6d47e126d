"""Tokens and passwords never reach the log or an Err body: the daemon runs with debug logging through an IPAM
lifecycle against the real Keystone and Neutron, then with a wrong password (an auth failure), and both logs
and every answer are searched for the password and for Keystone tokens (fernet tokens start with gAAAAA)."""
import configparser
import json
import os

from conftest import plugin_call
from reliability import RELIABILITY_SOCK
from reliability import EnvDaemon

CIDR = "10.98.77.0/24"


def _password(conf):
    cp = configparser.RawConfigParser(strict=False)
    cp.read(conf)
    return cp.get("neutron", "password", fallback="")


def _call(path, body, bodies):
    status, _, payload = plugin_call(path, json.dumps(body), RELIABILITY_SOCK)
    bodies.append(payload.decode(errors="replace"))
    return status, json.loads(payload or b"{}")


def _assert_clean(texts, password):
    for t in texts:
        assert password not in t, "the password reached the log or an answer"
        assert "gAAAAA" not in t, "a Keystone token reached the log or an answer"


def test_no_secret_in_logs_or_errors(stack_env, tmp_path):
    conf = stack_env["KURYR_STACK_CONF"]
    password = _password(conf)
    assert len(password) >= 4
    bodies = []
    good = EnvDaemon(conf, str(tmp_path), extra_conf="reconcile_on_startup = False\n")
    good.start()
    try:
        status, pool = _call("/IpamDriver.RequestPool", {"AddressSpace": "", "Pool": CIDR, "SubPool": "",
                                                         "Options": {}, "V6": False}, bodies)
        assert status == 200, pool
        _call("/IpamDriver.RequestAddress", {"PoolID": pool["PoolID"], "Address": "10.98.77.300", "Options": {}},
              bodies)
        status, answer = _call("/IpamDriver.ReleasePool", {"PoolID": pool["PoolID"]}, bodies)
        assert status == 200, answer
    finally:
        good.stop()
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = EnvDaemon(conf, str(bad_dir), extra_conf="reconcile_on_startup = False\n[neutron]\npassword = %s-wrong\n"
                    % password)
    bad.start()
    try:
        status, answer = _call("/IpamDriver.RequestPool", {"AddressSpace": "", "Pool": "10.98.78.0/24",
                                                           "SubPool": "", "Options": {}, "V6": False}, bodies)
        assert status != 200 and answer.get("Err"), answer
    finally:
        bad.stop()
    logs = [good.log_text(), bad.log_text()]
    assert "DEBUG" in logs[0], "the run was meant to log at debug level"
    _assert_clean(logs + bodies, password)
    _assert_clean(logs + bodies, password + "-wrong")
