/* Create, get, list, update and delete for every resource, written once over a descriptor table. */
#include "neutron_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/log.h"

/* Neutron stops paging when a page has no next link; this only guards against a server that keeps
 * answering with the same link. */
#define KN_MAX_PAGES 100000

static char *item_path(const kn_resource *r, const char *id, kuryr_error *err)
{
    if (!id || !*id) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, "", "%s: an id is required", r->singular);
        return NULL;
    }
    char *eid = kn_escape(id);
    char *path = eid ? kn_strdup_printf("/v2.0/%s/%s", r->collection, eid) : NULL;
    free(eid);
    if (!path)
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "out of memory");
    return path;
}

int kn_parse_enveloped(const kn_resource *r, json_t *body, void **out, kuryr_error *err)
{
    json_t *obj = json_object_get(body, r->singular);
    if (!json_is_object(obj))
        obj = body;
    void *o = r->parse(obj, err);
    if (!o)
        return -1;
    *out = o;
    return 0;
}

/* Sends {"<singular>": attrs} and parses the object that comes back. */
static int send_attrs(kuryr_neutron *kn, const kn_resource *r, const char *method, const char *path,
                      const char *const *headers, json_t *attrs, void **out, kuryr_error *err)
{
    if (out)
        *out = NULL;
    if (!json_is_object(attrs))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, "", "%s: attributes must be a JSON object",
                               r->singular);
    json_t *envelope = json_pack("{sO}", r->singular, attrs);
    if (!envelope)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "out of memory");
    json_t *resp;
    int rc = kn_call_headers(kn, method, path, headers, envelope, out ? &resp : NULL, err);
    json_decref(envelope);
    if (rc == 0 && out) {
        rc = kn_parse_enveloped(r, resp, out, err);
        json_decref(resp);
    }
    return rc;
}

int kn_create(kuryr_neutron *kn, const kn_resource *r, json_t *attrs, void **out, kuryr_error *err)
{
    char *path = kn_strdup_printf("/v2.0/%s", r->collection);
    if (!path)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "out of memory");
    int rc = send_attrs(kn, r, "POST", path, NULL, attrs, out, err);
    free(path);
    return rc;
}

int kn_update(kuryr_neutron *kn, const kn_resource *r, const char *id, json_t *attrs, void **out,
              kuryr_error *err)
{
    return kn_update_headers(kn, r, id, NULL, attrs, out, err);
}

int kn_update_headers(kuryr_neutron *kn, const kn_resource *r, const char *id, const char *const *headers,
                      json_t *attrs, void **out, kuryr_error *err)
{
    if (out)
        *out = NULL;
    char *path = item_path(r, id, err);
    if (!path)
        return -1;
    int rc = send_attrs(kn, r, "PUT", path, headers, attrs, out, err);
    free(path);
    return rc;
}

int kn_get(kuryr_neutron *kn, const kn_resource *r, const char *id, void **out, kuryr_error *err)
{
    *out = NULL;
    char *path = item_path(r, id, err);
    if (!path)
        return -1;
    json_t *resp;
    int rc = kn_call(kn, "GET", path, NULL, &resp, err);
    free(path);
    if (rc == 0) {
        rc = kn_parse_enveloped(r, resp, out, err);
        json_decref(resp);
    }
    return rc;
}

int kn_delete(kuryr_neutron *kn, const kn_resource *r, const char *id, kuryr_error *err)
{
    char *path = item_path(r, id, err);
    if (!path)
        return -1;
    int rc = kn_call(kn, "DELETE", path, NULL, NULL, err);
    free(path);
    return rc;
}

/* The path of the next page from "<plural>_links", NULL when there is none. */
static char *next_page(const kn_resource *r, json_t *body)
{
    char key[96];
    snprintf(key, sizeof(key), "%s_links", r->plural);
    json_t *links = json_object_get(body, key), *link;
    size_t i;
    json_array_foreach(links, i, link) {
        json_t *rel = json_object_get(link, "rel"), *href = json_object_get(link, "href");
        if (json_is_string(rel) && !strcmp(json_string_value(rel), "next") && json_is_string(href))
            return kn_href_to_path(json_string_value(href));
    }
    return NULL;
}

