"""CPU seconds used by each part of the stack between two snapshots, read from /proc: what a container start
costs Neutron, its agents, the database, the message bus, Keystone and Docker, besides the plugin. On a machine
with N cores, starts per minute cannot exceed N * 60 / (CPU seconds per start), whatever the plugin does."""
import os

# first match wins; a process's command line (with its Python script) names the part it belongs to
PARTS = [
    ("neutron-server", ("neutron-server",)),
    ("neutron agents", ("neutron-linuxbridge-agent", "neutron-dhcp-agent", "neutron-ovn", "neutron-metadata",
                        "dnsmasq", "haproxy")),
    ("ovn/ovs", ("ovn-controller", "ovn-northd", "ovsdb-server", "ovs-vswitchd")),
    ("mariadb", ("mariadbd", "mysqld")),
    ("rabbitmq", ("beam.smp", "epmd", "rabbitmq")),
    ("keystone", ("keystone",)),
    ("docker", ("dockerd", "containerd")),
    ("kuryr plugin", ("kuryr-libnetwork", "kuryr-server")),
]


def _part(cmdline):
    for name, needles in PARTS:
        if any(n in cmdline for n in needles):
            return name
    return None


def cpu_s(pid):
    """utime + stime + cutime + cstime of a process, in seconds (reaped children count too)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def snapshot():
    """{pid: (part, cpu seconds incl. reaped children)} for every process that belongs to a part."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            part = _part(cmd)
            if part:
                out[int(pid)] = (part, cpu_s(pid))
        except OSError:
            continue
    return out


def delta(before, after):
    """CPU seconds per part used between two snapshots. A process that ended in between is not counted (its
    time went to a parent's cutime/cstime only if the parent reaped it); one that started counts in full."""
    used = {}
    for pid, (part, cpu) in after.items():
        prev = before.get(pid)
        spent = cpu - prev[1] if prev and prev[0] == part else cpu
        used[part] = used.get(part, 0.0) + max(0.0, spent)
    return used
