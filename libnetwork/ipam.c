/* Remote IPAM, addresses: each container address is a Neutron port, made unbound here and bound to the
 * endpoint by CreateEndpoint. See ipam_pool.c for what a PoolID stands for. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "kuryr/doubt.h"
#include "handlers.h"
#include "kuryr/fault.h"
#include "kuryr/log.h"
#include "mapping.h"
#include "names.h"
#include "plugin.h"
#include "kuryr/port_deletes.h"
#include "vif_pool.h"
#include "validate.h"

/* The subnet behind a PoolID, NULL (and success) when the network is not created yet. With several
 * candidates (an upstream PoolID naming a shared pool) the one holding addr wins. */
static int pool_subnet(kl_plugin *p, const char *docker_pool_id, const char *pool_id, const char *cidr,
                       bool is_subnet, const char *addr, kuryr_subnet **out, kuryr_error *err)
{
    *out = NULL;
    json_t *cached = kl_subnet_cache_get(p, docker_pool_id);
    if (cached) {
        *out = kuryr_subnet_from_json(cached, err);
        json_decref(cached);
        if (*out)
            return 0;
        kl_subnet_cache_drop_pool(p, docker_pool_id);
    }
    const char *fields[] = {"id", "cidr", "gateway_ip", "network_id", "ip_version", "subnetpool_id", NULL};
    kuryr_subnet_list l = {0};
    int rc;
    if (is_subnet) {
        kuryr_query *q = kuryr_query_new();
        kuryr_query_add(q, "id", pool_id);
        for (size_t i = 0; fields[i]; i++)
            kuryr_query_field(q, fields[i]);
        rc = kuryr_neutron_subnet_list(p->kn, q, &l, err);
        kuryr_query_free(q);
        if (rc < 0)
            return kl_err_wrap(err, "looking up the pool's subnet failed");
    } else if (kl_pool_subnets(p, pool_id, cidr, fields, &l, err) < 0) {
        return -1;
    }
    size_t pick = l.n;
    if (l.n == 1) {
        pick = 0;
    } else if (l.n > 1 && addr) {
        for (size_t i = 0; i < l.n && pick == l.n; i++) {
            if (l.items[i]->cidr && kl_cidr_contains(l.items[i]->cidr, addr))
                pick = i;
        }
    } else if (l.n > 1) {
        kuryr_subnet_list_clear(&l);
        return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL,
                               "subnetpool %s has several subnets: an address is needed to choose", pool_id);
    }
    if (pick < l.n && (!l.items[pick]->cidr || !l.items[pick]->network_id)) {
        kuryr_subnet_list_clear(&l);
        return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 502, NULL, "Neutron sent a subnet without cidr or network");
    }
    if (pick < l.n) {
        *out = l.items[pick];
        l.items[pick] = NULL;
        if (l.n == 1 && (*out)->raw)
            kl_subnet_cache_put(p, docker_pool_id, (*out)->network_id, (*out)->raw);
    }
    for (size_t i = 0; i < l.n; i++)
        kuryr_subnet_free(l.items[i]);
    l.n = 0;
    kuryr_subnet_list_clear(&l);
    return 0;
}

/* "ip/len" with the length of Docker's Pool when this daemon answered its RequestPool: with --ip-range the
 * Neutron subnet is narrower than the network Docker configures, and the gateway may lie outside it. */
static json_t *address_reply(kl_plugin *p, const char *docker_pool_id, bool bare, bool in_use, const char *ip,
                             const char *cidr)
{
    char buf[KL_ADDR_STRLEN + 8];
    kl_pool_info info;
    kuryr_error ignored;
    /* after a restart a pool of ours tells again what RequestPool decided */
    bool known = kl_pool_by_docker_id(p, docker_pool_id, &info) ||
                 (bare && kl_pool_recall(p, docker_pool_id, in_use, &info, &ignored) == 0);
    if (known && info.pool_cidr[0] && kl_cidr_contains(info.pool_cidr, ip))
        cidr = info.pool_cidr;
    snprintf(buf, sizeof(buf), "%s/%d", ip, kl_cidr_prefixlen(cidr));
    return json_pack("{s:s,s:{}}", "Address", buf, "Data");
}

