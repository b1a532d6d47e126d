/* Endpoints: CreateEndpoint binds the port IPAM made to this host and plugs it; Join tells Docker which device
 * to move into the sandbox and the gateways and routes of the port's subnets. */
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "handlers.h"
#include "kuryr/fault.h"
#include "kuryr/http.h"
#include "kuryr/log.h"
#include "mapping.h"
#include "metrics.h"
#include "names.h"
#include "plugin.h"
#include "validate.h"
#include "vif_pool.h"

static int read_ids(json_t *req, const char **net, const char **ep, kuryr_error *err)
{
    if (kl_get_id(req, "NetworkID", net, err) < 0 || kl_get_id(req, "EndpointID", ep, err) < 0)
        return -1;
    kuryr_log_ctx_set("net", *net);
    kuryr_log_ctx_set("ep", *ep);
    return 0;
}

static int find_port_by(kl_plugin *p, const char *net_id, const char *key, const char *value, kuryr_port **out,
                        kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "network_id", net_id);
    kuryr_query_add(q, key, value);
    return kl_first_port(p, q, out, err);
}

/* The port's tags with the endpoint's pair added (add = true) or removed, for one replace call. */
static int set_endpoint_tags(kl_plugin *p, const kuryr_port *port, const char *ep, bool add, kuryr_error *err)
{
    char lh[KL_NAME_LEN], uh[KL_NAME_LEN];
    kl_tag_lh(lh, ep);
    kl_tag_uh(uh, ep);
    const char **tags = calloc(port->tags.n + 2, sizeof(*tags));
    if (!tags)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < port->tags.n; i++) {
        const char *t = port->tags.items[i];
        /* a port serves one endpoint: a recycled pool port still carries its previous endpoint's pair */
        bool other_ep =
            add && (!strncmp(t, KL_TAG_LH, strlen(KL_TAG_LH)) || !strncmp(t, KL_TAG_UH, strlen(KL_TAG_UH)));
        if (strcmp(t, lh) != 0 && strcmp(t, uh) != 0 && !other_ep)
            tags[n++] = t;
    }
    if (add) {
        tags[n++] = lh;
        tags[n++] = uh;
    }
    int rc = 0;
    if (add || n != port->tags.n)
        rc = kuryr_neutron_tags_replace(p->kn, "ports", port->id, tags, n, err);
    free(tags);
    return rc < 0 ? kl_err_wrap(err, "tagging the Neutron port failed") : 0;
}

/* Join's helper thread: set_endpoint_tags (add) for a pool port, under the request's id. */
typedef struct {
    kl_plugin *p;
    const kuryr_port *port;
    const char *ep;
    char request_id[64];
    int rc;
    unsigned long calls; /* Neutron requests it sent, for the request's count */
    kuryr_error err;
} tag_job;

static void *tag_job_run(void *arg)
{
    tag_job *job = arg;
    kuryr_log_request_id_set(job->request_id);
    job->rc = set_endpoint_tags(job->p, job->port, job->ep, true, &job->err);
    job->calls = kuryr_http_thread_requests();
    return NULL;
}

static int unbind_port_attrs(kl_plugin *p, const char *port_id, kuryr_error *err)
{
    json_t *attrs = json_pack("{s:s,s:s,s:s}", "device_owner", "", "device_id", "", "binding:host_id", "");
    int rc = kuryr_neutron_port_update(p->kn, port_id, attrs, NULL, err);
    json_decref(attrs);
    return rc;
}

/* Waits for Neutron to report the port ACTIVE, as Nova does with vif_plugging_is_fatal. */
static int wait_active(kl_plugin *p, const char *port_id, kuryr_error *err)
{
    long timeout = kuryr_config_get_int(p->cfg, "neutron", "vif_plugging_timeout");
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    /* Ports usually turn ACTIVE within 0.2 s (OVN) to 1 s (linuxbridge agent): poll early and often, then back
     * off to twice a second so that many waiting containers do not flood Neutron. */
    long pause_ms = 100;
    for (;;) {
        kuryr_port *port;
        if (kuryr_neutron_port_get(p->kn, port_id, &port, err) < 0)
            return kl_err_wrap(err, "checking the port status failed");
        bool active = port->status && strcmp(port->status, "ACTIVE") == 0;
        kuryr_port_free(port);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (active) {
            /* bench/ reports a container start with and without this wait */
            KLOG_INFO("port %s ACTIVE after %.3f s", port_id,
                      (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9);
            return 0;
        }
        if (timeout > 0 && now.tv_sec - start.tv_sec >= timeout)
            return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 0, NULL,
                                   "port %s did not become ACTIVE within %ld s", port_id, timeout);
        struct timespec pause = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
        if (pause_ms < 500)
            pause_ms += 100;
    }
}

