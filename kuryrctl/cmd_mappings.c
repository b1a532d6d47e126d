/* kuryrctl networks / ports: Docker's IDs side by side with Neutron's, found by upstream's names and tags
 * (kuryr-net-<id8> tagged kuryr.net.uuid.lh/uh; a bound port's device_id is its EndpointID, and ports kuryr
 * created itself are also named <EndpointID>-port). Neutron objects with kuryr's
 * markers that no Docker object claims are listed as orphans (kuryrctl gc removes them) when they are this
 * host's, and under their host's name when another host owns them (ownership.h). */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "kuryr/owner.h"
#include "ownership.h"
#include "render.h"
#include "vif_pool.h"

#define TAG_LH "kuryr.net.uuid.lh:"
#define TAG_EXISTING "kuryr.net.existing:"
#define NET_PREFIX "kuryr-net-"

static const kc_column net_cols[] = {{"docker_name", "DOCKER NAME"},   {"docker_id", "DOCKER ID"},
                                     {"neutron_id", "NEUTRON ID"},     {"neutron_name", "NEUTRON NAME"},
                                     {"status", "STATUS"},             {"existing", "EXISTING"},
                                     {"state", "STATE"}};
static const kc_column port_cols[] = {{"container", "CONTAINER"}, {"endpoint_id", "ENDPOINT"},
                                      {"network", "NETWORK"},     {"port_id", "NEUTRON PORT"},
                                      {"status", "STATUS"},       {"ip", "IP"},
                                      {"host", "HOST"},           {"state", "STATE"}};

static int fail_unreachable(const kuryr_error *err)
{
    fprintf(stderr, "kuryrctl: %s\n", err->message);
    return err->kind == KURYR_ERR_UNAVAILABLE || err->kind == KURYR_ERR_UNAUTHORIZED ? KC_EXIT_UNREACHABLE
                                                                                      : KC_EXIT_PROBLEMS;
}

/* Every Docker network: other kuryr daemons with other plugin names share Neutron, so an object is an orphan
 * only when no Docker network at all claims it. */
static json_t *docker_networks(kc_ctx *c, kuryr_error *err)
{
    return kc_docker_get(c, "/networks", err);
}

static bool ours(kc_ctx *c, json_t *dnet)
{
    const char *drv = json_string_value(json_object_get(dnet, "Driver"));
    return drv && !strcmp(drv, c->driver);
}

static char *short_id(const char *id, char *buf)
{
    snprintf(buf, 13, "%.12s", id ? id : "");
    return buf;
}

/* The Docker id a kuryr network's tags point at, as its first 32 characters ("" if untagged). */
static void tag_half(const kuryr_network *n, char out[33])
{
    out[0] = '\0';
    for (size_t t = 0; t < n->tags.n; t++) {
        if (!strncmp(n->tags.items[t], TAG_LH, strlen(TAG_LH)))
            snprintf(out, 33, "%s", n->tags.items[t] + strlen(TAG_LH));
    }
}

static bool is_existing(const kuryr_network *n)
{
    for (size_t t = 0; t < n->tags.n; t++) {
        if (!strncmp(n->tags.items[t], TAG_EXISTING, strlen(TAG_EXISTING)))
            return true;
    }
    return false;
}

/* The Docker network a Neutron network belongs to: by the lh tag, or for adopted ones by kuryr.net.existing. */
static json_t *owner_of(json_t *dnets, const kuryr_network *n)
{
    char half[33];
    tag_half(n, half);
    size_t i;
    json_t *d;
    json_array_foreach(dnets, i, d) {
        const char *id = json_string_value(json_object_get(d, "Id"));
        if (!id)
            continue;
        if (half[0] && !strncmp(id, half, 32))
            return d;
        for (size_t t = 0; t < n->tags.n; t++) {
            const char *tag = n->tags.items[t];
            if (!strncmp(tag, TAG_EXISTING, strlen(TAG_EXISTING)) && strlen(tag + strlen(TAG_EXISTING)) >= 12 &&
                !strncmp(id, tag + strlen(TAG_EXISTING), 12))
                return d;
        }
    }
    return NULL;
}

