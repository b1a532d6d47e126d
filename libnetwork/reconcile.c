/* The reconciliation pass (see reconcile.h). It first reads everything (Docker, then Neutron) and decides,
 * then acts, so that a failure to read anything removes nothing. It judges only what this host provably owns
 * (kuryr/owner.h): another host's objects are never listed as orphans, whatever this host's Docker says. */
#include "reconcile.h"

#include <ctype.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kuryr/doubt.h"
#include "kuryr/binding.h"
#include "kuryr/log.h"
#include "kuryr/owner.h"
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
    kuryr_strv let_go;        /* networks other hosts still mark: only this host's marker and ports go */
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
 * has no tag yet, only the create's description marker (kuryr/doubt.h), which nothing but kuryr writes. And this
 * host's: bound here, or unbound with this host's marker (kl_port_is_mine). */
static bool port_is_ours(const pass *ps, const kuryr_port *port)
{
    const char *desc = json_string_value(json_object_get(port->raw, "description"));
    bool kuryrs = (port->device_owner && !strcmp(port->device_owner, KL_DEVICE_OWNER)) ||
                  kuryr_strv_contains(&port->tags, KL_TAG_PORT_KURYR) ||
                  (port->name && !strcmp(port->name, KL_UNBOUND_PORT_NAME) && kuryr_doubt_is_marker(desc));
    return kuryrs && kl_port_is_mine(ps->p, port);
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

/* Appends the ports matching key=value to l, skipping ids already there. */
static int list_ports_into(pass *ps, const char *key, const char *value, kuryr_port_list *l, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, key, value);
    kuryr_port_list more = {0};
    int rc = kuryr_neutron_port_list(ps->p->kn, q, &more, err);
    kuryr_query_free(q);
    if (rc < 0)
        return -1;
    kuryr_port **items = realloc(l->items, (l->n + more.n + 1) * sizeof(*items));
    if (!items) {
        kuryr_port_list_clear(&more);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    }
    l->items = items;
    for (size_t i = 0; i < more.n; i++) {
        bool dup = false;
        for (size_t k = 0; k < l->n && !dup; k++)
            dup = strcmp(l->items[k]->id, more.items[i]->id) == 0;
        if (dup) {
            kuryr_port_free(more.items[i]);
        } else {
            l->items[l->n++] = more.items[i];
        }
        more.items[i] = NULL;
    }
    l->items[l->n] = NULL;
    more.n = 0;
    kuryr_port_list_clear(&more);
    return 0;
}

/* The candidates: ports bound to this host, unbound ones with its marker, and (only when Neutron takes no
 * tags in a create body, so that a late create has no marker tag) the unbound IPAM ports, whose description
 * tells their host. Each query is filtered by Neutron: a pass costs what this host has, not the project. */
static int list_our_ports(pass *ps, kuryr_port_list *l, kuryr_error *err)
{
    if (list_ports_into(ps, "binding:host_id", ps->p->hostname, l, err) < 0 ||
        list_ports_into(ps, "tags", ps->p->owner, l, err) < 0)
        return -1;
    if (!kuryr_neutron_tags_in_body(ps->p->kn))
        return list_ports_into(ps, "name", KL_UNBOUND_PORT_NAME, l, err);
    return 0;
}

static int sweep_ports(pass *ps, const kuryr_strv *orphan_nets, kuryr_error *err)
{
    kuryr_port_list l = {0};
    if (list_our_ports(ps, &l, err) < 0) {
        kuryr_port_list_clear(&l);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        kuryr_port *port = l.items[i];
        if (!port_is_ours(ps, port))
            continue;
        char buf[65];
        const char *ep = port_endpoint(port, buf);
        bool orphan;
        if (port->network_id && (kuryr_strv_contains(orphan_nets, port->network_id) ||
                                 kuryr_strv_contains(&ps->let_go, port->network_id)))
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

static void drop_security_group(pass *ps, const kuryr_security_group *sg)
{
    kuryr_error e;
    kuryr_error_clear(&e);
    int r = 0;
    if (!ps->dry_run) {
        r = kuryr_neutron_security_group_delete(ps->p->kn, sg->id, &e);
        if (r < 0 && e.kind == KURYR_ERR_NOT_FOUND)
            r = 0;
    }
    note(ps, "security_groups", sg->id, sg->name, "deleted", "would delete", r, &e);
}

static kuryr_query *sg_query(const char *key, const char *value)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, key, value);
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "name");
    kuryr_query_field(q, "description");
    kuryr_query_field(q, "updated_at");
    return q;
}