/* What CreateEndpoint was given, checked: addresses without their prefix ("" when absent), mac NULL when
 * absent. */
typedef struct {
    const char *docker_net, *ep, *mac;
    char ip4[KL_ADDR_STRLEN], ip6[KL_ADDR_STRLEN];
    bool iface_given; /* Docker chose an address or a MAC itself */
} ep_request;

static int parse_endpoint_request(json_t *req, ep_request *r, kuryr_error *err)
{
    const char *addr4 = NULL, *addr6 = NULL;
    json_t *iface, *opts;
    r->mac = NULL;
    r->ip4[0] = r->ip6[0] = '\0';
    if (read_ids(req, &r->docker_net, &r->ep, err) < 0 || kl_get_obj(req, "Interface", &iface, err) < 0 ||
        kl_get_obj(req, "Options", &opts, err) < 0 || kl_get_str(iface, "Address", false, &addr4, err) < 0 ||
        kl_get_str(iface, "AddressIPv6", false, &addr6, err) < 0 ||
        kl_get_str(iface, "MacAddress", false, &r->mac, err) < 0)
        return -1;
    int f;
    if (addr4 && *addr4 && (!kl_valid_cidr(addr4, &f) || f != 4))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Interface.Address %s is not an IPv4 CIDR", addr4);
    if (addr6 && *addr6 && (!kl_valid_cidr(addr6, &f) || f != 6))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Interface.AddressIPv6 %s is not an IPv6 CIDR",
                               addr6);
    if (r->mac && *r->mac && !kl_valid_mac(r->mac))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Interface.MacAddress %s is not a MAC", r->mac);
    if (addr4 && *addr4)
        kl_addr_strip_prefix(addr4, r->ip4, sizeof(r->ip4));
    if (addr6 && *addr6)
        kl_addr_strip_prefix(addr6, r->ip6, sizeof(r->ip6));
    if (r->mac && !*r->mac)
        r->mac = NULL;
    r->iface_given = r->ip4[0] || r->ip6[0] || r->mac;
    return 0;
}

/* The endpoint's port through the steps of CreateEndpoint, and what a failure has to undo. */
typedef struct {
    kuryr_port *port;  /* as found or made */
    kuryr_port *bound; /* as bound to this host */
    bool fresh;        /* handed over by RequestAddress, not looked up */
    bool created;      /* made here: deleted on failure */
    bool retried;      /* already this endpoint's (a retried request): left as it is on failure */
    bool prebound;     /* a pool port bound to this host already: left to ReleaseAddress on failure */
} ep_port;

/* The port RequestAddress made for one of the endpoint's addresses, handed over to save a lookup. */
static kuryr_port *take_handed_port(kl_plugin *p, const ep_request *r, const char *net_id)
{
    kuryr_port *port = NULL;
    char key[KL_FRESH_KEY_LEN];
    for (int i = 0; i < 2 && !port; i++) {
        const char *ip = i ? r->ip6 : r->ip4;
        if (!ip[0])
            continue;
        kl_fresh_key_addr(key, net_id, ip);
        port = kl_fresh_port_take(p, key, net_id);
    }
    return port;
}

/* The port in Neutron: by address, which finds both the IPAM port and a retried request's port (its device_id
 * is already ep), else by MAC, else by device_id. NULL when none. */