/* Parses one page into out; *next gets the following page's path or NULL. */
static int list_page(kuryr_neutron *kn, const kn_resource *r, const char *path, kn_ptrv *out, char **next,
                     kuryr_error *err)
{
    *next = NULL;
    json_t *body;
    if (kn_call(kn, "GET", path, NULL, &body, err) < 0)
        return -1;
    json_t *items = json_object_get(body, r->plural), *item;
    if (!json_is_array(items)) {
        json_decref(body);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "Neutron list of %s has no '%s' array",
                               r->collection, r->plural);
    }
    size_t i;
    json_array_foreach(items, i, item) {
        void *o = r->parse(item, err);
        if (!o || kn_ptrv_push(out, o) < 0) {
            if (o) {
                r->free(o);
                kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "out of memory");
            }
            json_decref(body);
            return -1;
        }
    }
    *next = next_page(r, body);
    json_decref(body);
    return 0;
}

int kn_list(kuryr_neutron *kn, const kn_resource *r, kuryr_query *q, kn_ptrv *out, kuryr_error *err)
{
    *out = (kn_ptrv){0};
    const char *qs = q ? kuryr_query_string(q) : "";
    if (!qs)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "%s: the list query could not be built",
                               r->collection);
    char *path = kn_strdup_printf("/v2.0/%s%s%s", r->collection, *qs ? "?" : "", qs);
    if (!path)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "out of memory");
    int rc = 0, pages = 0;
    while (path) {
        char *next;
        if ((rc = list_page(kn, r, path, out, &next, err)) < 0)
            break;
        if (next && (!strcmp(next, path) || ++pages >= KN_MAX_PAGES)) {
            KLOG_WARN("neutron: stopped paging %s at a repeated or endless next link", r->collection);
            free(next);
            next = NULL;
        }
        free(path);
        path = next;
    }
    free(path);
    if (rc < 0) {
        for (size_t i = 0; i < out->n; i++)
            r->free(out->items[i]);
        free(out->items);
        *out = (kn_ptrv){0};
    }
    return rc;
}

