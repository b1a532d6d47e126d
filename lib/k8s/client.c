/* The kube-apiserver client: its life, its bearer token (re-read when rotated), resources and object fields.
 * See include/kuryr/k8s_client.h. */
#include "k8s_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/log.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 30000L
/* Service-account tokens are about 1 KB; anything much larger is not a token file. */
#define MAX_TOKEN_BYTES 65536

const kuryr_k8s_resource kuryr_k8s_configmaps = {"", "v1", "configmaps", true};
const kuryr_k8s_resource kuryr_k8s_pods = {"", "v1", "pods", true};
const kuryr_k8s_resource kuryr_k8s_namespaces = {"", "v1", "namespaces", false};
const kuryr_k8s_resource kuryr_k8s_services = {"", "v1", "services", true};
const kuryr_k8s_resource kuryr_k8s_endpoints = {"", "v1", "endpoints", true};
const kuryr_k8s_resource kuryr_k8s_nodes = {"", "v1", "nodes", false};
const kuryr_k8s_resource kuryr_k8s_events = {"", "v1", "events", true};
const kuryr_k8s_resource kuryr_k8s_leases = {"coordination.k8s.io", "v1", "leases", true};
const kuryr_k8s_resource kuryr_k8s_networkpolicies = {"networking.k8s.io", "v1", "networkpolicies", true};
const kuryr_k8s_resource kuryr_k8s_crds = {"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};

void k8s_free_secret(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

/* ---- token ---- */

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The token in path, whitespace-trimmed, malloc'd; NULL with err. */
static char *read_token(const char *path, struct stat *st, kuryr_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        kuryr_error_set(err, KURYR_ERR_UNAUTHORIZED, 0, NULL, "token file %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = calloc(1, MAX_TOKEN_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_TOKEN_BYTES, f) : 0;
    if (fstat(fileno(f), st) != 0)
        memset(st, 0, sizeof(*st));
    fclose(f);
    if (!buf) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    /* A header line cannot carry control characters; an empty or binary file is not a token. */
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] == 0x7f)
            n = 0;
    }
    if (n == 0 || strlen(buf) != n) {
        k8s_free_secret(buf);
        kuryr_error_set(err, KURYR_ERR_UNAUTHORIZED, 0, NULL, "token file %s holds no usable token", path);
        return NULL;
    }
    return buf;
}

