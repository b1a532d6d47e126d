/* The reconciliation pass (see reconcile.h). It first reads everything (Docker, then Neutron) and decides,
 * then acts, so that a failure to read anything removes nothing. */
#include "reconcile.h"

#include <ctype.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doubt.h"
#include "kuryr/binding.h"
#include "kuryr/log.h"
#include "mapping.h"
#include "metrics.h"
#include "names.h"
#include "vif_pool.h"

#define EXPOSED_SUFFIX "-exposed_ports"

typedef struct {
    kl_plugin *p;
    bool dry_run;
    const kl_docker_view *docker;
    json_t *report;
    kuryr_strv gone_ports;    /* ids of ports found orphaned (deleted or, in a dry run, to be) */
    kuryr_strv gone_subnets;  /* subnets that go with orphaned networks */
    time_t now;
    long min_age;
} pass;

/* Neutron's updated_at ("2026-11-27T01:00:00Z"); an object without one counts as old. */
static bool too_young(const pass *ps, json_t *raw)
{
    const char *ts = json_string_value(json_object_get(raw, "updated_at"));
    if (!ts)
        ts = json_string_value(json_object_get(raw, "created_at"));
    struct tm tm = {0};
    if (ps->min_age <= 0 || !ts || !strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm))
        return false;
    return difftime(ps->now, timegm(&tm)) < (double)ps->min_age;
}

static void strv_push(kuryr_strv *v, const char *s)
{
    char **nv = realloc(v->items, (v->n + 2) * sizeof(*nv));
    if (!nv)
        return;
    v->items = nv;
    nv[v->n] = strdup(s);
    if (nv[v->n])
        nv[++v->n] = NULL;
}

