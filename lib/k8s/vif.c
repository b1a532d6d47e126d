/* The os-vif VIF primitive of a KuryrPort: see include/kuryr/k8s_vif.h. */
#include "kuryr/k8s_vif.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OVO_NAME "versioned_object.name"
#define OVO_NAMESPACE "versioned_object.namespace"
#define OVO_VERSION "versioned_object.version"
#define OVO_DATA "versioned_object.data"
#define OS_VIF "os_vif"
#define IFNAME_MAX 15 /* IFNAMSIZ - 1 */

const kuryr_k8s_resource kuryr_k8s_kuryrports = {"openstack.org", "v1", "kuryrports", true};

/* ---- writing ----------------------------------------------------------------------------------------- */

/* Wraps data (stolen) into an object primitive. */
static json_t *ovo(const char *name, const char *version, json_t *data)
{
    if (!data)
        return NULL;
    return json_pack("{s:s, s:s, s:s, s:o}", OVO_NAME, name, OVO_NAMESPACE, OS_VIF, OVO_VERSION, version,
                     OVO_DATA, data);
}

/* A list object (SubnetList, FixedIPList, RouteList) around objects (stolen). */
static json_t *ovo_list(const char *name, json_t *objects)
{
    return objects ? ovo(name, "1.0", json_pack("{s:o}", "objects", objects)) : NULL;
}

static int family_of(const char *addr)
{
    return strchr(addr, ':') ? 6 : 4;
}

static int append(json_t *array, json_t *item)
{
    return item ? json_array_append_new(array, item) : -1;
}

static json_t *fixed_ips_of(const kuryr_k8s_vif *vif, const char *cidr)
{
    json_t *objects = json_array();
    for (size_t i = 0; objects && i < vif->n_ips; i++) {
        if (strcmp(vif->ips[i].cidr, cidr) != 0)
            continue;
        json_t *data = json_pack("{s:s, s:[]}", "address", vif->ips[i].address, "floating_ips");
        if (append(objects, ovo("FixedIP", "1.0", data)) < 0) {
            json_decref(objects);
            return NULL;
        }
    }
    return ovo_list("FixedIPList", objects);
}

static json_t *routes_of(const kuryr_k8s_vif *vif, int family)
{
    json_t *objects = json_array();
    for (size_t i = 0; objects && i < vif->n_routes; i++) {
        if (family_of(vif->routes[i].dst) != family)
            continue;
        json_t *data = json_pack("{s:s}", "cidr", vif->routes[i].dst);
        if (data && vif->routes[i].gw[0])
            json_object_set_new(data, "gateway", json_string(vif->routes[i].gw));
        if (append(objects, ovo("Route", "1.0", data)) < 0) {
            json_decref(objects);
            return NULL;
        }
    }
    return ovo_list("RouteList", objects);
}

static json_t *dns_of(const kuryr_k8s_vif *vif, int family)
{
    json_t *dns = json_array();
    for (size_t i = 0; dns && i < vif->n_dns; i++) {
        if (family_of(vif->dns[i]) == family && append(dns, json_string(vif->dns[i])) < 0) {
            json_decref(dns);
            return NULL;
        }
    }
    return dns;
}

static json_t *subnet_of(const kuryr_k8s_vif *vif, size_t first)
{
    const char *cidr = vif->ips[first].cidr;
    int family = family_of(cidr);
    json_t *data = json_pack("{s:s, s:o, s:o, s:o}", "cidr", cidr, "dns", dns_of(vif, family), "ips",
                             fixed_ips_of(vif, cidr), "routes", routes_of(vif, family));
    if (data && vif->ips[first].gateway[0])
        json_object_set_new(data, "gateway", json_string(vif->ips[first].gateway));
    if (data && vif->ips[first].subnet_id[0])
        json_object_set_new(data, "subnet_id", json_string(vif->ips[first].subnet_id));
    return ovo("Subnet", "1.0", data);
}

