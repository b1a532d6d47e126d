/* vif_type ovs: the host end becomes a port of br-int whose external_ids tell the OVS agent (or
 * ovn-controller) which Neutron port it is.
 *
 * Why ovs-vsctl rather than our own OVSDB JSON-RPC client: a port is three linked rows (Bridge.ports ->
 * Port -> Interface) that must change in one transaction, and a bind is only done when ovs-vswitchd has
 * applied it; ovs-vsctl does both (it waits for next_cfg to be reflected in cur_cfg), handles --if-exists and
 * the re-created veth case (del-port + add-port in the same transaction), and is installed wherever db.sock
 * exists. It runs with fork/exec and a fixed argument vector, never through a shell. */
#include "binding_internal.h"

#include "kuryr/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KB_OVS_MAX_ARGS 24

static const char *ovs_vsctl_path(void)
{
    static const char *const cands[] = { "/usr/bin/ovs-vsctl", "/usr/local/bin/ovs-vsctl", "/usr/sbin/ovs-vsctl",
                                         NULL };
    for (size_t i = 0; cands[i]; i++)
        if (access(cands[i], X_OK) == 0)
            return cands[i];
    return NULL;
}

#define KB_OVS_RUN_TIMEOUT_S 130

/* args: the ovs-vsctl arguments after the global options, NULL-terminated. */
static int vsctl(const kuryr_binding_cfg *cfg, const char *const *args, char **out, kuryr_error *err)
{
    const char *bin = ovs_vsctl_path();
    if (!bin)
        return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 0, NULL,
                               "vif_type ovs needs ovs-vsctl, which is not installed on this host");
    char db[300];
    snprintf(db, sizeof(db), "--db=unix:%s", cfg->ovsdb_sock && *cfg->ovsdb_sock ? cfg->ovsdb_sock : KB_OVSDB_SOCK);
    const char *argv[KB_OVS_MAX_ARGS + 4];
    size_t n = 0;
    argv[n++] = bin;
    argv[n++] = db;
    argv[n++] = "--timeout=120";
    for (size_t i = 0; args[i] && n < KB_OVS_MAX_ARGS + 3; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int status = 0;
    char tail[300];
    /* ovs-vsctl gives up by itself after its --timeout; this bound is for an ovs-vsctl that hangs anyway */
    if (kb_run(argv, KB_OVS_RUN_TIMEOUT_S, out, &status, tail, sizeof(tail), err) < 0)
        return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (out) {
        free(*out);
        *out = NULL;
    }
    size_t l = strlen(tail);
    while (l && tail[l - 1] == '\n')
        tail[--l] = '\0';
    return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 0, NULL, "ovs-vsctl %s failed: %s", args[0] ? args[0] : "",
                           l ? tail : "(no stderr)");
}

int kb_ovs_external_id(char *buf, size_t len, const char *key, const char *value, kuryr_error *err)
{
    /* Quoted so that values holding ':' or ',' (a MAC) stay one OVSDB string atom; a quote or a backslash
     * inside would end or bend the atom, and a cut one would name another port: both refused. */
    if (!value)
        value = "";
    if (strpbrk(value, "\"\\"))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "OVS external_ids:%s: a quote or backslash in %s",
                               key, value);
    if ((size_t)snprintf(buf, len, "external_ids:%s=\"%s\"", key, value) >= len)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "OVS external_ids:%s: value too long: %.40s...",
                               key, value);
    return 0;
}

int kb_sysctl_quiet_host_iface(const char *ifname, kuryr_error *err)
{
    static const struct { const char *fmt, *value; } knobs[] = {
        { "/proc/sys/net/ipv4/conf/%s/arp_ignore", "8" },
        { "/proc/sys/net/ipv4/conf/%s/forwarding", "0" },
        { "/proc/sys/net/ipv6/conf/%s/disable_ipv6", "1" },
    };
    for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), knobs[i].fmt, ifname);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && strstr(knobs[i].fmt, "ipv6"))
            continue; /* IPv6 disabled on this host: nothing to turn off */
        if (fd < 0 || write(fd, knobs[i].value, strlen(knobs[i].value)) < 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot write %s: %s", path, strerror(e));
        }
        close(fd);
    }
    return 0;
}

