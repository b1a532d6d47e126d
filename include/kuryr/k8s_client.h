/* A client of the kube-apiserver on libcurl (lib/http.c) and jansson.
 *
 * One client is shared by every thread (informers, workers, the Lease loop); each thread gets its own
 * keep-alive connection through lib/http.c. Bearer tokens from a token file are re-read when the file changes
 * (a rotated service-account token) and after a 401, which is then retried once. Errors carry the HTTP status
 * and the Status object's `reason` (err->type: "NotFound", "AlreadyExists", "Conflict", "Expired", "Gone",
 * "TooManyRequests", ...), and the message carries the Status `message`. */
#ifndef KURYR_K8S_CLIENT_H
#define KURYR_K8S_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "kuryr/error.h"
#include "kuryr/k8s_config.h"

typedef struct kuryr_k8s_client kuryr_k8s_client;

typedef struct {
    long connect_timeout_ms;  /* 0 = 10 s */
    long timeout_ms;          /* plain requests (not watches); 0 = 30 s */
    const char *user_agent;   /* NULL = "kuryr-c/<version>" */
} kuryr_k8s_client_opts;

/* Copies what it needs from cfg (cfg may be cleared afterwards). opts may be NULL. NULL with err on bad
 * configuration (no server, unreadable token file). */
kuryr_k8s_client *kuryr_k8s_client_new(const kuryr_k8s_config *cfg, const kuryr_k8s_client_opts *opts,
                                       kuryr_error *err);
void kuryr_k8s_client_free(kuryr_k8s_client *c);
/* The server URL without a trailing '/'. */
const char *kuryr_k8s_client_server(const kuryr_k8s_client *c);
/* Requests this client sent (all threads), for metrics and requests-per-object figures. */
unsigned long kuryr_k8s_client_requests(const kuryr_k8s_client *c);

/* A kind of object on the API: group "" is the core group (/api/v1), anything else is /apis/<group>/<ver>. */
typedef struct {
    const char *group;     /* "", "coordination.k8s.io", "openstack.org", ... */
    const char *version;   /* "v1" */
    const char *plural;    /* "configmaps", "leases", "kuryrports" */
    bool namespaced;
} kuryr_k8s_resource;

extern const kuryr_k8s_resource kuryr_k8s_configmaps, kuryr_k8s_pods, kuryr_k8s_namespaces, kuryr_k8s_services,
    kuryr_k8s_endpoints, kuryr_k8s_nodes, kuryr_k8s_events, kuryr_k8s_leases, kuryr_k8s_networkpolicies,
    kuryr_k8s_crds;

/* The path of a collection (name NULL) or an object, optionally a subresource ("status"), malloc'd.
 * namespace NULL on a namespaced resource = across all namespaces (collections only). Names are escaped. */
char *kuryr_k8s_path(const kuryr_k8s_resource *r, const char *namespace, const char *name, const char *subresource);

/* One request. path starts with '/' and may carry a query string. body (may be NULL) is sent with
 * content_type (NULL = application/json). Returns 0 on a 2xx answer with *out the parsed JSON body (NULL when
 * the body is empty; out may be NULL to drop it), or -1 with err: the kind from the status
 * (kuryr_err_kind_from_status; 429 is KURYR_ERR_UNAVAILABLE), http_status, type = the Status reason.
 * Idempotent requests are retried on connection failures and 502/503/504 by lib/http.c; a 429 is retried after
 * its Retry-After (capped at 10 s, up to 3 times). */
int kuryr_k8s_request(kuryr_k8s_client *c, const char *method, const char *path, const char *content_type,
                      const json_t *body, json_t **out, kuryr_error *err);
/* GET of one object. */
int kuryr_k8s_get(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace, const char *name,
                  json_t **out, kuryr_error *err);

/* Reading objects (borrowed strings, NULL when absent or not a string). */
const char *kuryr_k8s_obj_name(const json_t *obj);
const char *kuryr_k8s_obj_namespace(const json_t *obj);
const char *kuryr_k8s_obj_uid(const json_t *obj);
const char *kuryr_k8s_obj_resource_version(const json_t *obj);
/* "namespace/name", or "name" for a cluster-scoped object, malloc'd; NULL without a name. */
char *kuryr_k8s_obj_key(const json_t *obj);
/* True when metadata.deletionTimestamp is set (the object waits on its finalizers). */
bool kuryr_k8s_obj_deleting(const json_t *obj);
bool kuryr_k8s_obj_has_finalizer(const json_t *obj, const char *finalizer);

#endif