/* One Subnet per distinct CIDR, in the order the addresses come. */
static json_t *subnets_of(const kuryr_k8s_vif *vif)
{
    json_t *objects = json_array();
    for (size_t i = 0; objects && i < vif->n_ips && i < KURYR_VIF_MAX_IPS; i++) {
        size_t j = 0;
        while (j < i && strcmp(vif->ips[j].cidr, vif->ips[i].cidr) != 0)
            j++;
        if (j < i)
            continue; /* this CIDR's subnet is already there */
        if (append(objects, subnet_of(vif, i)) < 0) {
            json_decref(objects);
            return NULL;
        }
    }
    return ovo_list("SubnetList", objects);
}

static json_t *network_of(const kuryr_k8s_vif *vif)
{
    json_t *data = json_pack("{s:s, s:s, s:o}", "id", vif->network_id, "bridge", vif->bridge_name, "subnets",
                             subnets_of(vif));
    if (data && vif->mtu)
        json_object_set_new(data, "mtu", json_integer(vif->mtu));
    return ovo("Network", "1.1", data); /* 1.1 is the first Network version with mtu */
}

json_t *kuryr_k8s_vif_to_json(const kuryr_k8s_vif *vif)
{
    bool ovs = strcmp(vif->plugin, "ovs") == 0;
    json_t *data = json_pack("{s:s, s:s, s:o, s:s, s:b, s:b, s:b, s:s, s:s}", "id", vif->port_id, "address",
                             vif->mac, "network", network_of(vif), "plugin", vif->plugin, "active", vif->active,
                             "preserve_on_delete", 0, "has_traffic_filtering", 0, "vif_name", vif->vif_name,
                             "bridge_name", vif->bridge_name);
    if (data && vif->project_id[0])
        json_object_set_new(data, "project_id", json_string(vif->project_id));
    if (data && ovs) {
        json_t *profile = json_pack("{s:s}", "interface_id", vif->port_id);
        if (!profile || json_object_set_new(data, "port_profile", ovo("VIFPortProfileOpenVSwitch", "1.0", profile))) {
            json_decref(data);
            return NULL;
        }
    }
    return ovo(ovs ? "VIFOpenVSwitch" : "VIFBridge", "1.0", data);
}

/* ---- reading ----------------------------------------------------------------------------------------- */

static int bad(kuryr_error *err, const char *what, const char *why)
{
    return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "VIF: %s %s", what, why);
}

/* The data of an object primitive named name (any name when NULL; *got_name gets it). */
static const json_t *ovo_data(const json_t *p, const char *name, const char **got_name, const char *what,
                              kuryr_error *err)
{
    if (!json_is_object(p)) {
        bad(err, what, "is not an os-vif object");
        return NULL;
    }
    const char *ns = json_string_value(json_object_get(p, OVO_NAMESPACE));
    const char *n = json_string_value(json_object_get(p, OVO_NAME));
    const json_t *data = json_object_get(p, OVO_DATA);
    if (!ns || strcmp(ns, OS_VIF) != 0) {
        bad(err, what, "is not in the os_vif namespace");
        return NULL;
    }
    if (!n || (name && strcmp(n, name) != 0)) {
        bad(err, what, name ? "is not the expected os-vif object" : "has no object name");
        return NULL;
    }
    if (!json_is_object(data)) {
        bad(err, what, "has no data");
        return NULL;
    }
    if (got_name)
        *got_name = n;
    return data;
}

/* The "objects" array of a list primitive; NULL (no error) when the list is absent or null. */
static int list_objects(const json_t *data, const char *key, const char *list_name, const json_t **out,
                        kuryr_error *err)
{
    const json_t *p = json_object_get(data, key);
    *out = NULL;
    if (!p || json_is_null(p))
        return 0;
    const json_t *ld = ovo_data(p, list_name, NULL, key, err);
    if (!ld)
        return -1;
    const json_t *objects = json_object_get(ld, "objects");
    if (!json_is_array(objects))
        return bad(err, key, "has no objects array");
    *out = objects;
    return 0;
}