static int look_up_port(kl_plugin *p, const ep_request *r, const char *net_id, kuryr_port **port, kuryr_error *err)
{
    char f1[96];
    for (int i = 0; i < 2 && !*port; i++) {
        const char *ip = i ? r->ip6 : r->ip4;
        if (!ip[0])
            continue;
        snprintf(f1, sizeof(f1), "ip_address=%s", ip);
        if (find_port_by(p, net_id, "fixed_ips", f1, port, err) < 0)
            return -1;
    }
    if (!*port && r->mac && find_port_by(p, net_id, "mac_address", r->mac, port, err) < 0)
        return -1;
    if (!*port && find_port_by(p, net_id, "device_id", r->ep, port, err) < 0)
        return -1;
    return 0;
}

/* No IPAM port (another IPAM driver, or one released under us): the endpoint's own, with its addresses. */
static int create_endpoint_port(kl_plugin *p, const ep_request *r, const char *net_id, kuryr_port **port,
                                kuryr_error *err)
{
    char name[KL_NAME_LEN];
    kl_endpoint_port_name(name, r->ep);
    json_t *attrs = json_pack("{s:s,s:s,s:b}", "network_id", net_id, "name", name, "admin_state_up", 1);
    json_t *ips = json_array();
    if (r->ip4[0])
        json_array_append_new(ips, json_pack("{s:s}", "ip_address", r->ip4));
    if (r->ip6[0])
        json_array_append_new(ips, json_pack("{s:s}", "ip_address", r->ip6));
    if (json_array_size(ips))
        json_object_set_new(attrs, "fixed_ips", ips);
    else
        json_decref(ips);
    if (r->mac)
        json_object_set_new(attrs, "mac_address", json_string(r->mac));
    int rc = kuryr_neutron_port_create(p->kn, attrs, port, err);
    json_decref(attrs);
    if (rc < 0)
        return kl_err_wrap(err, "creating the endpoint's Neutron port failed");
    KURYR_FAULT_POINT("create_endpoint.port_created");
    return 0;
}

/* e->port: the handed-over port (when use_handed), else the one found in Neutron, else a new one. A port
 * another endpoint uses is refused; nothing is left to undo then. */
static int locate_port(kl_plugin *p, const ep_request *r, const char *net_id, bool use_handed, ep_port *e,
                       kuryr_error *err)
{
    e->port = use_handed ? take_handed_port(p, r, net_id) : NULL;
    e->fresh = e->port != NULL;
    if (look_up_port(p, r, net_id, &e->port, err) < 0)
        return -1;
    char user[65];
    bool in_use = e->port && kl_vif_pool_port_endpoint(e->port, user);
    e->retried = in_use && strcmp(user, r->ep) == 0;
    if (in_use && !e->retried) {
        kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL, "port %s holding this address is in use by device %s",
                        e->port->id, user);
        kuryr_port_free(e->port);
        e->port = NULL;
        return -1;
    }
    if (!e->port) {
        if (create_endpoint_port(p, r, net_id, &e->port, err) < 0)
            return -1;
        e->created = true;
    }
    kuryr_log_ctx_set("port", e->port->id);
    kl_fresh_port_drop_id(p, e->port->id); /* its other family's entry, or one a MAC lookup made stale */
    return 0;
}

/* Binds e->port to this host as the endpoint's device (e->bound). A pool port bound here already needs only
 * the endpoint's tags, which Join adds (and a MAC of Docker's, when Docker still sends one, takes an unbind
 * and a new bind: vif_pool.h). */
static int bind_to_host(kl_plugin *p, const ep_request *r, ep_port *e, kuryr_error *err)
{
    kuryr_port *port = e->port;
    bool pooled = kl_vif_pool_port_is_pooled(port);
    bool new_mac = r->mac && (!port->mac_address || strcasecmp(port->mac_address, r->mac) != 0);
    e->prebound = pooled && port->binding_host_id && strcmp(port->binding_host_id, p->hostname) == 0 && !new_mac;
    if (e->prebound) {
        e->bound = kuryr_port_copy(port);
        return e->bound ? 0 : kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    }
    if (new_mac && pooled && unbind_port_attrs(p, port->id, err) < 0) {
        /* nothing was changed yet: nothing to undo */
        kuryr_port_free(e->port);
        e->port = NULL;
        return kl_err_wrap(err, "unbinding the pool port for a MAC of Docker's failed");
    }
    json_t *attrs = json_pack("{s:s,s:s,s:s,s:b}", "device_owner", KL_DEVICE_OWNER, "device_id", r->ep,
                              "binding:host_id", p->hostname, "admin_state_up", 1);
    if (new_mac)
        json_object_set_new(attrs, "mac_address", json_string(r->mac));
    int rc = kuryr_neutron_port_update(p->kn, port->id, attrs, &e->bound, err);
    json_decref(attrs);
    return rc < 0 ? kl_err_wrap(err, "binding the Neutron port to this host failed") : 0;
}