static bool kuryr_marked(const kuryr_network *n)
{
    char half[33];
    tag_half(n, half);
    return half[0] || is_existing(n) || (n->name && !strncmp(n->name, NET_PREFIX, strlen(NET_PREFIX)));
}

int kc_cmd_networks(kc_ctx *c)
{
    kuryr_error err;
    kuryr_error_clear(&err);
    json_t *dnets = docker_networks(c, &err);
    if (!dnets)
        return fail_unreachable(&err);
    kuryr_neutron *kn = kc_neutron(c, &err);
    kuryr_network_list nets = {0};
    kuryr_query *q = kuryr_query_new();
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "name");
    kuryr_query_field(q, "status");
    kuryr_query_field(q, "tags");
    int rc = kn ? kuryr_neutron_network_list(kn, q, &nets, &err) : -1;
    kuryr_query_free(q);
    if (rc < 0) {
        json_decref(dnets);
        return fail_unreachable(&err);
    }

    json_t *rows = json_array();
    bool problems = false;
    bool *claimed = calloc(json_array_size(dnets) + 1, sizeof(bool));
    char sid[13], host[KURYR_OWNER_LEN];
    kuryr_owner_host(c->cfg, host);
    for (size_t k = 0; k < nets.n; k++) {
        kuryr_network *n = nets.items[k];
        if (!kuryr_marked(n))
            continue;
        json_t *d = owner_of(dnets, n);
        if (d && !ours(c, d))
            continue;
        size_t di;
        json_t *x;
        json_array_foreach(dnets, di, x) if (x == d) claimed[di] = true;
        /* another host's network is listed, by its host's name, but is no problem of this host's */
        const char *other = d ? NULL : kc_other_owner(&n->tags, NULL, host);
        if (!d && !other)
            problems = true;
        json_array_append_new(rows, json_pack("{s:s?, s:s?, s:s, s:s?, s:s?, s:b, s:s}", "docker_name",
                                              d ? json_string_value(json_object_get(d, "Name")) : NULL, "docker_id",
                                              d ? short_id(json_string_value(json_object_get(d, "Id")), sid) : NULL,
                                              "neutron_id", n->id, "neutron_name", n->name, "status", n->status,
                                              "existing", is_existing(n), "state", d ? "ok" : other ? other : "orphan"));
    }
    size_t di;
    json_t *d;
    json_array_foreach(dnets, di, d) {
        if (claimed[di] || !ours(c, d))
            continue;
        problems = true;
        json_array_append_new(rows, json_pack("{s:s?, s:s, s:n, s:n, s:n, s:b, s:s}", "docker_name",
                                              json_string_value(json_object_get(d, "Name")), "docker_id",
                                              short_id(json_string_value(json_object_get(d, "Id")), sid),
                                              "neutron_id", "neutron_name", "status", "existing", false, "state",
                                              "missing in neutron"));
    }
    free(claimed);
    kc_render(stdout, rows, net_cols, sizeof(net_cols) / sizeof(net_cols[0]), c->args.json);
    json_decref(rows);
    json_decref(dnets);
    kuryr_network_list_clear(&nets);
    return problems ? KC_EXIT_PROBLEMS : KC_EXIT_OK;
}

/* Every endpoint of every Docker network: {"endpoint_id", "container", "network", "ip", "ours"}. */
static json_t *docker_endpoints(kc_ctx *c, json_t *dnets, kuryr_error *err)
{
    json_t *eps = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(dnets, i, n) {
        const char *drv = json_string_value(json_object_get(n, "Driver"));
        if (drv && (!strcmp(drv, "null") || !strcmp(drv, "host")))
            continue; /* no endpoints of their own */
        char path[128];
        snprintf(path, sizeof(path), "/networks/%s", json_string_value(json_object_get(n, "Id")));
        json_t *full = kc_docker_get(c, path, err);
        if (!full) {
            if (err->kind == KURYR_ERR_NOT_FOUND)
                continue; /* removed while we looked */
            json_decref(eps);
            return NULL;
        }
        const char *cid;
        json_t *ct;
        json_object_foreach(json_object_get(full, "Containers"), cid, ct) {
            json_array_append_new(eps, json_pack("{s:b, s:s?, s:s?, s:s?, s:s?}", "ours", ours(c, n), "endpoint_id",
                                                 json_string_value(json_object_get(ct, "EndpointID")), "container",
                                                 json_string_value(json_object_get(ct, "Name")), "network",
                                                 json_string_value(json_object_get(n, "Name")), "ip",
                                                 json_string_value(json_object_get(ct, "IPv4Address"))));
        }
        json_decref(full);
    }
    return eps;
}