/* Copies data[key] into dst. Absent or null: "" (an error when required). */
static int take_str(char *dst, size_t size, const json_t *data, const char *key, bool required,
                    kuryr_error *err)
{
    const json_t *v = json_object_get(data, key);
    dst[0] = '\0';
    if (!v || json_is_null(v))
        return required ? bad(err, key, "is missing") : 0;
    const char *s = json_string_value(v);
    if (!s)
        return bad(err, key, "is not a string");
    size_t len = strlen(s);
    if (len >= size || len != json_string_length(v))
        return bad(err, key, "is too long or holds a NUL");
    memcpy(dst, s, len + 1);
    return 0;
}

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool is_cidr(const char *s)
{
    const char *slash = strchr(s, '/');
    char addr[64];
    if (!slash || (size_t)(slash - s) >= sizeof(addr) || !slash[1] || strlen(slash + 1) > 3)
        return false;
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    for (const char *d = slash + 1; *d; d++) {
        if (!isdigit((unsigned char)*d))
            return false;
    }
    int len = atoi(slash + 1);
    unsigned char buf[16];
    if (inet_pton(AF_INET, addr, buf) == 1)
        return len <= 32;
    return inet_pton(AF_INET6, addr, buf) == 1 && len <= 128;
}

static bool is_mac(const char *s)
{
    if (strlen(s) != 17)
        return false;
    for (size_t i = 0; i < 17; i++) {
        if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* What the kernel takes as a device name (dev_valid_name): 1 to 15 bytes, no '/', ':' or space, not . or .. */
static bool is_ifname(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (; *s; s++) {
        if (*s == '/' || *s == ':' || isspace((unsigned char)*s) || !isprint((unsigned char)*s))
            return false;
    }
    return true;
}

static int take_ip(char *dst, size_t size, const json_t *data, const char *key, bool required, kuryr_error *err)
{
    if (take_str(dst, size, data, key, required, err) < 0)
        return -1;
    return dst[0] && !is_ip(dst) ? bad(err, key, "is not an IP address") : 0;
}

static int take_cidr(char *dst, size_t size, const json_t *data, const char *key, kuryr_error *err)
{
    if (take_str(dst, size, data, key, true, err) < 0)
        return -1;
    return is_cidr(dst) ? 0 : bad(err, key, "is not a CIDR");
}

static int read_fixed_ips(const json_t *subnet, const char *cidr, const char *gateway, const char *subnet_id,
                          kuryr_k8s_vif *out, kuryr_error *err)
{
    const json_t *objects, *ip;
    size_t i;
    if (list_objects(subnet, "ips", "FixedIPList", &objects, err) < 0)
        return -1;
    json_array_foreach(objects, i, ip) {
        const json_t *d = ovo_data(ip, "FixedIP", NULL, "ips", err);
        if (!d)
            return -1;
        if (out->n_ips == KURYR_VIF_MAX_IPS)
            return bad(err, "ips", "hold more than 4 addresses");
        size_t n = out->n_ips, field = sizeof(out->ips[0].address);
        if (take_ip(out->ips[n].address, field, d, "address", true, err) < 0)
            return -1;
        snprintf(out->ips[n].cidr, field, "%s", cidr);
        snprintf(out->ips[n].gateway, field, "%s", gateway);
        snprintf(out->ips[n].subnet_id, field, "%s", subnet_id);
        out->n_ips++;
    }
    return 0;
}

/* Whether the route is there already (a route is written into every subnet of its family). */
static bool route_known(const kuryr_k8s_vif *vif, const char *dst, const char *gw)
{
    for (size_t i = 0; i < vif->n_routes; i++) {
        if (!strcmp(vif->routes[i].dst, dst) && !strcmp(vif->routes[i].gw, gw))
            return true;
    }
    return false;
}

static int read_routes(const json_t *subnet, kuryr_k8s_vif *out, kuryr_error *err)
{
    const json_t *objects, *route;
    size_t i;
    if (list_objects(subnet, "routes", "RouteList", &objects, err) < 0)
        return -1;
    json_array_foreach(objects, i, route) {
        char dst[sizeof(out->routes[0].dst)], gw[sizeof(out->routes[0].gw)];
        const json_t *d = ovo_data(route, "Route", NULL, "routes", err);
        if (!d || take_cidr(dst, sizeof(dst), d, "cidr", err) < 0 ||
            take_ip(gw, sizeof(gw), d, "gateway", false, err) < 0)
            return -1;
        if (route_known(out, dst, gw))
            continue;
        if (out->n_routes == KURYR_VIF_MAX_ROUTES)
            return bad(err, "routes", "hold more than 8 routes");
        strcpy(out->routes[out->n_routes].dst, dst); /* same sizes */
        strcpy(out->routes[out->n_routes].gw, gw);
        out->n_routes++;
    }
    return 0;
}

/* DNS servers, each kept once (every subnet of a family repeats them). */
static int read_dns(const json_t *subnet, kuryr_k8s_vif *out, kuryr_error *err)
{
    const json_t *dns = json_object_get(subnet, "dns"), *server;
    size_t i;
    if (!dns || json_is_null(dns))
        return 0;
    if (!json_is_array(dns))
        return bad(err, "dns", "is not a list");
    json_array_foreach(dns, i, server) {
        const char *s = json_string_value(server);
        if (!s || strlen(s) >= sizeof(out->dns[0]) || !is_ip(s))
            return bad(err, "dns", "holds something other than an IP address");
        size_t j = 0;
        while (j < out->n_dns && strcmp(out->dns[j], s) != 0)
            j++;
        if (j < out->n_dns)
            continue;
        if (out->n_dns == KURYR_VIF_MAX_DNS)
            return bad(err, "dns", "holds more than 4 servers");
        snprintf(out->dns[out->n_dns++], sizeof(out->dns[0]), "%s", s);
    }
    return 0;
}

static int read_subnet(const json_t *p, kuryr_k8s_vif *out, kuryr_error *err)
{
    char cidr[64], gateway[64], subnet_id[64];
    const json_t *d = ovo_data(p, "Subnet", NULL, "subnet", err);
    if (!d || take_cidr(cidr, sizeof(cidr), d, "cidr", err) < 0 ||
        take_ip(gateway, sizeof(gateway), d, "gateway", false, err) < 0 ||
        take_str(subnet_id, sizeof(subnet_id), d, "subnet_id", false, err) < 0)
        return -1;
    if (read_fixed_ips(d, cidr, gateway, subnet_id, out, err) < 0 || read_routes(d, out, err) < 0)
        return -1;
    return read_dns(d, out, err);
}

static int read_network(const json_t *vif_data, char *bridge, size_t bridge_size, kuryr_k8s_vif *out,
                        kuryr_error *err)
{
    const json_t *d = ovo_data(json_object_get(vif_data, "network"), "Network", NULL, "network", err);
    if (!d || take_str(out->network_id, sizeof(out->network_id), d, "id", true, err) < 0 ||
        take_str(bridge, bridge_size, d, "bridge", false, err) < 0)
        return -1;
    const json_t *mtu = json_object_get(d, "mtu");
    if (mtu && !json_is_null(mtu)) {
        if (!json_is_integer(mtu) || json_integer_value(mtu) < 0 || json_integer_value(mtu) > 65535)
            return bad(err, "network.mtu", "is not a valid MTU");
        out->mtu = (unsigned)json_integer_value(mtu);
    }
    const json_t *objects, *subnet;
    size_t i;
    if (list_objects(d, "subnets", "SubnetList", &objects, err) < 0)
        return -1;
    json_array_foreach(objects, i, subnet) {
        if (read_subnet(subnet, out, err) < 0)
            return -1;
    }
    return 0;
}

/* The fields every VIF type has, and the device names, which default as upstream named them. */
static int read_vif_fields(const json_t *d, bool ovs, kuryr_k8s_vif *out, kuryr_error *err)
{
    char net_bridge[16];
    if (take_str(out->port_id, sizeof(out->port_id), d, "id", true, err) < 0 ||
        take_str(out->mac, sizeof(out->mac), d, "address", true, err) < 0 ||
        take_str(out->project_id, sizeof(out->project_id), d, "project_id", false, err) < 0 ||
        take_str(out->plugin, sizeof(out->plugin), d, "plugin", false, err) < 0 ||
        take_str(out->vif_name, sizeof(out->vif_name), d, "vif_name", false, err) < 0 ||
        take_str(out->bridge_name, sizeof(out->bridge_name), d, "bridge_name", false, err) < 0 ||
        read_network(d, net_bridge, sizeof(net_bridge), out, err) < 0)
        return -1;
    if (!is_mac(out->mac))
        return bad(err, "address", "is not a MAC address");
    const json_t *active = json_object_get(d, "active");
    if (active && !json_is_null(active) && !json_is_boolean(active))
        return bad(err, "active", "is not a boolean");
    out->active = !active || json_is_null(active) || json_is_true(active); /* os-vif's default is true */
    if (!out->plugin[0])
        snprintf(out->plugin, sizeof(out->plugin), "%s", ovs ? "ovs" : "linux_bridge");
    if (!out->vif_name[0])
        snprintf(out->vif_name, sizeof(out->vif_name), "tap%.11s", out->port_id);
    if (!out->bridge_name[0])
        strcpy(out->bridge_name, net_bridge); /* same size */
    if (!is_ifname(out->vif_name))
        return bad(err, "vif_name", "is not a valid device name");
    if (out->bridge_name[0] && !is_ifname(out->bridge_name))
        return bad(err, "bridge_name", "is not a valid device name");
    return 0;
}

int kuryr_k8s_vif_from_json(const json_t *primitive, kuryr_k8s_vif *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *name = NULL;
    const json_t *d = ovo_data(primitive, NULL, &name, "object", err);
    int rc = -1;
    if (!d)
        ;
    else if (strcmp(name, "VIFOpenVSwitch") != 0 && strcmp(name, "VIFBridge") != 0)
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "VIF: type %.64s is not supported", name);
    else
        rc = read_vif_fields(d, strcmp(name, "VIFOpenVSwitch") == 0, out, err);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* The entry of vifs marked default. */
static const json_t *default_entry(const json_t *vifs)
{
    const char *key;
    const json_t *entry;
    json_object_foreach((json_t *)vifs, key, entry) {
        if (json_is_true(json_object_get(entry, "default")))
            return entry;
    }
    return NULL;
}

int kuryr_k8s_kuryrport_vif(const json_t *kuryrport, const char *ifname, kuryr_k8s_vif *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    const json_t *status = json_object_get(kuryrport, "status");
    if (!status || json_is_null(status))
        return 0;
    const json_t *vifs = json_object_get(status, "vifs");
    if (!json_is_object(status) || (vifs && !json_is_null(vifs) && !json_is_object(vifs)))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "KuryrPort: status.vifs is not an object");
    if (!vifs || json_is_null(vifs))
        return 0;
    const json_t *entry = ifname ? json_object_get(vifs, ifname) : default_entry(vifs);
    if (!entry)
        return 0;
    if (!json_is_object(entry) || !json_object_get(entry, "vif"))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "KuryrPort: status.vifs entry without a vif");
    return kuryr_k8s_vif_from_json(json_object_get(entry, "vif"), out, err) < 0 ? -1 : 1;
}