/* Whether the port an exposed-ports group is named after is gone: orphaned by this pass, or no longer in
 * Neutron. -1 when Neutron cannot tell. */
static int sg_port_gone(pass *ps, const char *port_id, kuryr_error *e)
{
    if (kuryr_strv_contains(&ps->gone_ports, port_id))
        return 1;
    kuryr_port *port = NULL;
    if (kuryr_neutron_port_get(ps->p->kn, port_id, &port, e) < 0)
        return e->kind == KURYR_ERR_NOT_FOUND ? 1 : -1;
    kuryr_port_free(port);
    return 0;
}

/* Exposed-ports groups: this host's by the marker in their description, whose port is gone; and, without a
 * marker (made by upstream or an older release), those of the ports this pass found orphaned, which were
 * this host's. A group of a port that is simply gone and carries no marker could be any host's: left. */
static int sweep_security_groups(pass *ps, kuryr_error *err)
{
    kuryr_query *q = sg_query("description", ps->p->owner);
    kuryr_security_group_list l = {0};
    int rc = kuryr_neutron_security_group_list(ps->p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return -1;
    size_t sl = strlen(EXPOSED_SUFFIX);
    for (size_t i = 0; i < l.n; i++) {
        const char *name = l.items[i]->name, *desc = json_string_value(json_object_get(l.items[i]->raw, "description"));
        size_t len = name ? strlen(name) : 0;
        if (len <= sl || len - sl >= 64 || strcmp(name + len - sl, EXPOSED_SUFFIX) != 0 || !desc ||
            strcmp(desc, ps->p->owner) != 0 || too_young(ps, l.items[i]->raw))
            continue;
        char port_id[64];
        snprintf(port_id, sizeof(port_id), "%.*s", (int)(len - sl), name);
        kuryr_error e;
        kuryr_error_clear(&e);
        int gone = sg_port_gone(ps, port_id, &e);
        if (gone < 0)
            note(ps, "security_groups", l.items[i]->id, name, "", "", -1, &e);
        else if (gone)
            drop_security_group(ps, l.items[i]);
    }
    kuryr_security_group_list_clear(&l);
    for (size_t i = 0; i < ps->gone_ports.n; i++) {
        char name[KL_NAME_LEN];
        kl_sg_name(name, ps->gone_ports.items[i]);
        q = sg_query("name", name);
        kuryr_security_group_list g = {0};
        rc = kuryr_neutron_security_group_list(ps->p->kn, q, &g, err);
        kuryr_query_free(q);
        if (rc < 0)
            return -1;
        for (size_t k = 0; k < g.n; k++) {
            const char *desc = json_string_value(json_object_get(g.items[k]->raw, "description"));
            if (!g.items[k]->name || strcmp(g.items[k]->name, name) != 0)
                continue;
            if (!desc || strcmp(desc, ps->p->owner) != 0) /* ours with the marker went above */
                drop_security_group(ps, g.items[k]);
        }
        kuryr_security_group_list_clear(&g);
    }
    return 0;
}

typedef enum { NET_NOT_KURYRS, NET_UNKNOWN, NET_KNOWN, NET_KNOWN_BY_NAME } net_view;

static const char *after(const char *t, const char *prefix)
{
    return strncmp(t, prefix, strlen(prefix)) == 0 ? t + strlen(prefix) : NULL;
}

/* Whether this host's Docker knows a kuryr network. A network may stand for several Docker networks (one per
 * host that uses it: global scope, or adopted with -o neutron.net.uuid), so every lh/uh pair and every
 * kuryr.net.existing id is tried. Without tags, the "kuryr-net-<id8>" name is all there is (NET_KNOWN_BY_NAME
 * when it matches: 8 characters could be another host's id). *adopted: it carries kuryr.net.existing. */
static net_view net_docker_view(const pass *ps, const kuryr_network *n, bool *adopted)
{
    bool kuryrs = false;
    *adopted = false;
    for (size_t i = 0; i < n->tags.n; i++) {
        const char *lh = after(n->tags.items[i], KL_TAG_LH), *ex = after(n->tags.items[i], KL_TAG_NET_EXISTING);
        if (ex && is_hex_id(ex, 12)) {
            kuryrs = *adopted = true;
            char id12[13];
            snprintf(id12, sizeof(id12), "%.12s", ex);
            if (kl_docker_view_has_network(ps->docker, id12))
                return NET_KNOWN;
        }
        for (size_t k = 0; lh && is_hex_id(lh, 32) && k < n->tags.n; k++) {
            const char *uh = after(n->tags.items[k], KL_TAG_UH);
            if (!uh || !is_hex_id(uh, 32))
                continue;
            kuryrs = true;
            char id[65];
            snprintf(id, sizeof(id), "%.32s%.32s", lh, uh);
            if (kl_docker_view_has_network(ps->docker, id))
                return NET_KNOWN;
        }
    }
    if (kuryrs)
        return NET_UNKNOWN;
    const char *id8 = n->name ? after(n->name, KL_NET_NAME_PREFIX) : NULL;
    if (!id8 || strlen(id8) != 8 || !is_hex_id(id8, 8))
        return NET_NOT_KURYRS;
    return kl_docker_view_has_network(ps->docker, id8) ? NET_KNOWN_BY_NAME : NET_UNKNOWN;
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

/* Marks a network this host's Docker uses that no host marks: one made by upstream or an older release. Its
 * Docker id proves the use. */
static void adopt_network(pass *ps, const kuryr_network *n)
{
    kuryr_error e;
    kuryr_error_clear(&e);
    int rc = ps->dry_run ? 0 : kuryr_neutron_tag_add(ps->p->kn, "networks", n->id, ps->p->owner, &e);
    note(ps, "adopted", n->id, n->name, "marked", "would mark", rc, &e);
}

/* Sorts kuryr's networks: those this host marks and its Docker no longer knows are orphans (or, when other
 * hosts mark them too, only let go); those its Docker knows without its marker are marked. A network without
 * this host's marker that its Docker does not know is another host's, or an upstream one no host can be
 * proved to own: never touched. */
static int find_orphan_networks(pass *ps, kuryr_network_list *l, kuryr_strv *orphans, kuryr_strv *adopted,
                                kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "name");
    kuryr_query_field(q, "tags");
    kuryr_query_field(q, "updated_at");
    kuryr_query_field(q, "created_at");
    int rc = kuryr_neutron_network_list(ps->p->kn, q, l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        const kuryr_network *n = l->items[i];
        bool is_adopted;
        net_view v = net_docker_view(ps, n, &is_adopted);
        if (v == NET_NOT_KURYRS)
            continue;
        bool mine = kuryr_owner_tagged(&n->tags, KURYR_OWNER_HOST, ps->p->hostname);
        if (v != NET_UNKNOWN) {
            /* only a network no host marks: marking one another host owns would keep it from that host's
             * clean-up (a network goes with the last host that marks it) */
            if (v == NET_KNOWN && !kuryr_owner_any(&n->tags, KURYR_OWNER_HOST))
                adopt_network(ps, n);
            continue;
        }
        if (!mine || too_young(ps, n->raw))
            continue;
        if (kuryr_owner_others(&n->tags, KURYR_OWNER_HOST, ps->p->hostname))
            strv_push(&ps->let_go, n->id);
        else
            strv_push(is_adopted ? adopted : orphans, n->id);
    }
    return 0;
}

/* Another host still uses the network: only this host's marker goes (its ports went in sweep_ports). */
static void let_go_network(pass *ps, const kuryr_network *n)
{
    kuryr_error e;
    kuryr_error_clear(&e);
    int rc = 0;
    if (!ps->dry_run) {
        rc = kuryr_neutron_tag_remove(ps->p->kn, "networks", n->id, ps->p->owner, &e);
        if (rc < 0 && e.kind == KURYR_ERR_NOT_FOUND)
            rc = 0;
        kl_subnet_cache_drop_net(ps->p, n->id);
    }
    note(ps, "networks", n->id, n->name, "let go", "would let go", rc, &e);
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
                    !strncmp(t, KL_TAG_NET_EXISTING, strlen(KL_TAG_NET_EXISTING)) || !strcmp(t, ps->p->owner))
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
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "tags", ps->p->owner); /* this host's pools only; unmarked ones could be anyone's */
    int lrc = kuryr_neutron_subnetpool_list(ps->p->kn, q, &l, err);
    kuryr_query_free(q);
    if (lrc < 0)
        return -1;
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < l.n; i++) {
        kuryr_subnetpool *sp = l.items[i];
        if (!sp->name || !pl || strncmp(sp->name, prefix, pl) != 0 || sp->name[pl] != '-' ||
            kuryr_strv_contains(&sp->tags, KL_TAG_POOL_EXISTING) ||
            !kuryr_owner_tagged(&sp->tags, KURYR_OWNER_HOST, ps->p->hostname) || too_young(ps, sp->raw))
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

/* Whether a tap is this host's: its port was orphaned by this pass (so it was bound here), or the binding
 * wrote this host's marker as its ifalias. Linuxbridge DHCP and router taps, and another host's taps on a
 * shared kernel, look the same by name and are neither. */
static bool tap_is_ours(const pass *ps, struct rtnl_link *link, const char *id11)
{
    const char *alias = rtnl_link_get_ifalias(link);
    if (alias && !strcmp(alias, ps->p->owner))
        return true;
    for (size_t i = 0; i < ps->gone_ports.n; i++) {
        if (!strncmp(ps->gone_ports.items[i], id11, 11))
            return true;
    }
    return false;
}

/* Whether Neutron still binds a live port of this host to the tap. */
static bool tap_in_use(const pass *ps, const kuryr_port_list *ours, const char *id11)
{
    for (size_t i = 0; i < ours->n; i++) {
        const kuryr_port *port = ours->items[i];
        if (!strncmp(port->id, id11, 11) && port->binding_host_id && !strcmp(port->binding_host_id, ps->p->hostname) &&
            !kuryr_strv_contains(&ps->gone_ports, port->id))
            return true;
    }
    return false;
}

/* This host's veths whose port Neutron no longer binds here (or that this pass orphaned). The links are read
 * before the ports: a bind makes its port this host's before it makes the tap, so a tap seen here whose
 * port is live is always found live below. */
static int sweep_taps(pass *ps, kuryr_error *err)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct nl_cache *cache = NULL;
    if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0 || rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) < 0) {
        if (sk)
            nl_socket_free(sk);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot list the host's links");
    }
    kuryr_port_list ours = {0};
    int rc = list_ports_into(ps, "binding:host_id", ps->p->hostname, &ours, err);
    for (struct nl_object *o = nl_cache_get_first(cache); rc == 0 && o; o = nl_cache_get_next(o)) {
        struct rtnl_link *link = (struct rtnl_link *)o;
        const char *name = rtnl_link_get_name(link), *type = rtnl_link_get_type(link);
        if (!name || strncmp(name, "tap", 3) != 0 || strlen(name) != 14 || !type || strcmp(type, "veth") != 0)
            continue;
        const char *id11 = name + 3;
        if (!tap_is_ours(ps, link, id11) || tap_in_use(ps, &ours, id11))
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
    kuryr_port_list_clear(&ours);
    return rc;
}