/* The subnet CIDR a PoolID stands for before its Neutron subnet exists. */
static int planned_cidr(kl_plugin *p, const char *docker_pool_id, const char *pool_id, const char *cidr,
                        char out[KL_ADDR_STRLEN], kuryr_error *err)
{
    kl_pool_info info;
    if (cidr && *cidr) {
        if (snprintf(out, KL_ADDR_STRLEN, "%s", cidr) >= KL_ADDR_STRLEN)
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "malformed PoolID");
    } else if (kl_pool_by_docker_id(p, docker_pool_id, &info)) {
        snprintf(out, KL_ADDR_STRLEN, "%s", info.subnet_cidr);
    } else {
        kuryr_subnetpool *sp;
        if (kuryr_neutron_subnetpool_get(p->kn, pool_id, &sp, err) < 0)
            return kl_err_wrap(err, "looking up the subnetpool failed");
        int rc = sp->prefixes.n ? 0 : -1;
        if (rc == 0)
            snprintf(out, KL_ADDR_STRLEN, "%s", sp->prefixes.items[0]);
        kuryr_subnetpool_free(sp);
        if (rc < 0)
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "subnetpool %s has no prefixes", pool_id);
    }
    return 0;
}

static bool port_has_tag(const kuryr_port *port, const char *tag)
{
    return kuryr_strv_contains(&port->tags, tag);
}

/* An unbound port that an earlier RequestAddress of this kuryr made (its name is in the POST body, so it tells
 * even before the tags arrive): only the same endpoint asking again, known by the MAC Docker sends, may have
 * its address. Without a MAC a retry cannot be told from a second endpoint, and giving one address twice is
 * worse than failing a retry. A port made outside kuryr stays adoptable. */
static bool same_request(const kuryr_port *port, const char *mac)
{
    bool ours = !port_has_tag(port, KL_TAG_PORT_EXISTING) &&
                (port_has_tag(port, KL_TAG_PORT_KURYR) || kl_vif_pool_port_is_pooled(port) ||
                 (port->name && strcmp(port->name, KL_UNBOUND_PORT_NAME) == 0));
    if (!ours)
        return true;
    return mac && port->mac_address && strcasecmp(port->mac_address, mac) == 0;
}

static const char *port_ip_in(const kuryr_port *port, const char *subnet_id)
{
    for (size_t i = 0; i < port->n_fixed_ips; i++) {
        if (port->fixed_ips[i].subnet_id && strcmp(port->fixed_ips[i].subnet_id, subnet_id) == 0)
            return port->fixed_ips[i].ip_address;
    }
    return NULL;
}

/* Adds an address in subnet to an existing port (the second family of a dual-stack endpoint). */
static int add_fixed_ip(kl_plugin *p, kuryr_port **port, const kuryr_subnet *subnet, const char *ip,
                        kuryr_error *err)
{
    json_t *ips = json_array();
    for (size_t i = 0; i < (*port)->n_fixed_ips; i++)
        json_array_append_new(ips, json_pack("{s:s,s:s}", "subnet_id", (*port)->fixed_ips[i].subnet_id,
                                             "ip_address", (*port)->fixed_ips[i].ip_address));
    json_t *mine = json_pack("{s:s}", "subnet_id", subnet->id);
    if (ip)
        json_object_set_new(mine, "ip_address", json_string(ip));
    json_array_append_new(ips, mine);
    json_t *attrs = json_pack("{s:o}", "fixed_ips", ips);
    kuryr_port *updated = NULL;
    int rc = kuryr_neutron_port_update(p->kn, (*port)->id, attrs, &updated, err);
    json_decref(attrs);
    if (rc < 0)
        return kl_err_wrap(err, "adding the address to the Neutron port failed");
    kuryr_port_free(*port);
    *port = updated;
    return 0;
}

