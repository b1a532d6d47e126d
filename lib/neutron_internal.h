/* Private plumbing shared by the lib/neutron*.c files. Not installed, not a contract. */
#ifndef KURYR_NEUTRON_INTERNAL_H
#define KURYR_NEUTRON_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "kuryr/neutron.h"

struct kuryr_neutron {
    kuryr_auth *auth;
    /* The extension list is fetched by the first caller that needs it; the lock also makes concurrent first
     * callers wait for that one GET instead of each sending their own. */
    pthread_mutex_t ext_lock;
    bool ext_loaded;
    kuryr_strv ext;
    /* 1 until this Neutron refuses or drops "tags" in a create body (kn_create_tagged) */
    atomic_int tags_in_body;
};

/* One Neutron request. body (borrowed) is sent as JSON when not NULL. On a 2xx answer *out (when out is not
 * NULL) receives the parsed body, or NULL for an empty one. Any other status becomes a mapped error. */
int kn_call(kuryr_neutron *kn, const char *method, const char *path, json_t *body, json_t **out,
            kuryr_error *err);

/* kn_call with extra request headers (NULL-terminated "Name: value" strings, or NULL). */
int kn_call_headers(kuryr_neutron *kn, const char *method, const char *path, const char *const *headers,
                    json_t *body, json_t **out, kuryr_error *err);

/* A malloc'd URL-escaped copy (every byte but RFC 3986 unreserved ones), NULL when out of memory. */
char *kn_escape(const char *s);
/* A malloc'd printf result, NULL when out of memory. */
char *kn_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True for a collection name safe to place in a path ("security-groups"): lower-case letters, '-' and '_'. */
bool kn_collection_valid(const char *collection);
/* The path plus query of a pagination href, relative to the network endpoint: "/v2.0/..." taken from a full
 * URL or used as given when it already starts with '/'. NULL when it has no recognisable path. */
char *kn_href_to_path(const char *href);

/* A growable array of parsed objects, used by the generic list before it is handed out typed. */
typedef struct {
    void **items;
    size_t n, cap;
} kn_ptrv;
int kn_ptrv_push(kn_ptrv *v, void *item);

/* A resource as the generic CRUD sees it. */
typedef struct {
    const char *collection;  /* path segment: "security-group-rules" */
    const char *singular;    /* envelope key: "security_group_rule" */
    const char *plural;      /* list body key: "security_group_rules" */
    void *(*parse)(json_t *obj, kuryr_error *err);
    void (*free)(void *obj);
} kn_resource;

int kn_create(kuryr_neutron *kn, const kn_resource *r, json_t *attrs, void **out, kuryr_error *err);
/* kn_create with tags (see kuryr_neutron_network_create_tagged). at says where the parsed object keeps its id
 * (char *) and its tags (kuryr_strv). */
typedef struct {
    size_t id, tags;
} kn_tagged_layout;
int kn_create_tagged(kuryr_neutron *kn, const kn_resource *r, kn_tagged_layout at, json_t *attrs,
                     const char *const *tags, size_t n, void **out, bool *tagged_after, kuryr_error *err);
int kn_get(kuryr_neutron *kn, const kn_resource *r, const char *id, void **out, kuryr_error *err);
int kn_update(kuryr_neutron *kn, const kn_resource *r, const char *id, json_t *attrs, void **out,
              kuryr_error *err);
int kn_update_headers(kuryr_neutron *kn, const kn_resource *r, const char *id, const char *const *headers,
                      json_t *attrs, void **out, kuryr_error *err);
int kn_delete(kuryr_neutron *kn, const kn_resource *r, const char *id, kuryr_error *err);
/* Every item across all pages; on failure nothing is left in out. */
int kn_list(kuryr_neutron *kn, const kn_resource *r, kuryr_query *q, kn_ptrv *out, kuryr_error *err);

/* The trunk descriptor, for the subport calls that answer with a trunk. */
const kn_resource *kn_trunk_resource(void);

/* Parses the object found under r->singular in body (or body itself when it has no envelope). */
int kn_parse_enveloped(const kn_resource *r, json_t *body, void **out, kuryr_error *err);

/* Attribute readers used by the object parsers. The first failure records a clear error naming the object
 * and the attribute, and marks the parse as bad; later calls on a bad parse do nothing. Absent and null
 * attributes give NULL, 0, an empty list, or the default. Integers may arrive as JSON strings. */
typedef struct kn_parser {
    char what[64];  /* "network", "port fixed_ips[1]" */
    json_t *obj;
    kuryr_error *err;
    struct kn_parser *parent;  /* a failure in a nested parse also fails its parent */
    bool bad;
} kn_parser;

bool kp_begin(kn_parser *p, const char *what, json_t *obj, kuryr_error *err);
char *kp_str(kn_parser *p, const char *key);
char *kp_str_required(kn_parser *p, const char *key);
long kp_long(kn_parser *p, const char *key);
int kp_int(kn_parser *p, const char *key);
bool kp_bool(kn_parser *p, const char *key, bool dflt);
kuryr_strv kp_strv(kn_parser *p, const char *key);
json_t *kp_object(kn_parser *p, const char *key);
/* The array under key (NULL when absent or null), with its length in *n. */
json_t *kp_array(kn_parser *p, const char *key, size_t *n);
/* Reads an element of an array of objects: begins a nested parse named e.g. "port fixed_ips[1]". */
bool kp_nested(kn_parser *p, kn_parser *child, const char *key, size_t index, json_t *elem);
/* Marks a failure that is not about a single attribute (out of memory). */
void kp_fail(kn_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