int kuryr_reconcile(kl_plugin *p, bool dry_run, json_t **report, kuryr_error *err)
{
    kl_docker_view docker;
    if (kl_docker_view_load(p, NULL, &docker, err) < 0)
        return kl_err_wrap(err, "reconcile: asking Docker failed");
    pass ps = {.p = p, .dry_run = dry_run, .docker = &docker, .now = time(NULL),
               .min_age = kuryr_config_get_int(p->cfg, "DEFAULT", "reconcile_min_age")};
    ps.report = json_pack("{s:b,s:[],s:[],s:[],s:[],s:[],s:[],s:[],s:[]}", "dry_run", dry_run, "ports",
                          "security_groups", "subnets", "subnetpools", "networks", "taps", "adopted", "errors");
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
        else if (kuryr_strv_contains(&ps.let_go, nets.items[i]->id))
            let_go_network(&ps, nets.items[i]);
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
    kuryr_strv_clear(&ps.let_go);
    kl_docker_view_clear(&docker);
    if (rc == 0 && report)
        *report = ps.report;
    else
        json_decref(ps.report);
    return rc;
}

size_t kl_reconcile_report_count(json_t *report)
{
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(report, key, v) {
        if (json_is_array(v) && strcmp(key, "errors") != 0 && strcmp(key, "adopted") != 0)
            n += json_array_size(v);
    }
    return n;
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
    size_t n = kl_reconcile_report_count(report);
    KLOG_INFO("start-up reconciliation removed %zu orphan(s), %zu error(s)", n,
              json_array_size(json_object_get(report, "errors")));
    json_decref(report);
}