static bool is_hex_id(const char *s, size_t len)
{
    if (!s || strlen(s) < len)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* Adds {"id","name","action"} to report[kind]; a failed action goes to "errors" instead. */
static void note(pass *ps, const char *kind, const char *id, const char *name, const char *done, const char *would,
                 int rc, const kuryr_error *err)
{
    if (rc < 0) {
        json_array_append_new(json_object_get(ps->report, "errors"),
                              json_pack("{s:s,s:s,s:s}", "kind", kind, "id", id, "message", err->message));
        KLOG_WARN("reconcile: %s %s: %s", kind, id, err->message);
        return;
    }
    const char *action = ps->dry_run ? would : done;
    json_t *o = json_pack("{s:s,s:s}", "id", id, "action", action);
    if (name)
        json_object_set_new(o, "name", json_string(name));
    json_array_append_new(json_object_get(ps->report, kind), o);
    KLOG_INFO("reconcile: %s %s (%s): %s", kind, id, name ? name : "", action);
}

/* The Docker endpoint a kuryr port stands for: its device_id once bound, its "<EndpointID>-port" name, or for
 * a pool port in use its endpoint tags (vif_pool.h). */
static const char *port_endpoint(const kuryr_port *port, char buf[65])
{
    if (is_hex_id(port->device_id, 64) && strlen(port->device_id) == 64)
        return port->device_id;
    if ((!port->device_id || !*port->device_id) && kl_vif_pool_port_endpoint(port, buf) && is_hex_id(buf, 64))
        return buf;
    if (port->name && strlen(port->name) == 69 && is_hex_id(port->name, 64) && !strcmp(port->name + 64, "-port")) {
        snprintf(buf, 65, "%.64s", port->name);
        return buf;
    }
    return NULL;
}

/* Kuryr's by its device owner or tag, or an IPAM port whose create timed out and that Neutron made later: it
 * has no tag yet, only the create's description marker (doubt.h), which nothing but kuryr writes. */
static bool port_is_kuryrs(const kuryr_port *port)
{
    const char *desc = json_string_value(json_object_get(port->raw, "description"));
    return (port->device_owner && !strcmp(port->device_owner, KL_DEVICE_OWNER)) ||
           kuryr_strv_contains(&port->tags, KL_TAG_PORT_KURYR) ||
           (port->name && !strcmp(port->name, KL_UNBOUND_PORT_NAME) && kl_doubt_is_marker(desc));
}

static bool port_addresses_unknown(const pass *ps, const kuryr_port *port)
{
    for (size_t i = 0; i < port->n_fixed_ips; i++) {
        if (port->fixed_ips[i].ip_address && kl_docker_view_has_address(ps->docker, port->fixed_ips[i].ip_address))
            return false;
    }
    return true;
}

/* Removes one orphaned port: host side first (so no tap stays), then the port, or only its binding when the
 * user brought the port (kuryr.port.existing). */
static void drop_port(pass *ps, kuryr_port *port, const char *ep)
{
    kuryr_error err;
    kuryr_error_clear(&err);
    strv_push(&ps->gone_ports, port->id);
    bool existing = kuryr_strv_contains(&port->tags, KL_TAG_PORT_EXISTING);
    int rc = 0;
    if (!ps->dry_run) {
        if (port->binding_host_id && !strcmp(port->binding_host_id, ps->p->hostname)) {
            kuryr_bind_request br = {.port = port, .owner_id = ep ? ep : port->device_id};
            kuryr_error ignored;
            kuryr_error_clear(&ignored);
            if (kl_bind_request_prepare(ps->p, &br, &ignored) < 0 || kuryr_unbind(&ps->p->bcfg, &br, &ignored) < 0)
                KLOG_WARN("reconcile: unplugging port %s failed: %s", port->id, ignored.message);
        }
        if (existing) {
            json_t *attrs = json_pack("{s:s,s:s,s:s}", "device_owner", "", "device_id", "", "binding:host_id", "");
            rc = kuryr_neutron_port_update(ps->p->kn, port->id, attrs, NULL, &err);
            json_decref(attrs);
        } else {
            rc = kuryr_neutron_port_delete(ps->p->kn, port->id, &err);
            if (rc < 0 && err.kind == KURYR_ERR_NOT_FOUND)
                rc = 0;
        }
    }
    note(ps, "ports", port->id, port->name, existing ? "unbound" : "deleted",
         existing ? "would unbind" : "would delete", rc, &err);
}

static int sweep_ports(pass *ps, const kuryr_strv *orphan_nets, kuryr_error *err)
{
    kuryr_port_list l = {0};
    if (kuryr_neutron_port_list(ps->p->kn, NULL, &l, err) < 0)
        return -1;
    for (size_t i = 0; i < l.n; i++) {
        kuryr_port *port = l.items[i];
        if (!port_is_kuryrs(port))
            continue;
        char buf[65];
        const char *ep = port_endpoint(port, buf);
        bool orphan;
        if (port->network_id && kuryr_strv_contains(orphan_nets, port->network_id))
            orphan = true;
        else if (ep)
            orphan = !kl_docker_view_has_endpoint(ps->docker, ep);
        else  /* IPAM's address port, never bound: orphaned once Docker holds none of its addresses */
            orphan = port->name && !strcmp(port->name, KL_UNBOUND_PORT_NAME) &&
                     (!port->device_id || !*port->device_id) && port_addresses_unknown(ps, port);
        if (orphan && !too_young(ps, port->raw))
            drop_port(ps, port, ep);
    }
    kuryr_port_list_clear(&l);
    return 0;
}

static int sweep_security_groups(pass *ps, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "name");
    kuryr_query_field(q, "updated_at");
    kuryr_security_group_list l = {0};
    int rc = kuryr_neutron_security_group_list(ps->p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < l.n; i++) {
        const char *name = l.items[i]->name;
        size_t len = name ? strlen(name) : 0, sl = strlen(EXPOSED_SUFFIX);
        if (len <= sl || strcmp(name + len - sl, EXPOSED_SUFFIX) != 0 || too_young(ps, l.items[i]->raw))
            continue;
        char port_id[64];
        snprintf(port_id, sizeof(port_id), "%.*s", (int)(len - sl), name);
        kuryr_error e;
        kuryr_error_clear(&e);
        bool orphan = kuryr_strv_contains(&ps->gone_ports, port_id);
        if (!orphan) {
            kuryr_port *port = NULL;
            if (kuryr_neutron_port_get(ps->p->kn, port_id, &port, &e) < 0) {
                if (e.kind != KURYR_ERR_NOT_FOUND) {
                    note(ps, "security_groups", l.items[i]->id, name, "", "", -1, &e);
                    continue;
                }
                orphan = true;
            }
            kuryr_port_free(port);
        }
        if (!orphan)
            continue;
        int r = 0;
        if (!ps->dry_run) {
            kuryr_error_clear(&e);
            r = kuryr_neutron_security_group_delete(ps->p->kn, l.items[i]->id, &e);
            if (r < 0 && e.kind == KURYR_ERR_NOT_FOUND)
                r = 0;
        }
        note(ps, "security_groups", l.items[i]->id, name, "deleted", "would delete", r, &e);
    }
    kuryr_security_group_list_clear(&l);
    return 0;
}