/* The endpoint's port, bound to this host. A port handed over by RequestAddress but removed since is looked
 * for again, as if none had been handed over. */
static int bound_port(kl_plugin *p, const ep_request *r, const char *net_id, ep_port *e, kuryr_error *err)
{
    for (bool use_handed = true;; use_handed = false) {
        if (locate_port(p, r, net_id, use_handed, e, err) < 0)
            return -1;
        if (bind_to_host(p, r, e, err) == 0)
            return 0;
        if (!e->port || !e->fresh || err->kind != KURYR_ERR_NOT_FOUND)
            return -1;
        kuryr_error_clear(err);
        kuryr_port_free(e->port);
        e->port = NULL;
    }
}

/* Plugs the bound port on the host (kuryr_bind) and, with vif_plugging_is_fatal, waits for it to be ACTIVE;
 * a failure leaves the host side unplugged. */
static int plug(kl_plugin *p, const ep_request *r, const kl_net_map *m, const ep_port *e, kuryr_error *err)
{
    kuryr_bind_request br = {.port = e->bound, .mtu = m->mtu, .owner_id = r->ep};
    kuryr_bind_result res;
    if (kl_bind_request_prepare(p, &br, err) < 0) {
        kl_metrics_binding_failure();
        return kl_err_wrap(err, "plugging the port on the host failed");
    }
    char tap[KURYR_IFNAME_LEN];
    kuryr_ifname(tap, "tap", e->port->id);
    if (e->retried || (e->prebound && if_nametoindex(tap) != 0)) {
        kuryr_error ignored;
        /* a retry, or a pool port whose last user's Join failed or died, starts from a clean host side (the
         * check spares OVS hosts an ovs-vsctl run per start) */
        kuryr_unbind(&p->bcfg, &br, &ignored);
    }
    if (kuryr_bind(&p->bcfg, &br, &res, err) < 0) {
        kl_metrics_binding_failure();
        return kl_err_wrap(err, "plugging the port on the host failed");
    }
    KLOG_INFO("bound port %s as %s/%s", e->port->id, res.host_ifname, res.container_ifname);
    KURYR_FAULT_POINT("create_endpoint.plugged");
    if (kuryr_config_get_bool(p->cfg, "neutron", "vif_plugging_is_fatal") && wait_active(p, e->port->id, err) < 0) {
        kuryr_error ignored;
        kuryr_unbind(&p->bcfg, &br, &ignored);
        return -1;
    }
    return 0;
}

/* The Interface answer: when Docker left the addresses to the driver, the ones Neutron gave and the port's MAC;
 * when Docker asked IPAM for no MAC (a pool, vif_pool.h), the port's MAC. */
static json_t *interface_reply(kl_plugin *p, const ep_request *r, const kuryr_port *bound)
{
    json_t *out_iface = json_object();
    if (!r->iface_given) {
        for (size_t i = 0; i < bound->n_fixed_ips; i++) {
            kuryr_subnet *s;
            kuryr_error ignored;
            if (!bound->fixed_ips[i].ip_address || !bound->fixed_ips[i].subnet_id ||
                kuryr_neutron_subnet_get(p->kn, bound->fixed_ips[i].subnet_id, &s, &ignored) < 0)
                continue;
            char buf[KL_ADDR_STRLEN + 8];
            snprintf(buf, sizeof(buf), "%s/%d", bound->fixed_ips[i].ip_address, kl_cidr_prefixlen(s->cidr));
            json_object_set_new(out_iface, s->ip_version == 6 ? "AddressIPv6" : "Address", json_string(buf));
            kuryr_subnet_free(s);
        }
        if (bound->mac_address)
            json_object_set_new(out_iface, "MacAddress", json_string(bound->mac_address));
    } else if (!r->mac && bound->mac_address) {
        json_object_set_new(out_iface, "MacAddress", json_string(bound->mac_address));
    }
    return json_pack("{s:o}", "Interface", out_iface);
}