int kb_ovs_plug(const kuryr_binding_cfg *cfg, const char *ifname, const kb_ovs_iface *ids, kuryr_error *err)
{
    const char *br = cfg->ovs_bridge && *cfg->ovs_bridge ? cfg->ovs_bridge : KB_OVS_BRIDGE;
    char id[128], mac[64], vm[128];
    if (kb_ovs_external_id(id, sizeof(id), "iface-id", ids->port_id, err) < 0 ||
        kb_ovs_external_id(mac, sizeof(mac), "attached-mac", ids->mac, err) < 0 ||
        kb_ovs_external_id(vm, sizeof(vm), "vm-uuid", ids->owner_id, err) < 0)
        return -1;
    /* The bridge's datapath type comes back from the same run (the only command that prints): one fork of
     * ovs-vsctl per plug instead of two, on every container start of an OVS host. */
    const char *args[] = { "--", "--if-exists", "del-port", ifname, "--", "add-port", br, ifname,
                           "--", "set", "Interface", ifname, id, mac, vm,
                           "external_ids:iface-status=active", "external_ids:owner=kuryr",
                           "--", "get", "Bridge", br, "datapath_type", NULL };
    char *out = NULL;
    if (vsctl(cfg, args, &out, err) < 0)
        return -1;
    bool netdev = out && strstr(out, "netdev") != NULL;
    free(out);
    /* On a userspace (netdev) datapath the kernel still sees the veth's frames; it must neither answer
     * ARP for them nor route them. */
    if (netdev && kb_sysctl_quiet_host_iface(ifname, err) < 0) {
        kuryr_error e;
        const char *del[] = { "--if-exists", "del-port", ifname, NULL };
        vsctl(cfg, del, NULL, &e);
        return -1;
    }
    return 0;
}

int kb_ovs_find(const kuryr_binding_cfg *cfg, const char *port_id, char **names, kuryr_error *err)
{
    char id[128];
    if (kb_ovs_external_id(id, sizeof(id), "iface-id", port_id, err) < 0)
        return -1;
    const char *args[] = { "--format=csv", "--data=bare", "--no-headings", "--columns=name", "find", "Interface",
                           id, "external_ids:owner=kuryr", NULL };
    return vsctl(cfg, args, names, err);
}

int kb_ovs_unplug(const kuryr_binding_cfg *cfg, const char *ifname, const char *port_id, kuryr_error *err)
{
    /* The port is normally named ifname: delete it and, in the same run, look for any other interface that
     * carries this Neutron port (one plugged under another name, e.g. by an earlier release). The find runs
     * after the delete in ovs-vsctl's transaction, so it prints only those others: one fork on every
     * container removal, a second one only when something is left. */
    char id[128];
    if (kb_ovs_external_id(id, sizeof(id), "iface-id", port_id, err) < 0)
        return -1;
    const char *args[] = { "--format=csv", "--data=bare", "--no-headings", "--", "--if-exists", "del-port", ifname,
                           "--", "--columns=name", "find", "Interface", id, "external_ids:owner=kuryr", NULL };
    char *names = NULL;
    if (vsctl(cfg, args, &names, err) < 0)
        return -1;
    int ret = 0;
    char *save = NULL;
    for (char *name = strtok_r(names, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
        if (!*name)
            continue;
        const char *del[] = { "--if-exists", "del-port", name, NULL };
        if (vsctl(cfg, del, NULL, err) < 0)
            ret = -1;
        else
            KLOG_DEBUG("removed OVS port %s of Neutron port %s", name, port_id);
    }
    free(names);
    return ret;
}
