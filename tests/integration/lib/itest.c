#include "itest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRACKED 64

typedef struct {
    char collection[32];
    char id[64];
} tracked;

static tracked objects[MAX_TRACKED];
static size_t n_objects;

int itest_sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

int itest_open(itest_env *env)
{
    memset(env, 0, sizeof *env);
    const char *path = getenv("KURYR_STACK_CONF");
    if (!path || !*path) {
        fprintf(stderr, "KURYR_STACK_CONF is unset: run `eval \"$(scripts/stack env)\"` after scripts/stack up\n");
        return ITEST_SKIP;
    }
    char msg[512];
    env->cfg = kuryr_config_new();
    if (kuryr_config_load_file(env->cfg, path, msg, sizeof msg) != 0) {
        fprintf(stderr, "%s\n", msg);
        return -1;
    }
    kuryr_auth_opts opts;
    kuryr_error err = {0};
    if (kuryr_auth_opts_from_config(env->cfg, &opts, &err) != 0) {
        fprintf(stderr, "auth options: %s\n", err.message);
        return -1;
    }
    kuryr_http_opts hopts;
    kuryr_http_opts_from_config(env->cfg, &hopts);
    env->http = kuryr_http_new(&hopts);
    env->auth = kuryr_auth_new(env->http, &opts);
    env->kn = kuryr_neutron_new(env->auth);
    env->keystone = opts.type != KURYR_AUTH_NONE;
    const char *backend = getenv("KURYR_STACK_BACKEND");
    env->backend = backend && *backend ? backend : "linuxbridge";
    return env->http && env->auth && env->kn ? 0 : -1;
}

void itest_close(itest_env *env)
{
    kuryr_neutron_free(env->kn);
    kuryr_auth_free(env->auth);
    kuryr_http_free(env->http);
    kuryr_config_free(env->cfg);
    memset(env, 0, sizeof *env);
}

void itest_track(const char *collection, const char *id)
{
    if (n_objects == MAX_TRACKED || !id)
        return;
    snprintf(objects[n_objects].collection, sizeof objects[n_objects].collection, "%s", collection);
    snprintf(objects[n_objects].id, sizeof objects[n_objects].id, "%s", id);
    n_objects++;
}

void itest_untrack(const char *id)
{
    for (size_t i = 0; i < n_objects; i++)
        if (strcmp(objects[i].id, id) == 0)
            objects[i].id[0] = '\0';
}

static int delete_one(itest_env *env, const tracked *t, kuryr_error *err)
{
    const char *c = t->collection;
    if (strcmp(c, "links") == 0) {
        itest_sh("ovs-vsctl --if-exists del-port br-int %s >/dev/null 2>&1; ip link delete %s 2>/dev/null", t->id,
                 t->id);
        return 0;
    }
    if (strcmp(c, "ports") == 0)
        return kuryr_neutron_port_delete(env->kn, t->id, err);
    if (strcmp(c, "subnets") == 0)
        return kuryr_neutron_subnet_delete(env->kn, t->id, err);
    if (strcmp(c, "networks") == 0)
        return kuryr_neutron_network_delete(env->kn, t->id, err);
    if (strcmp(c, "subnetpools") == 0)
        return kuryr_neutron_subnetpool_delete(env->kn, t->id, err);
    if (strcmp(c, "security-groups") == 0)
        return kuryr_neutron_security_group_delete(env->kn, t->id, err);
    if (strcmp(c, "security-group-rules") == 0)
        return kuryr_neutron_sg_rule_delete(env->kn, t->id, err);
    if (strcmp(c, "trunks") == 0)
        return kuryr_neutron_trunk_delete(env->kn, t->id, err);
    return 0;
}

void itest_cleanup(itest_env *env)
{
    while (n_objects > 0) {
        tracked *t = &objects[--n_objects];
        if (!t->id[0] || !env->kn)
            continue;
        kuryr_error err = {0};
        if (delete_one(env, t, &err) != 0 && err.kind != KURYR_ERR_NOT_FOUND)
            fprintf(stderr, "cleanup: deleting %s %s: %s\n", t->collection, t->id, err.message);
    }
}

int itest_plug_tap(itest_env *env, const char *port_id, const char *net_id, const char *mac)
{
    char tap[16], peer[16];
    snprintf(tap, sizeof tap, "tap%.11s", port_id);
    snprintf(peer, sizeof peer, "t_c%.11s", port_id);
    if (itest_sh("ip link add %s type veth peer name %s", tap, peer) != 0)
        return -1;
    itest_track("links", tap);
    if (strcmp(env->backend, "ovn") == 0) {
        /* Host-side veths of a netdev OVS bridge: no foreign ARP answers, no routing, no IPv6. */
        if (itest_sh("sysctl -qw net.ipv4.conf.%s.arp_ignore=8 net.ipv4.conf.%s.forwarding=0 "
                     "net.ipv6.conf.%s.disable_ipv6=1",
                     tap, tap, tap) != 0 ||
            itest_sh("ovs-vsctl add-port br-int %s -- set Interface %s external_ids:iface-id=%s "
                     "external_ids:attached-mac=%s external_ids:iface-status=active external_ids:owner=kuryr",
                     tap, tap, port_id, mac) != 0)
            return -1;
    } else {
        /* The linuxbridge agent leaves compute-owned taps to the binding: enslave it as kuryr does. */
        char brq[16];
        snprintf(brq, sizeof brq, "brq%.11s", net_id);
        itest_sh("ip link show %s >/dev/null 2>&1 || ip link add %s type bridge forward_delay 0 stp_state 0", brq,
                 brq);
        if (itest_sh("ip link set %s up && ip link set %s master %s", brq, tap, brq) != 0)
            return -1;
    }
    return itest_sh("ip link set %s up && ip link set %s up", peer, tap);
}

int itest_wait_port_status(itest_env *env, const char *port_id, const char *status)
{
    for (int i = 0; i < 600; i++) {
        kuryr_port *p = NULL;
        kuryr_error err = {0};
        if (kuryr_neutron_port_get(env->kn, port_id, &p, &err) == 0) {
            bool done = p->status && strcmp(p->status, status) == 0;
            kuryr_port_free(p);
            if (done)
                return 0;
        }
        usleep(100 * 1000);
    }
    return -1;
}

const char *itest_name(const char *prefix)
{
    static char names[8][64];
    static unsigned counter;
    char *out = names[counter % 8];
    snprintf(out, sizeof names[0], "%s-%d-%u-%ld", prefix, (int)getpid(), counter++, (long)time(NULL) % 100000);
    return out;
}