/* What a RequestAddress asks for, checked. addr is NULL for "any address", mac NULL when Docker sent none. */
typedef struct {
    const char *docker_pool_id, *addr, *mac;
    char pool_id[KL_NAME_LEN], cidr[KL_NAME_LEN], ip[KL_ADDR_STRLEN];
    bool is_subnet, gateway;
} addr_request;

static int parse_address_request(json_t *req, addr_request *r, kuryr_error *err)
{
    const char *type = NULL;
    json_t *opts;
    r->addr = r->mac = NULL;
    if (kl_get_str(req, "PoolID", true, &r->docker_pool_id, err) < 0 ||
        kl_get_str(req, "Address", false, &r->addr, err) < 0 || kl_get_obj(req, "Options", &opts, err) < 0 ||
        kl_get_str(opts, "RequestAddressType", false, &type, err) < 0 ||
        kl_get_str(opts, KL_OPT_MAC, false, &r->mac, err) < 0)
        return -1;
    if (kl_pool_id_parse(r->docker_pool_id, r->pool_id, r->cidr, &r->is_subnet) < 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "malformed PoolID");
    if (r->addr && *r->addr) {
        if (kl_addr_strip_prefix(r->addr, r->ip, sizeof(r->ip)) < 0 || !kl_valid_ip(r->ip, NULL))
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Address %s is not an IP address",
                                   r->addr);
        r->addr = r->ip;
    } else {
        r->addr = NULL;
    }
    if (r->mac && *r->mac && !kl_valid_mac(r->mac))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "%s is not a MAC address", r->mac);
    if (r->mac && !*r->mac)
        r->mac = NULL;
    r->gateway = type && strcmp(type, KL_GATEWAY_REQUEST) == 0;
    return 0;
}

static void warn_once_if_mac_with_pool(kl_plugin *p, const char *mac)
{
    static atomic_bool mac_warned;
    if (mac && p->vif_pool && !atomic_exchange(&mac_warned, true))
        KLOG_WARN("Docker sends a MAC although this IPAM driver asks for none since [vif_pool] was enabled: "
                  "Docker asks once per plugin name and keeps the answer, so restart dockerd; until then each "
                  "pool port is unbound and bound again to take Docker's MAC");
}

/* The gateway's address: no port, only an answer. subnet may be NULL (the network is not created yet). */
static int answer_gateway(kl_plugin *p, const addr_request *r, const kuryr_subnet *subnet, json_t **resp,
                          kuryr_error *err)
{
    char planned[KL_ADDR_STRLEN], first[KL_ADDR_STRLEN];
    const char *addr = r->addr;
    if (subnet) {
        snprintf(planned, sizeof(planned), "%s", subnet->cidr);
        if (!addr && subnet->gateway_ip && *subnet->gateway_ip)
            addr = subnet->gateway_ip;
    } else if (planned_cidr(p, r->docker_pool_id, r->pool_id, r->cidr, planned, err) < 0) {
        return -1;
    }
    if (!addr) {
        /* what Neutron will pick: upstream answers nothing here and Docker gives up */
        if (kl_cidr_first_host(planned, first, sizeof(first)) < 0)
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot compute a gateway for %s", planned);
        addr = first;
    }
    /* a --gateway outside an --ip-range is Docker's to allow and Neutron's to judge at CreateNetwork */
    *resp = address_reply(p, r->docker_pool_id, !r->cidr[0] && !r->is_subnet, subnet != NULL, addr, planned);
    return 0;
}