int k8s_token_refresh(kuryr_k8s_client *c, bool force, kuryr_error *err)
{
    if (!c->token_file)
        return 0;
    struct stat now;
    pthread_mutex_lock(&c->lock);
    bool changed = force || !c->token || stat(c->token_file, &now) != 0 || !same_file(&now, &c->token_st);
    int rc = 0;
    if (changed) {
        struct stat st;
        char *token = read_token(c->token_file, &st, err);
        if (token) {
            if (c->token && strcmp(c->token, token) != 0)
                KLOG_INFO("k8s: bearer token re-read from %s (rotated)", c->token_file);
            k8s_free_secret(c->token);
            c->token = token;
            c->token_st = st;
        } else {
            rc = -1;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

char *k8s_auth_header(kuryr_k8s_client *c)
{
    pthread_mutex_lock(&c->lock);
    char *h = NULL;
    if (c->token) {
        size_t n = strlen(c->token) + sizeof("Authorization: Bearer ");
        if ((h = malloc(n)))
            snprintf(h, n, "Authorization: Bearer %s", c->token);
    }
    pthread_mutex_unlock(&c->lock);
    return h;
}

/* ---- life ---- */

static char *dup_opt(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

kuryr_k8s_client *kuryr_k8s_client_new(const kuryr_k8s_config *cfg, const kuryr_k8s_client_opts *opts,
                                       kuryr_error *err)
{
    if (!cfg || !cfg->server || !*cfg->server) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "k8s: no API server URL configured");
        return NULL;
    }
    kuryr_k8s_client_opts none = {0};
    if (!opts)
        opts = &none;
    kuryr_http_opts h = {
        .cafile = cfg->ca_file, .certfile = cfg->cert_file, .keyfile = cfg->key_file,
        .ca_pem = cfg->ca_pem, .cert_pem = cfg->cert_pem, .key_pem = cfg->key_pem,
        .insecure = cfg->insecure,
        .connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS,
        .timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS,
    };
    kuryr_k8s_client *c = calloc(1, sizeof(*c));
    if (!c || pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    c->http = kuryr_http_new(&h);
    c->server = strdup(cfg->server);
    c->user_agent = dup_opt(opts->user_agent);
    c->token = dup_opt(cfg->token);
    c->token_file = cfg->token ? NULL : dup_opt(cfg->token_file);
    if (!c->http || !c->server || (cfg->token && !c->token) || (cfg->token_file && !cfg->token && !c->token_file) ||
        (opts->user_agent && !c->user_agent)) {
        kuryr_k8s_client_free(c);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    size_t n = strlen(c->server);
    while (n > 0 && c->server[n - 1] == '/')
        c->server[--n] = '\0';
    if (cfg->insecure)
        KLOG_WARN("k8s: TLS verification of %s is OFF (insecure): anyone on the path can impersonate it",
                  c->server);
    if (k8s_token_refresh(c, true, err) != 0) {
        kuryr_k8s_client_free(c);
        return NULL;
    }
    return c;
}

void kuryr_k8s_client_free(kuryr_k8s_client *c)
{
    if (!c)
        return;
    kuryr_http_free(c->http);
    free(c->server);
    free(c->user_agent);
    k8s_free_secret(c->token);
    free(c->token_file);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *kuryr_k8s_client_server(const kuryr_k8s_client *c)
{
    return c ? c->server : NULL;
}

unsigned long kuryr_k8s_client_requests(const kuryr_k8s_client *c)
{
    return c ? kuryr_http_total_requests(c->http) : 0;
}

/* ---- paths ---- */

char *kuryr_k8s_path(const kuryr_k8s_resource *r, const char *namespace, const char *name, const char *subresource)
{
    if (!r || !r->version || !r->plural)
        return NULL;
    char *ns = namespace && r->namespaced ? kuryr_http_escape(namespace) : NULL;
    char *nm = name ? kuryr_http_escape(name) : NULL;
    char *sub = subresource ? kuryr_http_escape(subresource) : NULL;
    char *path = NULL;
    if ((!namespace || !r->namespaced || ns) && (!name || nm) && (!subresource || sub)) {
        const char *g = r->group && *r->group ? r->group : NULL;
        if (asprintf(&path, "%s%s/%s%s%s/%s%s%s%s%s", g ? "/apis/" : "/api", g ? g : "", r->version,
                     ns ? "/namespaces/" : "", ns ? ns : "", r->plural, nm ? "/" : "", nm ? nm : "",
                     nm && sub ? "/" : "", nm && sub ? sub : "") < 0)
            path = NULL;
    }
    free(ns);
    free(nm);
    free(sub);
    return path;
}

/* ---- object fields ---- */

static const char *meta_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

const char *kuryr_k8s_obj_name(const json_t *obj)
{
    return meta_str(obj, "name");
}

const char *kuryr_k8s_obj_namespace(const json_t *obj)
{
    return meta_str(obj, "namespace");
}

const char *kuryr_k8s_obj_uid(const json_t *obj)
{
    return meta_str(obj, "uid");
}

const char *kuryr_k8s_obj_resource_version(const json_t *obj)
{
    return meta_str(obj, "resourceVersion");
}

char *kuryr_k8s_obj_key(const json_t *obj)
{
    const char *name = kuryr_k8s_obj_name(obj), *ns = kuryr_k8s_obj_namespace(obj);
    if (!name || !*name)
        return NULL;
    char *key;
    if (ns && *ns ? asprintf(&key, "%s/%s", ns, name) < 0 : (key = strdup(name)) == NULL)
        return NULL;
    return key;
}

bool kuryr_k8s_obj_deleting(const json_t *obj)
{
    return meta_str(obj, "deletionTimestamp") != NULL;
}

bool kuryr_k8s_obj_has_finalizer(const json_t *obj, const char *finalizer)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "finalizers"), i, f) {
        const char *s = json_string_value(f);
        if (s && strcmp(s, finalizer) == 0)
            return true;
    }
    return false;
}
