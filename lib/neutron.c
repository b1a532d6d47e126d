/* Neutron client: request and response plumbing on kuryr_auth_request(), and the extensions cache. */
#include "neutron_internal.h"

#include <stdlib.h>
#include <string.h>

#include "kuryr/log.h"

kuryr_neutron *kuryr_neutron_new(kuryr_auth *auth)
{
    if (!auth)
        return NULL;
    kuryr_neutron *kn = calloc(1, sizeof(*kn));
    if (!kn)
        return NULL;
    kn->auth = auth;
    atomic_init(&kn->tags_in_body, 1);
    if (pthread_mutex_init(&kn->ext_lock, NULL) != 0) {
        free(kn);
        return NULL;
    }
    return kn;
}

void kuryr_neutron_free(kuryr_neutron *kn)
{
    if (!kn)
        return;
    kuryr_strv_clear(&kn->ext);
    pthread_mutex_destroy(&kn->ext_lock);
    free(kn);
}

int kn_ptrv_push(kn_ptrv *v, void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void **items = realloc(v->items, cap * sizeof(*items));
        if (!items)
            return -1;
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = item;
    return 0;
}

int kn_call(kuryr_neutron *kn, const char *method, const char *path, json_t *body, json_t **out,
            kuryr_error *err)
{
    return kn_call_headers(kn, method, path, NULL, body, out, err);
}

int kn_call_headers(kuryr_neutron *kn, const char *method, const char *path, const char *const *headers,
                    json_t *body, json_t **out, kuryr_error *err)
{
    if (out)
        *out = NULL;
    if (!kn)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "no Neutron client");
    char *body_text = NULL;
    if (body && !(body_text = json_dumps(body, JSON_COMPACT)))
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "cannot encode the body of %s %s", method, path);

    kuryr_http_response resp = {0};
    int rc = kuryr_auth_request_headers(kn->auth, method, path, headers, body_text, &resp, err);
    free(body_text);
    if (rc < 0) {
        kuryr_http_response_clear(&resp);
        /* Name the service, so that an operator reading Docker's error knows where to look. */
        if (err && err->kind == KURYR_ERR_UNAVAILABLE && strncmp(err->message, "Neutron", 7) != 0 &&
            strncmp(err->message, "Keystone", 8) != 0) {
            kuryr_error_prefix(err, "Neutron unreachable: ");
        }
        return -1;
    }
    if (resp.status < 200 || resp.status >= 300) {
        kuryr_neutron_error_from_response(resp.status, resp.body, err);
        KLOG_DEBUG("neutron %s %s: %s", method, path, err ? err->message : "failed");
        kuryr_http_response_clear(&resp);
        return -1;
    }
    rc = 0;
    if (out && resp.body && resp.body_len > 0) {
        json_error_t jerr;
        *out = json_loadb(resp.body, resp.body_len, 0, &jerr);
        if (!*out)
            rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, resp.status, "",
                                 "malformed JSON from Neutron for %s %s: %s", method, path, jerr.text);
    }
    kuryr_http_response_clear(&resp);
    return rc;
}

/* ---- extensions -------------------------------------------------------------------------------------- */
static int fetch_extensions(kuryr_neutron *kn, kuryr_strv *out, kuryr_error *err)
{
    json_t *body;
    if (kn_call(kn, "GET", "/v2.0/extensions", NULL, &body, err) < 0)
        return -1;
    kn_parser p;
    kuryr_strv aliases = {0};
    size_t n;
    if (kp_begin(&p, "extensions answer", body, err)) {
        json_t *arr = kp_array(&p, "extensions", &n);
        aliases.items = calloc(n + 1, sizeof(*aliases.items));
        if (!aliases.items)
            kp_fail(&p, "out of memory");
        for (size_t i = 0; i < n && !p.bad; i++) {
            kn_parser child;
            if (!kp_nested(&p, &child, "extensions", i, json_array_get(arr, i)))
                break;
            char *alias = kp_str_required(&child, "alias");
            if (alias)
                aliases.items[aliases.n++] = alias;
        }
    }
    json_decref(body);
    if (p.bad) {
        kuryr_strv_clear(&aliases);
        return -1;
    }
    *out = aliases;
    return 0;
}

static int copy_strv(const kuryr_strv *src, kuryr_strv *dst)
{
    dst->n = 0;
    dst->items = calloc(src->n + 1, sizeof(*dst->items));
    if (!dst->items)
        return -1;
    for (size_t i = 0; i < src->n; i++) {
        if (!(dst->items[i] = strdup(src->items[i]))) {
            kuryr_strv_clear(dst);
            return -1;
        }
        dst->n++;
    }
    return 0;
}

int kuryr_neutron_extensions(kuryr_neutron *kn, kuryr_strv *out, kuryr_error *err)
{
    if (out)
        *out = (kuryr_strv){0};
    if (!kn)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "no Neutron client");
    int rc = 0;
    pthread_mutex_lock(&kn->ext_lock);
    /* A failed fetch is not cached: the next caller tries again. */
    if (!kn->ext_loaded && (rc = fetch_extensions(kn, &kn->ext, err)) == 0) {
        kn->ext_loaded = true;
        KLOG_DEBUG("neutron: %zu extensions", kn->ext.n);
    }
    if (rc == 0 && out && copy_strv(&kn->ext, out) < 0)
        rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "out of memory");
    pthread_mutex_unlock(&kn->ext_lock);
    return rc;
}

bool kuryr_neutron_has_extension(kuryr_neutron *kn, const char *alias)
{
    kuryr_error err = {0};
    if (kuryr_neutron_extensions(kn, NULL, &err) < 0) {
        KLOG_WARN("neutron: cannot list extensions, assuming '%s' is absent: %s", alias ? alias : "",
                  err.message);
        return false;
    }
    pthread_mutex_lock(&kn->ext_lock);
    bool has = kuryr_strv_contains(&kn->ext, alias);
    pthread_mutex_unlock(&kn->ext_lock);
    return has;
}