/* The port that last held the asked address may still be on its way out (kuryr/port_deletes.h, vif_pool.h). */
static void wait_for_previous_holder(kl_plugin *p, const addr_request *r, const kuryr_subnet *subnet)
{
    if (!r->addr)
        return;
    if (!kuryr_port_deletes_wait_ip(p->releases, subnet->network_id, r->addr, KURYR_PORT_DELETE_WAIT_S))
        KLOG_WARN("the port that held %s is still being deleted", r->addr);
    if (!kl_vif_pool_wait_ip(p->vif_pool, subnet->network_id, r->addr, KURYR_PORT_DELETE_WAIT_S))
        KLOG_WARN("the port that held %s is still being returned to the pool", r->addr);
}

/* A port that already exists for this request: the one holding the asked address (a ready pool port named by
 * its address becomes this request's: *pooled), else the endpoint's port found by Docker's MAC, handed over by
 * a pool take for its other address family or looked up in Neutron (that family's port, or a retry). */
static int find_existing_port(kl_plugin *p, const addr_request *r, const kuryr_subnet *subnet, kuryr_port **port,
                              bool *pooled, kuryr_error *err)
{
    if (r->addr) {
        char f1[128], f2[128];
        snprintf(f1, sizeof(f1), "subnet_id=%s", subnet->id);
        snprintf(f2, sizeof(f2), "ip_address=%s", r->addr);
        kuryr_query *q = kuryr_query_new();
        kuryr_query_add(q, "fixed_ips", f1);
        kuryr_query_add(q, "fixed_ips", f2);
        if (kl_first_port(p, q, port, err) < 0)
            return -1;
        *pooled = *port && kl_vif_pool_take_id(p->vif_pool, (*port)->id);
    }
    if (*port || !r->mac)
        return 0;
    char mac_key[KL_FRESH_KEY_LEN];
    kl_fresh_key_mac(mac_key, subnet->network_id, r->mac);
    if ((*port = kl_fresh_port_take(p, mac_key, subnet->network_id)))
        return 0;
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "network_id", subnet->network_id);
    kuryr_query_add(q, "mac_address", r->mac);
    return kl_first_port(p, q, port, err);
}

/* Refuses an existing port that is not this request's to use: bound to a device, or another endpoint's. */
static int check_port_is_ours_to_use(const addr_request *r, const kuryr_port *port, bool pooled, kuryr_error *err)
{
    if (port->device_id && *port->device_id)
        return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL, "%s %s is in use by port %s of device %s",
                               r->addr ? "address" : "MAC", r->addr ? r->addr : r->mac, port->id, port->device_id);
    if (r->addr && !pooled && !same_request(port, r->mac))
        return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL,
                               "address %s is already allocated: port %s holds it for the endpoint with MAC %s",
                               r->addr, port->id, port->mac_address ? port->mac_address : "(none)");
    return 0;
}

/* Uses an existing port: a retried request, the second family of one endpoint, or a port made outside kuryr,
 * adopted (tagged). It gets an address in subnet if it has none there yet. */
static int reuse_port(kl_plugin *p, const addr_request *r, const kuryr_subnet *subnet, kuryr_port **port,
                      bool pooled, kuryr_error *err)
{
    const char *desc = json_string_value(json_object_get((*port)->raw, "description"));
    kuryr_doubts_forget(p->doubts, desc); /* a late create that this retry now uses */
    kl_fresh_port_drop_id(p, (*port)->id);
    if (!port_has_tag(*port, KL_TAG_PORT_KURYR) && !port_has_tag(*port, KL_TAG_PORT_EXISTING)) {
        /* kuryr's own port from a create that timed out is kuryr's to delete later, not an adopted one */
        bool ours = kuryr_doubt_is_marker(desc);
        if (kuryr_neutron_tag_add(p->kn, "ports", (*port)->id, ours ? KL_TAG_PORT_KURYR : KL_TAG_PORT_EXISTING,
                                  err) < 0)
            return kl_err_wrap(err, "tagging the adopted port failed");
        KLOG_INFO("%s port %s", ours ? "took over the late-created" : "adopted existing", (*port)->id);
    }
    if (!port_ip_in(*port, subnet->id) && add_fixed_ip(p, port, subnet, r->addr, err) < 0)
        return -1;
    if (pooled && r->mac) {
        char mac_key[KL_FRESH_KEY_LEN];
        kl_fresh_key_mac(mac_key, subnet->network_id, r->mac);
        kl_fresh_port_put(p, mac_key, *port, NULL, 0);
    }
    return 0;
}