/* ---- the resources ----------------------------------------------------------------------------------- */
/* Adapters keep calls through the descriptor type-correct (UBSan checks function pointer types). */
#define KN_RESOURCE(T, name, collection, singular, plural)                                                     \
    static void *parse_##name(json_t *obj, kuryr_error *err) { return T##_from_json(obj, err); }             \
    static void free_##name(void *obj) { T##_free(obj); }                                                      \
    static const kn_resource res_##name = {collection, singular, plural, parse_##name, free_##name};          \
                                                                                                               \
    int kuryr_neutron_##name##_create(kuryr_neutron *kn, json_t *attrs, T **out, kuryr_error *err)            \
    {                                                                                                          \
        void *o = NULL;                                                                                        \
        int rc = kn_create(kn, &res_##name, attrs, out ? &o : NULL, err);                                      \
        if (out)                                                                                               \
            *out = o;                                                                                          \
        return rc;                                                                                             \
    }                                                                                                          \
    int kuryr_neutron_##name##_get(kuryr_neutron *kn, const char *id, T **out, kuryr_error *err)              \
    {                                                                                                          \
        void *o = NULL;                                                                                        \
        int rc = kn_get(kn, &res_##name, id, &o, err);                                                         \
        *out = o;                                                                                              \
        return rc;                                                                                             \
    }                                                                                                          \
    int kuryr_neutron_##name##_update(kuryr_neutron *kn, const char *id, json_t *attrs, T **out,              \
                                      kuryr_error *err)                                                        \
    {                                                                                                          \
        void *o = NULL;                                                                                        \
        int rc = kn_update(kn, &res_##name, id, attrs, out ? &o : NULL, err);                                  \
        if (out)                                                                                               \
            *out = o;                                                                                          \
        return rc;                                                                                             \
    }                                                                                                          \
    int kuryr_neutron_##name##_delete(kuryr_neutron *kn, const char *id, kuryr_error *err)                    \
    {                                                                                                          \
        return kn_delete(kn, &res_##name, id, err);                                                            \
    }                                                                                                          \
    int kuryr_neutron_##name##_list(kuryr_neutron *kn, kuryr_query *q, T##_list *out, kuryr_error *err)       \
    {                                                                                                          \
        out->items = NULL;                                                                                     \
        out->n = 0;                                                                                            \
        kn_ptrv v;                                                                                             \
        if (kn_list(kn, &res_##name, q, &v, err) < 0)                                                          \
            return -1;                                                                                         \
        if (!(out->items = calloc(v.n + 1, sizeof(*out->items)))) {                                            \
            for (size_t i = 0; i < v.n; i++)                                                                   \
                T##_free(v.items[i]);                                                                          \
            free(v.items);                                                                                     \
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "out of memory");                          \
        }                                                                                                      \
        for (size_t i = 0; i < v.n; i++)                                                                       \
            out->items[i] = v.items[i];                                                                        \
        out->n = v.n;                                                                                          \
        free(v.items);                                                                                         \
        return 0;                                                                                              \
    }

KN_RESOURCE(kuryr_network, network, "networks", "network", "networks")
KN_RESOURCE(kuryr_subnet, subnet, "subnets", "subnet", "subnets")
KN_RESOURCE(kuryr_subnetpool, subnetpool, "subnetpools", "subnetpool", "subnetpools")
KN_RESOURCE(kuryr_port, port, "ports", "port", "ports")
KN_RESOURCE(kuryr_security_group, security_group, "security-groups", "security_group", "security_groups")
KN_RESOURCE(kuryr_sg_rule, sg_rule, "security-group-rules", "security_group_rule", "security_group_rules")
KN_RESOURCE(kuryr_trunk, trunk, "trunks", "trunk", "trunks")

#define KN_CREATE_TAGGED(T, name)                                                                              \
    int kuryr_neutron_##name##_create_tagged(kuryr_neutron *kn, json_t *attrs, const char *const *tags,       \
                                             size_t n, T **out, bool *tagged_after, kuryr_error *err)         \
    {                                                                                                          \
        const kn_tagged_layout at = {offsetof(T, id), offsetof(T, tags)};                                      \
        void *o = NULL;                                                                                        \
        int rc = kn_create_tagged(kn, &res_##name, at, attrs, tags, n, &o, tagged_after, err);                \
        *out = o;                                                                                              \
        return rc;                                                                                             \
    }
KN_CREATE_TAGGED(kuryr_network, network)
KN_CREATE_TAGGED(kuryr_subnet, subnet)
KN_CREATE_TAGGED(kuryr_subnetpool, subnetpool)
KN_CREATE_TAGGED(kuryr_port, port)

const kn_resource *kn_trunk_resource(void)
{
    return &res_trunk;
}

int kuryr_neutron_port_update_if_revision(kuryr_neutron *kn, const char *id, json_t *attrs, long revision_number,
                                          kuryr_port **out, kuryr_error *err)
{
    char if_match[64];
    snprintf(if_match, sizeof(if_match), "If-Match: revision_number=%ld", revision_number);
    const char *headers[] = {if_match, NULL};
    void *o = NULL;
    int rc = kn_update_headers(kn, &res_port, id, headers, attrs, out ? &o : NULL, err);
    if (out)
        *out = o;
    return rc;
}

int kuryr_neutron_port_create_bulk(kuryr_neutron *kn, json_t *attrs_list, kuryr_port_list *out, kuryr_error *err)
{
    *out = (kuryr_port_list){0};
    if (!json_is_array(attrs_list) || json_array_size(attrs_list) == 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, "", "ports: a non-empty array is required");
    json_t *body = json_pack("{sO}", res_port.plural, attrs_list);
    if (!body)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "out of memory");
    json_t *resp = NULL;
    int rc = kn_call(kn, "POST", "/v2.0/ports", body, &resp, err);
    json_decref(body);
    if (rc < 0)
        return -1;
    json_t *items = json_object_get(resp, res_port.plural);
    size_t n = json_array_size(items);
    /* Neutron creates all or none: a short answer means the body was not understood */
    if (n != json_array_size(attrs_list) || !(out->items = calloc(n + 1, sizeof(*out->items)))) {
        json_decref(resp);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "ports: bulk create answered %zu of %zu ports", n,
                               json_array_size(attrs_list));
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!(out->items[i] = kuryr_port_from_json(json_array_get(items, i), err)))
            rc = -1;
        else
            out->n++;
    }
    json_decref(resp);
    if (rc < 0)
        kuryr_port_list_clear(out);
    return rc;
}