/* Rolls a failed CreateEndpoint back: a port made here is deleted, one found is unbound and loses the
 * endpoint's tags; a retried request's port and a pool port (untagged: ReleaseAddress hands it back to the
 * pool) stay as they are. */
static void undo_endpoint(kl_plugin *p, const ep_request *r, ep_port *e)
{
    kuryr_error ignored;
    if (!e->port) {
        /* nothing was changed */
    } else if (e->created) {
        kuryr_neutron_port_delete(p->kn, e->port->id, &ignored);
    } else if (!e->prebound && !e->retried) {
        unbind_port_attrs(p, e->port->id, &ignored);
        set_endpoint_tags(p, e->port, r->ep, false, &ignored);
    }
    kuryr_port_free(e->bound);
    kuryr_port_free(e->port);
}

KL_HANDLER(kl_h_create_endpoint)
{
    ep_request r;
    if (parse_endpoint_request(req, &r, err) < 0)
        return -1;
    kl_net_map m;
    if (kl_net_lookup(p, r.docker_net, &m, err) < 0)
        return -1;
    kuryr_log_ctx_set("neutron_net", m.neutron_id);

    ep_port e = {0};
    if (bound_port(p, &r, m.neutron_id, &e, err) < 0)
        goto undo;
    /* a pool port is tagged by Join: Docker creates one network's endpoints one at a time, and joins them in
     * parallel, so every Neutron request moved out of CreateEndpoint shortens a burst of container starts */
    if (!e.prebound && set_endpoint_tags(p, e.port, r.ep, true, err) < 0)
        goto undo;
    KURYR_FAULT_POINT("create_endpoint.port_bound");
    if (plug(p, &r, &m, &e, err) < 0)
        goto undo;

    *resp = interface_reply(p, &r, e.bound);
    char key[KL_FRESH_KEY_LEN];
    kl_fresh_key_ep(key, r.ep);
    kl_fresh_port_put(p, key, e.bound, NULL, 0); /* Join comes next and needs its id and subnets */
    kuryr_port_free(e.bound);
    kuryr_port_free(e.port);
    return 0;
undo:
    undo_endpoint(p, &r, &e);
    return -1;
}

KL_HANDLER(kl_h_endpoint_oper_info)
{
    const char *net, *ep;
    (void)p;
    if (read_ids(req, &net, &ep, err) < 0)
        return -1;
    *resp = json_pack("{s:{}}", "Value");
    return 0;
}

