/* Allowed address pairs of a VM's port, as nested macvlan/ipvlan containers need them. */
#include "binding_internal.h"

#include <string.h>
#include <strings.h>

/* "10.0.0.5", "10.0.0.5/32" and "fd00::5/128" name one host: compare without a host-length prefix. */
static bool same_ip(const char *a, const char *b)
{
    size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
    if (la != lb || strncmp(a, b, la) != 0)
        return false;
    const char *pa = a[la] ? a + la + 1 : NULL, *pb = b[lb] ? b + lb + 1 : NULL;
    bool ha = !pa || !strcmp(pa, "32") || !strcmp(pa, "128"), hb = !pb || !strcmp(pb, "32") || !strcmp(pb, "128");
    return (ha && hb) || (pa && pb && !strcmp(pa, pb));
}

static bool is_port_ip(const kuryr_port *port, const char *ip)
{
    for (size_t i = 0; i < port->n_fixed_ips; i++)
        if (port->fixed_ips[i].ip_address && same_ip(port->fixed_ips[i].ip_address, ip))
            return true;
    return false;
}

static json_t *pair(const char *ip, const char *mac)
{
    json_t *o = json_object();
    json_object_set_new(o, "ip_address", json_string(ip));
    if (mac)
        json_object_set_new(o, "mac_address", json_string(mac));
    return o;
}

json_t *kb_aap_with(const kuryr_port *parent, const kuryr_port *port, const char *mac)
{
    json_t *list = json_array();
    bool changed = false;
    for (size_t i = 0; i < parent->n_allowed_address_pairs; i++) {
        const kuryr_address_pair *p = &parent->allowed_address_pairs[i];
        json_array_append_new(list, pair(p->ip_address, p->mac_address));
    }
    for (size_t i = 0; i < port->n_fixed_ips; i++) {
        const char *ip = port->fixed_ips[i].ip_address;
        if (!ip)
            continue;
        bool present = false;
        for (size_t j = 0; j < parent->n_allowed_address_pairs && !present; j++) {
            const kuryr_address_pair *p = &parent->allowed_address_pairs[j];
            const char *pm = p->mac_address ? p->mac_address : parent->mac_address;
            present = same_ip(p->ip_address, ip) && pm && mac && !strcasecmp(pm, mac);
        }
        if (!present) {
            json_array_append_new(list, pair(ip, mac));
            changed = true;
        }
    }
    if (!changed) {
        json_decref(list);
        return NULL;
    }
    return list;
}

json_t *kb_aap_without(const kuryr_port *parent, const kuryr_port *port)
{
    json_t *list = json_array();
    bool changed = false;
    for (size_t i = 0; i < parent->n_allowed_address_pairs; i++) {
        const kuryr_address_pair *p = &parent->allowed_address_pairs[i];
        if (p->ip_address && is_port_ip(port, p->ip_address)) {
            changed = true;
            continue;
        }
        json_array_append_new(list, pair(p->ip_address, p->mac_address));
    }
    if (!changed) {
        json_decref(list);
        return NULL;
    }
    return list;
}
