/* The daemon's ADD answer (CNI 1.0.0 shape, no cniVersion) turned into a result of the config's version. */
#include "cni.h"

#include <string.h>

static int bad_answer(cni_error *err, const char *what)
{
    return cni_error_set(err, CNI_ERR_BAD_DAEMON_ANSWER, "kuryr-daemon's answer cannot be used", "%s", what);
}

/* Copies the members named in keys (a NULL-terminated list) that obj has; -1 when one is not of the type. */
static int copy_typed(json_t *to, const json_t *obj, const char *const *keys, json_type type)
{
    for (; *keys; keys++) {
        json_t *v = json_object_get(obj, *keys);
        if (!v)
            continue;
        if (json_typeof(v) != type)
            return -1;
        json_object_set(to, *keys, v);
    }
    return 0;
}

static int copy_strings(json_t *to, const json_t *obj, const char *const *keys)
{
    return copy_typed(to, obj, keys, JSON_STRING);
}

static int copy_integers(json_t *to, const json_t *obj, const char *const *keys)
{
    return copy_typed(to, obj, keys, JSON_INTEGER);
}

static json_t *convert_interfaces(const json_t *in, bool v11, const char *netns, const char *ifname,
                                  cni_error *err)
{
    static const char *const strs[] = {"name", "mac", "sandbox", NULL};
    static const char *const strs11[] = {"socketPath", "pciID", NULL};
    static const char *const ints11[] = {"mtu", NULL};
    json_t *out = json_array();
    size_t i;
    json_t *itf;
    json_array_foreach(in, i, itf) {
        json_t *o = json_object();
        json_array_append_new(out, o);
        if (!json_is_object(itf) || !json_is_string(json_object_get(itf, "name")) || copy_strings(o, itf, strs) ||
            (v11 && (copy_strings(o, itf, strs11) || copy_integers(o, itf, ints11)))) {
            bad_answer(err, "interfaces[] must be objects with a name and string fields");
            json_decref(out);
            return NULL;
        }
        /* The spec: sandbox is the netns path. The daemon's own guess (if any) is replaced; a host-side
         * interface (no sandbox, another name) stays as it is. */
        json_t *sb = json_object_get(itf, "sandbox");
        if ((sb && json_string_length(sb) > 0) || !strcmp(json_string_value(json_object_get(itf, "name")), ifname))
            json_object_set_new(o, "sandbox", json_string(netns));
    }
    return out;
}

static json_t *convert_ips(const json_t *in, bool with_version, size_t n_interfaces, cni_error *err)
{
    static const char *const strs[] = {"address", "gateway", NULL};
    json_t *out = json_array();
    size_t i;
    json_t *ip;
    json_array_foreach(in, i, ip) {
        json_t *o = json_object();
        json_array_append_new(out, o);
        json_t *addr = json_object_get(ip, "address"), *idx = json_object_get(ip, "interface");
        if (!json_is_object(ip) || !json_is_string(addr) || !strchr(json_string_value(addr), '/') ||
            copy_strings(o, ip, strs) ||
            (idx && (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
                     (size_t)json_integer_value(idx) >= n_interfaces))) {
            bad_answer(err, "ips[] must have an address in CIDR form and a valid interface index");
            json_decref(out);
            return NULL;
        }
        if (idx)
            json_object_set(o, "interface", idx);
        if (with_version)
            json_object_set_new(o, "version", json_string(strchr(json_string_value(addr), ':') ? "6" : "4"));
    }
    return out;
}

static json_t *convert_routes(const json_t *in, bool v11, cni_error *err)
{
    static const char *const strs[] = {"dst", "gw", NULL};
    static const char *const ints11[] = {"mtu", "advmss", "priority", "table", "scope", NULL};
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(in, i, r) {
        json_t *o = json_object();
        json_array_append_new(out, o);
        if (!json_is_object(r) || !json_is_string(json_object_get(r, "dst")) || copy_strings(o, r, strs) ||
            (v11 && copy_integers(o, r, ints11))) {
            bad_answer(err, "routes[] must have a dst");
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static bool optional_array(const json_t *answer, const char *key)
{
    json_t *v = json_object_get(answer, key);
    return !v || json_is_array(v);
}

json_t *cni_result_convert(const json_t *answer, const char *version, const char *netns, const char *ifname,
                           cni_error *err)
{
    if (!json_is_object(answer) || !optional_array(answer, "interfaces") || !optional_array(answer, "ips") ||
        !optional_array(answer, "routes")) {
        bad_answer(err, "not a result object");
        return NULL;
    }
    json_t *dns = json_object_get(answer, "dns");
    if (dns && !json_is_object(dns)) {
        bad_answer(err, "dns must be an object");
        return NULL;
    }
    bool v11 = cni_version_cmp(version, "1.1.0") >= 0;
    bool ip_version = cni_version_cmp(version, "1.0.0") < 0;
    json_t *in_itf = json_object_get(answer, "interfaces");
    json_t *itf = convert_interfaces(in_itf, v11, netns, ifname, err);
    json_t *ips = itf ? convert_ips(json_object_get(answer, "ips"), ip_version, json_array_size(in_itf), err) : NULL;
    json_t *routes = ips ? convert_routes(json_object_get(answer, "routes"), v11, err) : NULL;
    if (!routes) {
        json_decref(itf);
        json_decref(ips);
        return NULL;
    }
    json_t *out = json_pack("{s:s, s:o, s:o, s:o}", "cniVersion", version, "interfaces", itf, "ips", ips,
                            "routes", routes);
    json_object_set_new(out, "dns", dns ? json_deep_copy(dns) : json_object());
    return out;
}