/* The Docker id (or, for adopted networks and without tags, its prefix) a kuryr network stands for; NULL
 * for networks without kuryr's markers. */
static const char *net_docker_id(const kuryr_network *n, char buf[65], bool *adopted)
{
    const char *lh = NULL, *uh = NULL;
    *adopted = false;
    for (size_t i = 0; i < n->tags.n; i++) {
        const char *t = n->tags.items[i];
        if (!strncmp(t, KL_TAG_LH, strlen(KL_TAG_LH)))
            lh = t + strlen(KL_TAG_LH);
        else if (!strncmp(t, KL_TAG_UH, strlen(KL_TAG_UH)))
            uh = t + strlen(KL_TAG_UH);
        else if (!strncmp(t, KL_TAG_NET_EXISTING, strlen(KL_TAG_NET_EXISTING)) &&
                 is_hex_id(t + strlen(KL_TAG_NET_EXISTING), 12)) {
            *adopted = true;
            snprintf(buf, 65, "%.12s", t + strlen(KL_TAG_NET_EXISTING));
            return buf;
        }
    }
    bool named = n->name && !strncmp(n->name, KL_NET_NAME_PREFIX, strlen(KL_NET_NAME_PREFIX));
    if (!named)
        return NULL;
    if (lh && uh && is_hex_id(lh, 32) && is_hex_id(uh, 32)) {
        snprintf(buf, 65, "%.32s%.32s", lh, uh);
        return buf;
    }
    const char *id8 = n->name + strlen(KL_NET_NAME_PREFIX);
    if (strlen(id8) != 8 || !is_hex_id(id8, 8))
        return NULL;
    snprintf(buf, 65, "%s", id8);
    return buf;
}

/* Kuryr's subnets of a network, noted as going with it; their pools become candidates. */
static int collect_subnets(pass *ps, const char *net_id, bool delete_each, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "network_id", net_id);
    kuryr_subnet_list l = {0};
    int rc = kuryr_neutron_subnet_list(ps->p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < l.n; i++) {
        const char *name = l.items[i]->name;
        if (!name || strncmp(name, KL_SUBNET_NAME_PREFIX, strlen(KL_SUBNET_NAME_PREFIX)) != 0)
            continue;
        strv_push(&ps->gone_subnets, l.items[i]->id);
        kuryr_error e;
        kuryr_error_clear(&e);
        int r = 0;
        if (delete_each && !ps->dry_run) {
            r = kuryr_neutron_subnet_delete(ps->p->kn, l.items[i]->id, &e);
            if (r < 0 && e.kind == KURYR_ERR_NOT_FOUND)
                r = 0;
        }
        note(ps, "subnets", l.items[i]->id, name, "deleted", "would delete", r, &e);
    }
    kuryr_subnet_list_clear(&l);
    return 0;
}

static int find_orphan_networks(pass *ps, kuryr_network_list *l, kuryr_strv *orphans, kuryr_strv *adopted,
                                kuryr_error *err)
{
    if (kuryr_neutron_network_list(ps->p->kn, NULL, l, err) < 0)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        char buf[65];
        bool is_adopted;
        const char *did = net_docker_id(l->items[i], buf, &is_adopted);
        if (!did || kl_docker_view_has_network(ps->docker, did) || too_young(ps, l->items[i]->raw))
            continue;
        strv_push(is_adopted ? adopted : orphans, l->items[i]->id);
    }
    return 0;
}