/* Hands a port on to CreateEndpoint, which comes next and would look it up by its address (and, for a pool
 * port taken for Docker's MAC, to the endpoint's other address family). tags as kl_fresh_port_put. */
static void hand_on(kl_plugin *p, const addr_request *r, const kuryr_subnet *subnet, const kuryr_port *port,
                    const char *const *tags, size_t n_tags, bool by_mac)
{
    const char *ip = port_ip_in(port, subnet->id);
    if (ip && *ip) {
        char key[KL_FRESH_KEY_LEN];
        kl_fresh_key_addr(key, subnet->network_id, ip);
        kl_fresh_port_put(p, key, port, tags, n_tags);
    }
    if (by_mac && r->mac) {
        char mac_key[KL_FRESH_KEY_LEN];
        kl_fresh_key_mac(mac_key, subnet->network_id, r->mac);
        kl_fresh_port_put(p, mac_key, port, NULL, 0);
    }
}

/* A ready port of the pool, bound already: no Neutron request now, and CreateEndpoint answers the port's MAC.
 * NULL when the pool has none (or is off). Only for "any address". */
static kuryr_port *take_ready_port(kl_plugin *p, const addr_request *r, const kuryr_subnet *subnet)
{
    if (r->addr)
        return NULL;
    kuryr_port *port = kl_vif_pool_take(p->vif_pool, subnet->network_id, subnet->id);
    if (port) {
        KLOG_INFO("took ready port %s from the pool", port->id);
        hand_on(p, r, subnet, port, NULL, 0, true);
    }
    return port;
}

/* A new unbound port with the asked address (or any) and MAC, tagged as kuryr's and this host's. On failure
 * *port may still hold a port that could not be tagged (deleted already, or recorded as a doubt). */
static int create_port(kl_plugin *p, const addr_request *r, const kuryr_subnet *subnet, kuryr_port **port,
                       kuryr_error *err)
{
    json_t *fixed = json_pack("{s:s}", "subnet_id", subnet->id);
    if (r->addr)
        json_object_set_new(fixed, "ip_address", json_string(r->addr));
    json_t *attrs = json_pack("{s:s,s:s,s:b,s:[o]}", "network_id", subnet->network_id, "name",
                              KL_UNBOUND_PORT_NAME, "admin_state_up", 1, "fixed_ips", fixed);
    if (r->mac)
        json_object_set_new(attrs, "mac_address", json_string(r->mac));
    /* finds the port again if Neutron makes it after this request has given up on the answer */
    char marker[KURYR_DOUBT_MARKER_LEN];
    kuryr_doubt_marker(marker, sizeof(marker), p->hostname);
    json_object_set_new(attrs, "description", json_string(marker));
    const char *tags[] = {KL_TAG_PORT_KURYR, p->owner}; /* unbound, only its marker says it is ours */
    bool tagged_after = false;
    int rc = kuryr_neutron_port_create_tagged(p->kn, attrs, tags, 2, port, &tagged_after, err);
    json_decref(attrs);
    if (rc < 0 && !*port) {
        /* a 400 was retried already, so this is the one create that may still be carried out */
        if (err->kind == KURYR_ERR_UNAVAILABLE)
            kuryr_doubts_add_port(p->doubts, marker);
        return kl_err_wrap(err, "creating the Neutron port failed");
    }
    if (rc < 0) {
        kuryr_error dummy;
        /* Neutron gone between the two calls: the port is untagged and unbound, so the watch removes it */
        if (kuryr_neutron_port_delete(p->kn, (*port)->id, &dummy) < 0 && dummy.kind != KURYR_ERR_NOT_FOUND)
            kuryr_doubts_add_port(p->doubts, marker);
        return -1;
    }
    KLOG_INFO("created port %s", (*port)->id);
    KURYR_FAULT_POINT("request_address.port_created");
    hand_on(p, r, subnet, *port, tagged_after ? tags : NULL, tagged_after ? 1 : 0, false);
    return 0;
}