/* The endpoint a port serves (its device_id, or a pool port's endpoint tags), "" when none. */
static void port_endpoint(const kuryr_port *port, char out[65])
{
    if (!kl_vif_pool_port_endpoint(port, out))
        out[0] = '\0';
}

int kc_cmd_ports(kc_ctx *c)
{
    kuryr_error err;
    kuryr_error_clear(&err);
    json_t *dnets = docker_networks(c, &err);
    json_t *eps = dnets ? docker_endpoints(c, dnets, &err) : NULL;
    json_decref(dnets);
    if (!eps)
        return fail_unreachable(&err);
    kuryr_neutron *kn = kc_neutron(c, &err);
    kuryr_port_list ports = {0};
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "device_owner", "compute:kuryr");
    int rc = kn ? kuryr_neutron_port_list(kn, q, &ports, &err) : -1;
    kuryr_query_free(q);
    if (rc < 0) {
        json_decref(eps);
        return fail_unreachable(&err);
    }

    json_t *rows = json_array();
    bool problems = false;
    bool *used = calloc(ports.n + 1, sizeof(bool));
    size_t i;
    json_t *ep;
    char sid[13], host[KURYR_OWNER_LEN];
    kuryr_owner_host(c->cfg, host);
    json_array_foreach(eps, i, ep) {
        const char *eid = json_string_value(json_object_get(ep, "endpoint_id"));
        char want[160];
        snprintf(want, sizeof(want), "%s-port", eid ? eid : "");
        kuryr_port *p = NULL;
        for (size_t k = 0; k < ports.n; k++) {
            const kuryr_port *cand = ports.items[k];
            char user[65];
            port_endpoint(cand, user);
            if ((eid && *user && !strcmp(user, eid)) || (cand->name && !strcmp(cand->name, want))) {
                p = ports.items[k];
                used[k] = true;
            }
        }
        if (!json_is_true(json_object_get(ep, "ours")))
            continue;
        if (!p)
            problems = true;
        json_array_append_new(rows, json_pack("{s:O?, s:s, s:O?, s:s?, s:s?, s:O?, s:s?, s:s}", "container",
                                              json_object_get(ep, "container"), "endpoint_id", short_id(eid, sid),
                                              "network", json_object_get(ep, "network"), "port_id", p ? p->id : NULL,
                                              "status", p ? p->status : NULL, "ip", json_object_get(ep, "ip"), "host",
                                              p ? p->binding_host_id : NULL, "state",
                                              p ? "ok" : "missing in neutron"));
    }
    for (size_t k = 0; k < ports.n; k++) {
        kuryr_port *p = ports.items[k];
        if (used[k])
            continue;
        char user[65];
        port_endpoint(p, user);
        /* a pool port no container uses is waiting for one, not lost */
        bool ready = !*user && kl_vif_pool_port_is_pooled(p);
        /* another host's port: its Docker is not the one asked here */
        const char *other = kc_other_owner(&p->tags, p->binding_host_id, host);
        problems = problems || (!ready && !other);
        json_array_append_new(rows, json_pack("{s:n, s:s?, s:n, s:s, s:s?, s:s?, s:s?, s:s}", "container",
                                              "endpoint_id", *user ? short_id(user, sid) : NULL, "network",
                                              "port_id", p->id, "status", p->status, "ip",
                                              p->n_fixed_ips ? p->fixed_ips[0].ip_address : NULL, "host",
                                              p->binding_host_id, "state",
                                              other ? other : ready ? "ready (pool)" : "orphan"));
    }
    free(used);
    kc_render(stdout, rows, port_cols, sizeof(port_cols) / sizeof(port_cols[0]), c->args.json);
    json_decref(rows);
    json_decref(eps);
    kuryr_port_list_clear(&ports);
    return problems ? KC_EXIT_PROBLEMS : KC_EXIT_OK;
}