static void drop_network(pass *ps, const kuryr_network *n, bool adopted)
{
    kuryr_error e;
    kuryr_error_clear(&e);
    int rc = collect_subnets(ps, n->id, adopted, &e);
    if (rc == 0 && !ps->dry_run) {
        if (adopted) {
            for (size_t i = 0; rc == 0 && i < n->tags.n; i++) {
                const char *t = n->tags.items[i];
                if (!strncmp(t, KL_TAG_LH, strlen(KL_TAG_LH)) || !strncmp(t, KL_TAG_UH, strlen(KL_TAG_UH)) ||
                    !strncmp(t, KL_TAG_NET_EXISTING, strlen(KL_TAG_NET_EXISTING)))
                    rc = kuryr_neutron_tag_remove(ps->p->kn, "networks", n->id, t, &e);
            }
        } else {
            rc = kuryr_neutron_network_delete(ps->p->kn, n->id, &e);
            if (rc < 0 && e.kind == KURYR_ERR_NOT_FOUND)
                rc = 0;
        }
        kl_subnet_cache_drop_net(ps->p, n->id);
    }
    note(ps, "networks", n->id, n->name, adopted ? "untagged" : "deleted", adopted ? "would untag" : "would delete",
         rc, &e);
}

/* A pool kuryr made that no subnet uses (once orphaned subnets are gone) and no Docker network names. */
static int sweep_pools(pass *ps, kuryr_error *err)
{
    const char *prefix = kuryr_config_get_str(ps->p->cfg, "DEFAULT", "subnetpool_name_prefix");
    kuryr_subnetpool_list l = {0};
    if (kuryr_neutron_subnetpool_list(ps->p->kn, NULL, &l, err) < 0)
        return -1;
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < l.n; i++) {
        kuryr_subnetpool *sp = l.items[i];
        if (!sp->name || !pl || strncmp(sp->name, prefix, pl) != 0 || sp->name[pl] != '-' ||
            kuryr_strv_contains(&sp->tags, KL_TAG_POOL_EXISTING) || too_young(ps, sp->raw))
            continue;
        bool named = false;
        for (size_t k = 0; k < sp->prefixes.n; k++)
            named = named || kl_docker_view_has_pool_cidr(ps->docker, sp->prefixes.items[k]);
        if (named)
            continue;
        kuryr_error e;
        kuryr_error_clear(&e);
        const char *fields[] = {"id", NULL};
        kuryr_subnet_list subs = {0};
        if (kl_pool_subnets(ps->p, sp->id, NULL, fields, &subs, &e) < 0) {
            note(ps, "subnetpools", sp->id, sp->name, "", "", -1, &e);
            continue;
        }
        bool used = false;
        for (size_t k = 0; k < subs.n; k++)
            used = used || !kuryr_strv_contains(&ps->gone_subnets, subs.items[k]->id);
        kuryr_subnet_list_clear(&subs);
        if (used)
            continue;
        int rc = 0;
        bool deleted = true;
        if (!ps->dry_run)
            rc = kl_pool_delete_if_ours(ps->p, sp->id, &deleted, &e);
        if (rc == 0 && !deleted)
            continue;  /* still held by a subnet: left for a later pass */
        note(ps, "subnetpools", sp->id, sp->name, "deleted", "would delete", rc, &e);
    }
    kuryr_subnetpool_list_clear(&l);
    return 0;
}

