/* URI dispatch (see router.h). Kept free of I/O so that it can be tested without a socket. */
#include "router.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kuryr/clock.h"
#include "kuryr/http.h"
#include "metrics.h"

const kl_route_entry *kl_route_find(const kl_route_entry *table, const char *url)
{
    if (!url)
        return NULL;
    size_t n = strcspn(url, "?");
    for (const kl_route_entry *r = table; r->path; r++) {
        if (strlen(r->path) == n && strncmp(r->path, url, n) == 0)
            return r;
    }
    return NULL;
}

int kl_status_for(const kuryr_error *err)
{
    switch (err->kind) {
    case KURYR_ERR_BAD_REQUEST: return 400;
    case KURYR_ERR_NOT_FOUND: return 404;
    case KURYR_ERR_CONFLICT: return 409;
    case KURYR_ERR_UNAVAILABLE: return 503;
    default: return 500;
    }
}

char *kl_err_body(const char *msg)
{
    json_t *o = json_pack("{s:s}", "Err", msg && *msg ? msg : "internal error");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s ? s : strdup("{\"Err\":\"out of memory\"}");
}

static void fail(kl_reply *out, int status, const char *msg)
{
    out->status = status;
    out->body = kl_err_body(msg);
}

static bool blank(const char *body, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!strchr(" \t\r\n", body[i]))
            return false;
    }
    return true;
}

static void dispatch(kl_plugin *p, const kl_route_entry *table, const char *method, const char *url,
                     const char *body, size_t len, size_t max_body, kl_reply *out, kuryr_err_kind *kind)
{
    memset(out, 0, sizeof(*out));
    *kind = KURYR_ERR_BAD_REQUEST; /* what a request refused before its handler counts as */
    const kl_route_entry *route = kl_route_find(table, url);
    if (!route)
        return fail(out, 404, "unknown method");
    out->path = route->path;
    if (!method || strcmp(method, "POST") != 0)
        return fail(out, 405, "only POST is supported");
    if (max_body && len > max_body)
        return fail(out, 413, "request body too large");

    json_t *req;
    if (!body || blank(body, len)) {
        req = json_object();
    } else {
        json_error_t jerr;
        req = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!req)
            return fail(out, 400, "request body is not valid JSON");
        if (json_is_null(req)) {
            json_decref(req);
            req = json_object();
        } else if (!json_is_object(req)) {
            json_decref(req);
            return fail(out, 400, "request body must be a JSON object");
        }
    }

    json_t *resp = NULL;
    kuryr_error err;
    kuryr_error_clear(&err);
    int rc = route->fn(p, req, &resp, &err);
    json_decref(req);
    if (rc < 0) {
        json_decref(resp);
        if (err.kind == KURYR_OK)
            err.kind = KURYR_ERR_INTERNAL;
        *kind = err.kind;
        return fail(out, kl_status_for(&err), err.message);
    }
    if (!resp)
        resp = json_object();
    out->body = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
    json_decref(resp);
    if (!out->body) {
        *kind = KURYR_ERR_INTERNAL;
        return fail(out, 500, "out of memory");
    }
    out->status = 200;
}

void kl_dispatch(kl_plugin *p, const kl_route_entry *table, const char *method, const char *url,
                 const char *body, size_t len, size_t max_body, kl_reply *out)
{
    /* a delta, so that counting does not depend on whether the caller reset the thread counter */
    unsigned long calls_before = kuryr_http_thread_requests();
    double start = kuryr_mono_s();
    kuryr_err_kind kind = KURYR_OK;
    dispatch(p, table, method, url, body, len, max_body, out, &kind);
    kl_metrics_request(out->path, out->status, kuryr_mono_s() - start, kuryr_http_thread_requests() - calls_before);
    if (out->status != 200)
        kl_metrics_error(out->status == 404 && !out->path ? KURYR_ERR_NOT_FOUND : kind);
}

void kl_reply_clear(kl_reply *r)
{
    free(r->body);
    r->body = NULL;
}
