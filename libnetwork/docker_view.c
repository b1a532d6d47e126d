/* What Docker knows, asked over its API (see reconcile.h). */
#include <stdlib.h>
#include <string.h>

#include "kuryr/http.h"
#include "kuryr/log.h"
#include "reconcile.h"

static int push(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 2) * sizeof(**v));
    if (!nv)
        return -1;
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return -1;
    nv[++*n] = NULL;
    return 0;
}

static json_t *get_json(kuryr_http *http, const char *base, const char *path, kuryr_error *err)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", base, path);
    kuryr_http_response r = {0};
    json_t *out = NULL;
    if (kuryr_http_request(http, "GET", url, NULL, NULL, &r, err) == 0) {
        if (r.status != 200) {
            kuryr_error_set(err, kuryr_err_kind_from_status(r.status), r.status, NULL, "Docker answered %ld to GET %s",
                            r.status, path);
        } else if (!(out = json_loads(r.body, 0, NULL))) {
            kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Docker's answer to GET %s is not JSON", path);
        }
    }
    kuryr_http_response_clear(&r);
    return out;
}

static int read_network(kl_docker_view *v, json_t *net)
{
    json_t *conts = json_object_get(net, "Containers"), *c, *cfg;
    const char *key;
    size_t i;
    json_object_foreach(conts, key, c) {
        const char *ep = json_string_value(json_object_get(c, "EndpointID"));
        if (ep && push(&v->endpoint_ids, &v->n_endpoints, ep) < 0)
            return -1;
        for (int k = 0; k < 2; k++) {
            const char *a = json_string_value(json_object_get(c, k ? "IPv6Address" : "IPv4Address"));
            if (!a || !*a)
                continue;
            char ip[64];
            snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(a, "/"), a);
            if (push(&v->addresses, &v->n_addresses, ip) < 0)
                return -1;
        }
    }
    json_array_foreach(json_object_get(json_object_get(net, "IPAM"), "Config"), i, cfg) {
        const char *cidr = json_string_value(json_object_get(cfg, "Subnet"));
        if (cidr && push(&v->pool_cidrs, &v->n_pools, cidr) < 0)
            return -1;
    }
    return 0;
}

int kl_docker_view_load(kl_plugin *p, const char *docker_host, kl_docker_view *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!docker_host)
        docker_host = kuryr_config_get_str(p->cfg, "DEFAULT", "docker_host");
    kuryr_http_opts o = {.timeout_ms = 30000, .connect_timeout_ms = 5000};
    const char *base = docker_host;
    if (strncmp(docker_host, "unix://", 7) == 0) {
        o.unix_socket = docker_host + 7;
        base = "http://docker";
    }
    kuryr_http *http = kuryr_http_new(&o);
    if (!http)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    int rc = -1;
    json_t *list = get_json(http, base, "/networks", err), *n;
    size_t i;
    if (!list)
        goto out;
    if (!json_is_array(list)) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Docker's network list is not an array");
        goto out;
    }
    json_array_foreach(list, i, n) {
        const char *id = json_string_value(json_object_get(n, "Id"));
        if (!id)
            continue;
        if (push(&out->network_ids, &out->n_networks, id) < 0)
            goto oom;
        /* the list leaves Containers empty: only an inspect shows the endpoints */
        char path[128];
        snprintf(path, sizeof(path), "/networks/%.64s", id);
        json_t *full = get_json(http, base, path, err);
        if (!full) {
            if (err->kind == KURYR_ERR_NOT_FOUND)  /* removed meanwhile */
                continue;
            goto out;
        }
        int r = read_network(out, full);
        json_decref(full);
        if (r < 0)
            goto oom;
    }
    KLOG_DEBUG("Docker knows %zu networks, %zu endpoints", out->n_networks, out->n_endpoints);
    rc = 0;
    goto out;
oom:
    kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
out:
    json_decref(list);
    kuryr_http_free(http);
    if (rc < 0)
        kl_docker_view_clear(out);
    return rc;
}

/* s may be a prefix: adopted networks carry only 12 characters of the Docker id */
static bool has(char *const *v, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (len && strncmp(v[i], s, len) == 0)
            return true;
    }
    return false;
}

bool kl_docker_view_has_network(const kl_docker_view *v, const char *id_or_prefix)
{
    return has(v->network_ids, v->n_networks, id_or_prefix, strlen(id_or_prefix));
}

bool kl_docker_view_has_endpoint(const kl_docker_view *v, const char *id)
{
    return has(v->endpoint_ids, v->n_endpoints, id, strlen(id));
}

static bool has_exact(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i], s) == 0)
            return true;
    }
    return false;
}

bool kl_docker_view_has_pool_cidr(const kl_docker_view *v, const char *cidr)
{
    return has_exact(v->pool_cidrs, v->n_pools, cidr);
}

bool kl_docker_view_has_address(const kl_docker_view *v, const char *ip)
{
    return has_exact(v->addresses, v->n_addresses, ip);
}

static void free_v(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void kl_docker_view_clear(kl_docker_view *v)
{
    free_v(v->network_ids, v->n_networks);
    free_v(v->endpoint_ids, v->n_endpoints);
    free_v(v->pool_cidrs, v->n_pools);
    free_v(v->addresses, v->n_addresses);
    memset(v, 0, sizeof(*v));
}