/* The port for this request, in this order: an existing one (retry, second family, pool port named by its
 * address, a port to adopt), a ready one from the pool, or a new one. */
static int port_for_request(kl_plugin *p, const addr_request *r, const kuryr_subnet *subnet, kuryr_port **port,
                            kuryr_error *err)
{
    bool pooled = false; /* a ready port of the pool, now this request's */
    if (find_existing_port(p, r, subnet, port, &pooled, err) < 0)
        return -1;
    if (*port) {
        if (check_port_is_ours_to_use(r, *port, pooled, err) < 0)
            return -1;
        return reuse_port(p, r, subnet, port, pooled, err);
    }
    if ((*port = take_ready_port(p, r, subnet)))
        return 0;
    return create_port(p, r, subnet, port, err);
}

KL_HANDLER(kl_h_request_address)
{
    addr_request r;
    if (parse_address_request(req, &r, err) < 0)
        return -1;
    warn_once_if_mac_with_pool(p, r.mac);
    kuryr_log_ctx_set("pool", r.pool_id);

    kuryr_subnet *subnet;
    if (pool_subnet(p, r.docker_pool_id, r.pool_id, r.cidr, r.is_subnet, r.addr, &subnet, err) < 0)
        return -1;
    if (r.gateway) {
        int rc = answer_gateway(p, &r, subnet, resp, err);
        kuryr_subnet_free(subnet);
        return rc;
    }
    if (!subnet)
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "pool %s has no Neutron subnet yet",
                               r.docker_pool_id);
    kuryr_log_ctx_set("subnet", subnet->id);

    wait_for_previous_holder(p, &r, subnet);
    kuryr_port *port = NULL;
    int rc = port_for_request(p, &r, subnet, &port, err);
    if (rc == 0) {
        kuryr_log_ctx_set("port", port->id);
        const char *ip = port_ip_in(port, subnet->id);
        if (ip && *ip)
            *resp = address_reply(p, r.docker_pool_id, !r.cidr[0] && !r.is_subnet, true, ip, subnet->cidr);
        else
            rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "port %s got no address in subnet %s",
                                 port->id, subnet->id);
    }
    if (rc < 0)
        kl_subnet_cache_drop_pool(p, r.docker_pool_id); /* it may be what went wrong */
    kuryr_port_free(port);
    kuryr_subnet_free(subnet);
    return rc;
}

/* A kuryr-made port Docker gave up. Deleted before the answer, so that it is gone when Docker's call returns,
 * as with upstream; with [DEFAULT] background_port_delete, queued and deleted after the answer instead
 * (kuryr/port_deletes.h). A delete that cannot reach Neutron goes to the same queue, which retries it, rather than being
 * left to the reconciliation. */
static int delete_released_port(kl_plugin *p, const kuryr_port *port, const char *net_id, const char *ip,
                                kuryr_error *err)
{
    kuryr_log_ctx_set("port", port->id);
    if (kuryr_config_get_bool(p->cfg, "DEFAULT", "background_port_delete") &&
        kuryr_port_deletes_add(p->releases, port->id, net_id, ip)) {
        /* Docker may reuse the address now; Neutron's delete follows */
        KLOG_INFO("released %s: port %s queued for deletion", ip, port->id);
        return 0;
    }
    int rc = kuryr_neutron_port_delete(p->kn, port->id, err);
    if (rc == 0 || err->kind == KURYR_ERR_NOT_FOUND) {
        KLOG_INFO("released %s: deleted port %s", ip, port->id);
        KURYR_FAULT_POINT("release_address.port_deleted");
        return 0;
    }
    if (err->kind == KURYR_ERR_UNAVAILABLE && kuryr_port_deletes_add(p->releases, port->id, net_id, ip)) {
        KLOG_WARN("released %s: deleting port %s failed (%s); retried in the background", ip, port->id,
                  err->message);
        return 0;
    }
    return kl_err_wrap(err, "deleting the Neutron port failed");
}