KL_HANDLER(kl_h_delete_endpoint)
{
    const char *docker_net, *ep;
    if (read_ids(req, &docker_net, &ep, err) < 0)
        return -1;
    kl_unexposed_take(p, ep);
    char key[KL_FRESH_KEY_LEN];
    kl_fresh_key_ep(key, ep);
    kl_net_map m = {0};
    kuryr_port *port = NULL, *handed = NULL;
    if (kl_net_lookup(p, docker_net, &m, err) == 0)
        handed = kl_fresh_port_take(p, key, m.neutron_id);
    else
        kl_fresh_port_drop(p, key);
    if (handed && kl_vif_pool_port_is_pooled(handed) && !kl_vif_pool_port_endpoint(handed, NULL)) {
        port = handed; /* a pool port CreateEndpoint plugged for a Join that never came: not tagged yet */
        handed = NULL;
    }
    kuryr_port_free(handed);
    kuryr_port *joined = kl_vif_pool_leaving(p->vif_pool, ep);
    if (!port && m.neutron_id[0] && joined && joined->network_id && !strcmp(joined->network_id, m.neutron_id)) {
        port = joined; /* the pool port Join tagged: no lookup */
        joined = NULL;
    }
    kuryr_port_free(joined);
    if (!port && (m.neutron_id[0] == '\0' || kl_port_by_endpoint(p, m.neutron_id, ep, &port, err) < 0)) {
        if (err->kind != KURYR_ERR_NOT_FOUND)
            return -1;
        KLOG_WARN("endpoint %.12s has no Neutron port: nothing to delete", ep);
        kuryr_error_clear(err);
        *resp = json_object();
        return 0;
    }
    kuryr_log_ctx_set("port", port->id);
    kuryr_bind_request br = {.port = port, .mtu = m.mtu, .owner_id = ep};
    if (kl_bind_request_prepare(p, &br, err) < 0 || kuryr_unbind(&p->bcfg, &br, err) < 0)
        KLOG_ERROR("unplugging port %s failed: %s", port->id, err->message);
    KURYR_FAULT_POINT("delete_endpoint.unplugged");
    kuryr_error_clear(err);
    for (size_t i = 0; kl_vif_pool_port_is_pooled(port) && i < port->n_fixed_ips; i++) {
        /* ReleaseAddress comes next and would look this very port up by its address */
        char addr_key[KL_FRESH_KEY_LEN];
        kl_fresh_key_addr(addr_key, m.neutron_id, port->fixed_ips[i].ip_address);
        kl_fresh_port_put(p, addr_key, port, NULL, 0);
    }

    char name[KL_NAME_LEN];
    kl_endpoint_port_name(name, ep);
    int rc;
    if (port->name && strcmp(port->name, name) == 0) {
        rc = kuryr_neutron_port_delete(p->kn, port->id, err);
        if (rc < 0 && err->kind == KURYR_ERR_NOT_FOUND)
            rc = 0;
        if (rc < 0)
            kl_err_wrap(err, "deleting the endpoint's port failed");
        KURYR_FAULT_POINT("delete_endpoint.port_deleted");
    } else if (kuryr_strv_contains(&port->tags, KL_TAG_PORT_KURYR) &&
               !kuryr_strv_contains(&port->tags, KL_TAG_PORT_EXISTING)) {
        /* Kuryr's IPAM made this port and Docker's next call, ReleaseAddress, deletes it: unbinding and
         * untagging it first would cost two Neutron writes and ML2's unbind work for nothing. Should the daemon
         * die in between, the start-up reconciliation finds a port bound to an endpoint Docker no longer has. */
        KLOG_DEBUG("port %s stays bound until ReleaseAddress deletes it", port->id);
        rc = 0;
    } else {
        /* the user's port, adopted by IPAM: ReleaseAddress only hands it back, so unbind it here */
        rc = unbind_port_attrs(p, port->id, err);
        if (rc < 0)
            kl_err_wrap(err, "unbinding the Neutron port failed");
        else
            rc = set_endpoint_tags(p, port, ep, false, err);
    }
    kuryr_port_free(port);
    if (rc == 0)
        *resp = json_object();
    return rc;
}