/* Host veths named like kuryr's taps whose port Neutron no longer has (or is removing now). */
static int sweep_taps(pass *ps, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_field(q, "id");
    kuryr_port_list ports = {0};
    int rc = kuryr_neutron_port_list(ps->p->kn, q, &ports, err);
    kuryr_query_free(q);
    if (rc < 0)
        return -1;
    struct nl_sock *sk = nl_socket_alloc();
    struct nl_cache *cache = NULL;
    if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0 || rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) < 0) {
        kuryr_port_list_clear(&ports);
        if (sk)
            nl_socket_free(sk);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot list the host's links");
    }
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_link *link = (struct rtnl_link *)o;
        const char *name = rtnl_link_get_name(link), *type = rtnl_link_get_type(link);
        if (!name || strncmp(name, "tap", 3) != 0 || strlen(name) != 14 || !type || strcmp(type, "veth") != 0)
            continue;
        const char *id11 = name + 3;
        bool known = false;
        for (size_t i = 0; !known && i < ports.n; i++) {
            known = !strncmp(ports.items[i]->id, id11, 11) && !kuryr_strv_contains(&ps->gone_ports, ports.items[i]->id);
        }
        if (known)
            continue;
        kuryr_error e;
        kuryr_error_clear(&e);
        int r = 0;
        if (!ps->dry_run) {
            int nlr = rtnl_link_delete(sk, link);
            if (nlr < 0 && nlr != -NLE_NODEV && nlr != -NLE_OBJ_NOTFOUND)
                r = kuryr_error_set(&e, KURYR_ERR_INTERNAL, 0, NULL, "deleting link %s: %s", name, nl_geterror(nlr));
        }
        note(ps, "taps", name, name, "deleted", "would delete", r, &e);
    }
    nl_cache_free(cache);
    nl_socket_free(sk);
    kuryr_port_list_clear(&ports);
    return 0;
}

int kuryr_reconcile(kl_plugin *p, bool dry_run, json_t **report, kuryr_error *err)
{
    kl_docker_view docker;
    if (kl_docker_view_load(p, NULL, &docker, err) < 0)
        return kl_err_wrap(err, "reconcile: asking Docker failed");
    pass ps = {.p = p, .dry_run = dry_run, .docker = &docker, .now = time(NULL),
               .min_age = kuryr_config_get_int(p->cfg, "DEFAULT", "reconcile_min_age")};
    ps.report = json_pack("{s:b,s:[],s:[],s:[],s:[],s:[],s:[],s:[]}", "dry_run", dry_run, "ports",
                          "security_groups", "subnets", "subnetpools", "networks", "taps", "errors");
    kuryr_network_list nets = {0};
    kuryr_strv orphans = {0}, adopted = {0};
    int rc = -1;
    if (find_orphan_networks(&ps, &nets, &orphans, &adopted, err) < 0 || sweep_ports(&ps, &orphans, err) < 0 ||
        sweep_security_groups(&ps, err) < 0)
        goto out;
    for (size_t i = 0; i < nets.n; i++) {
        bool o = kuryr_strv_contains(&orphans, nets.items[i]->id), a = kuryr_strv_contains(&adopted, nets.items[i]->id);
        if (o || a)
            drop_network(&ps, nets.items[i], a);
    }
    if (sweep_pools(&ps, err) < 0 || sweep_taps(&ps, err) < 0)
        goto out;
    rc = 0;
    /* Every object listed in the report, removed or (in a dry run) to be: the figure /metrics exposes. */
    unsigned long found = 0;
    const char *kinds[] = {"ports", "security_groups", "subnets", "subnetpools", "networks", "taps"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        found += json_array_size(json_object_get(ps.report, kinds[i]));
    kl_metrics_orphans_found(found);
out:
    if (rc < 0)
        kl_err_wrap(err, "reconcile");
    kuryr_network_list_clear(&nets);
    kuryr_strv_clear(&orphans);
    kuryr_strv_clear(&adopted);
    kuryr_strv_clear(&ps.gone_ports);
    kuryr_strv_clear(&ps.gone_subnets);
    kl_docker_view_clear(&docker);
    if (rc == 0 && report)
        *report = ps.report;
    else
        json_decref(ps.report);
    return rc;
}

void kl_reconcile_startup(kl_plugin *p)
{
    if (!kuryr_config_get_bool(p->cfg, "DEFAULT", "reconcile_on_startup"))
        return;
    kuryr_error err;
    kuryr_error_clear(&err);
    json_t *report = NULL;
    if (kuryr_reconcile(p, false, &report, &err) < 0) {
        KLOG_WARN("start-up reconciliation skipped: %s", err.message);
        return;
    }
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(report, key, v) {
        if (json_is_array(v) && strcmp(key, "errors") != 0)
            n += json_array_size(v);
    }
    KLOG_INFO("start-up reconciliation removed %zu orphan(s), %zu error(s)", n,
              json_array_size(json_object_get(report, "errors")));
    json_decref(report);
}