KL_HANDLER(kl_h_release_address)
{
    const char *docker_pool_id, *addr;
    char pool_id[KL_NAME_LEN], cidr[KL_NAME_LEN], ip[KL_ADDR_STRLEN];
    if (kl_get_str(req, "PoolID", true, &docker_pool_id, err) < 0 || kl_get_str(req, "Address", true, &addr, err) < 0)
        return -1;
    bool is_subnet;
    if (kl_pool_id_parse(docker_pool_id, pool_id, cidr, &is_subnet) < 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "malformed PoolID");
    if (kl_addr_strip_prefix(addr, ip, sizeof(ip)) < 0 || !kl_valid_ip(ip, NULL))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Address %s is not an IP address", addr);
    kuryr_subnet *subnet;
    if (pool_subnet(p, docker_pool_id, pool_id, cidr, is_subnet, ip, &subnet, err) < 0)
        return -1;
    if (!subnet) {
        *resp = json_object();
        return 0;
    }
    char f1[128], f2[128], key[KL_FRESH_KEY_LEN], net_id[64];
    snprintf(f1, sizeof(f1), "subnet_id=%s", subnet->id);
    snprintf(f2, sizeof(f2), "ip_address=%s", ip);
    snprintf(net_id, sizeof(net_id), "%s", subnet->network_id);
    kl_fresh_key_addr(key, subnet->network_id, ip);
    kuryr_port *port = kl_fresh_port_take(p, key, subnet->network_id);
    kuryr_subnet_free(subnet);
    if (port && !kl_vif_pool_port_is_pooled(port)) {
        /* only DeleteEndpoint hands over a port, a pool port; anything else is RequestAddress's, now stale */
        kuryr_port_free(port);
        port = NULL;
    }
    if (!port) {
        kuryr_query *q = kuryr_query_new();
        kuryr_query_add(q, "fixed_ips", f1);
        kuryr_query_add(q, "fixed_ips", f2);
        if (kl_first_port(p, q, &port, err) < 0) {
            kl_subnet_cache_drop_pool(p, docker_pool_id);
            return -1;
        }
    }
    int rc = 0;
    if (!port) {
        /* the gateway, or already released */
    } else if (port_has_tag(port, KL_TAG_PORT_EXISTING)) {
        kuryr_log_ctx_set("port", port->id);
        rc = kuryr_neutron_tag_remove(p->kn, "ports", port->id, KL_TAG_PORT_EXISTING, err);
        if (rc < 0)
            kl_err_wrap(err, "untagging the adopted port failed");
        else
            KLOG_INFO("released adopted port %s (kept)", port->id);
    } else if (port_has_tag(port, KL_TAG_PORT_KURYR) && kl_vif_pool_give(p->vif_pool, port)) {
        /* unbound and ready again in the background, instead of a delete now and a create later */
        kuryr_log_ctx_set("port", port->id);
        KLOG_INFO("released %s: port %s goes back to the pool", ip, port->id);
    } else if (port_has_tag(port, KL_TAG_PORT_KURYR)) {
        rc = delete_released_port(p, port, net_id, ip, err);
    } else {
        KLOG_WARN("address %s belongs to port %s, which kuryr does not manage: left alone", ip, port->id);
    }
    kuryr_port_free(port);
    if (rc == 0)
        *resp = json_object();
    return rc;
}