KL_HANDLER(kl_h_join)
{
    const char *docker_net, *ep, *sandbox;
    json_t *opts;
    if (read_ids(req, &docker_net, &ep, err) < 0 || kl_get_str(req, "SandboxKey", true, &sandbox, err) < 0 ||
        kl_get_obj(req, "Options", &opts, err) < 0)
        return -1;
    if (!kl_valid_sandbox_key(sandbox))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "SandboxKey is not a netns path");
    kl_net_map m;
    kuryr_port *port = NULL;
    char key[KL_FRESH_KEY_LEN];
    kl_fresh_key_ep(key, ep);
    if (kl_net_lookup(p, docker_net, &m, err) < 0)
        return -1;
    port = kl_fresh_port_take(p, key, m.neutron_id);
    char user[65];
    bool untagged_pool_port = false; /* CreateEndpoint's pool port, which this Join tags */
    if (port && !kl_vif_pool_port_endpoint(port, user) && kl_vif_pool_port_is_pooled(port)) {
        untagged_pool_port = true;
    } else if (port && (!kl_vif_pool_port_endpoint(port, user) || strcmp(user, ep) != 0)) {
        kuryr_port_free(port);
        port = NULL;
    }
    if (!port && kl_port_by_endpoint(p, m.neutron_id, ep, &port, err) < 0)
        return -1;
    kuryr_log_ctx_set("port", port->id);
    /* a pool port's endpoint tags are written by a helper thread while this one reads the subnets: the two
     * requests do not depend on each other, and Join is on every container start's path */
    tag_job job = {.p = p, .port = port, .ep = ep};
    pthread_t helper;
    bool helper_started = false;
    if (untagged_pool_port) {
        snprintf(job.request_id, sizeof(job.request_id), "%s", kuryr_log_request_id());
        helper_started = pthread_create(&helper, NULL, tag_job_run, &job) == 0;
        if (!helper_started)
            job.rc = set_endpoint_tags(p, port, ep, true, &job.err);
    }

    json_t *routes = json_array();
    const char *gw4 = NULL, *gw6 = NULL;
    kuryr_subnet_list subs = {0};
    int rc = 0;
    if (port->n_fixed_ips) {
        kuryr_query *q = kuryr_query_new();
        for (size_t i = 0; i < port->n_fixed_ips; i++)
            kuryr_query_add(q, "id", port->fixed_ips[i].subnet_id);
        const char *fields[] = {"id", "ip_version", "gateway_ip", "host_routes"};
        for (size_t i = 0; i < 4; i++)
            kuryr_query_field(q, fields[i]);
        rc = kuryr_neutron_subnet_list(p->kn, q, &subs, err);
        kuryr_query_free(q);
        if (rc < 0)
            kl_err_wrap(err, "looking up the port's subnets failed");
    }
    if (helper_started) {
        pthread_join(helper, NULL);
        kuryr_http_thread_requests_add(job.calls);
    }
    if (untagged_pool_port && job.rc < 0) {
        /* Docker gives up on the endpoint: nothing of it stays on the host, ReleaseAddress returns the port */
        *err = job.err;
        kuryr_bind_request br = {.port = port, .mtu = m.mtu, .owner_id = ep};
        kuryr_error ignored;
        if (kl_bind_request_prepare(p, &br, &ignored) == 0)
            kuryr_unbind(&p->bcfg, &br, &ignored);
        json_decref(routes);
        kuryr_subnet_list_clear(&subs);
        kuryr_port_free(port);
        return -1;
    }
    if (untagged_pool_port)
        kl_vif_pool_joined(p->vif_pool, ep, port);
    for (size_t i = 0; rc == 0 && i < subs.n; i++) {
        const kuryr_subnet *s = subs.items[i];
        if (s->gateway_ip && *s->gateway_ip) {
            if (s->ip_version == 6 && !gw6)
                gw6 = s->gateway_ip;
            else if (s->ip_version != 6 && !gw4)
                gw4 = s->gateway_ip;
        }
        for (size_t r = 0; r < s->n_host_routes; r++)
            json_array_append_new(routes, json_pack("{s:s,s:i,s:s}", "Destination", s->host_routes[r].destination,
                                                    "RouteType", 0, "NextHop", s->host_routes[r].nexthop));
    }
    if (rc == 0) {
        char src[KURYR_IFNAME_LEN];
        kuryr_ifname(src, "t_c", port->id);
        const char *dst = kuryr_config_get_str(p->cfg, "binding", "veth_dst_prefix");
        *resp = json_pack("{s:{s:s,s:s},s:o,s:b}", "InterfaceName", "SrcName", src, "DstPrefix", *dst ? dst : "eth",
                          "StaticRoutes", routes, "DisableGatewayService", 1);
        routes = NULL;
        if (gw4)
            json_object_set_new(*resp, "Gateway", json_string(gw4));
        if (gw6)
            json_object_set_new(*resp, "GatewayIPv6", json_string(gw6));
    }
    json_decref(routes);
    kuryr_subnet_list_clear(&subs);
    kuryr_port_free(port);
    return rc;
}

KL_HANDLER(kl_h_leave)
{
    const char *net, *ep;
    (void)p;
    if (read_ids(req, &net, &ep, err) < 0)
        return -1;
    /* the device left with the sandbox; DeleteEndpoint unplugs the host side */
    *resp = json_object();
    return 0;
}
