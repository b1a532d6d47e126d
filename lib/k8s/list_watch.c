/* LIST with paging, then WATCH from the list's resourceVersion, for ever: see include/kuryr/k8s_informer.h
 * for the guarantees and k8s_internal.h for the loop's interface. */
#include "k8s_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/clock.h"
#include "kuryr/log.h"

#define DEFAULT_PAGE 500
#define DEFAULT_WATCH_TIMEOUT_S 300
#define DEFAULT_STALL_S 90
#define DEFAULT_BACKOFF_INITIAL_MS 500L
#define DEFAULT_BACKOFF_MAX_MS 30000L
/* A continue token can expire while a big list is paged (410): start over, a few times. */
#define MAX_LIST_RESTARTS 3
/* A watch the server ends this fast without a single event counts as a failure (backoff), so a server that
 * accepts and closes at once is not hammered. */
#define MIN_HEALTHY_WATCH_S 1.0
/* Cap on a 429's Retry-After, so a wrong header cannot park the informer for an hour. */
#define MAX_RETRY_AFTER_S 60

/* ---- paths ---- */

/* Appends "&name=<escaped value>" to *path. */
static int add_param(char **path, const char *name, const char *value)
{
    if (!*path)
        return -1;
    if (!value || !*value)
        return 0;
    char *esc = kuryr_http_escape(value), *longer = NULL;
    if (!esc || asprintf(&longer, "%s%c%s=%s", *path, strchr(*path, '?') ? '&' : '?', name, esc) < 0)
        longer = NULL;
    free(esc);
    free(*path);
    *path = longer;
    return longer ? 0 : -1;
}

static char *collection_path(const kuryr_k8s_watch_opts *opts)
{
    char *path = kuryr_k8s_path(opts->resource, opts->namespace, NULL, NULL);
    add_param(&path, "labelSelector", opts->label_selector);
    add_param(&path, "fieldSelector", opts->field_selector);
    return path;
}

char *k8s_list_path(const kuryr_k8s_watch_opts *opts, const char *cont)
{
    char *path = collection_path(opts), limit[32];
    snprintf(limit, sizeof(limit), "%u", opts->page_size ? opts->page_size : DEFAULT_PAGE);
    add_param(&path, "limit", limit);
    add_param(&path, "continue", cont);
    return path;
}

char *k8s_watch_path(const kuryr_k8s_watch_opts *opts, const char *resource_version, unsigned timeout_s)
{
    char *path = collection_path(opts), secs[32];
    snprintf(secs, sizeof(secs), "%u", timeout_s);
    add_param(&path, "watch", "1");
    add_param(&path, "allowWatchBookmarks", "true");
    add_param(&path, "resourceVersion", resource_version);
    add_param(&path, "timeoutSeconds", secs);
    return path;
}

/* ---- LIST ---- */

/* List items carry no kind/apiVersion (the list does): give them back, so every cached object looks like a
 * watched one and can be named in an Event. */
static void stamp_kind(json_t *items, const json_t *page)
{
    const char *kind = json_string_value(json_object_get(page, "kind"));
    const char *api = json_string_value(json_object_get(page, "apiVersion"));
    size_t klen = kind ? strlen(kind) : 0;
    if (!kind || !api || klen <= 4 || strcmp(kind + klen - 4, "List") != 0)
        return;
    char item_kind[256];
    snprintf(item_kind, sizeof(item_kind), "%.*s", (int)(klen - 4), kind);
    size_t i;
    json_t *obj;
    json_array_foreach(items, i, obj) {
        if (!json_object_get(obj, "kind"))
            json_object_set_new(obj, "kind", json_string(item_kind));
        if (!json_object_get(obj, "apiVersion"))
            json_object_set_new(obj, "apiVersion", json_string(api));
    }
}

/* Every page once; 0 with items and version, -1 with err (http_status 410 when a continue token expired). */
static int list_pages(kuryr_k8s_client *c, const kuryr_k8s_watch_opts *opts, json_t *items, char **rv,
                      kuryr_error *err)
{
    char *cont = NULL;
    do {
        char *path = k8s_list_path(opts, cont);
        free(cont);
        cont = NULL;
        json_t *page = NULL;
        int rc = path ? kuryr_k8s_request(c, "GET", path, NULL, NULL, &page, err)
                      : kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        free(path);
        if (rc != 0)
            return -1;
        json_t *page_items = json_object_get(page, "items");
        json_t *meta = json_object_get(page, "metadata");
        const char *version = json_string_value(json_object_get(meta, "resourceVersion"));
        if (!version || !(json_is_array(page_items) || json_is_null(page_items) || !page_items)) {
            json_decref(page);
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "LIST answer without items or resourceVersion");
        }
        stamp_kind(page_items, page);
        json_array_extend(items, page_items);
        free(*rv);
        *rv = strdup(version);
        const char *next = json_string_value(json_object_get(meta, "continue"));
        cont = next && *next ? strdup(next) : NULL;
        json_decref(page);
    } while (cont);
    return 0;
}

int kuryr_k8s_list(kuryr_k8s_client *c, const kuryr_k8s_watch_opts *opts, json_t **items, char **resource_version,
                   kuryr_error *err)
{
    *items = NULL;
    *resource_version = NULL;
    if (!c || !opts || !opts->resource)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "k8s list without client or resource");
    for (int attempt = 0;; attempt++) {
        json_t *all = json_array();
        char *rv = NULL;
        if (list_pages(c, opts, all, &rv, err) == 0) {
            *items = all;
            *resource_version = rv;
            return 0;
        }
        json_decref(all);
        free(rv);
        if (err && err->http_status == 410 && attempt < MAX_LIST_RESTARTS) {
            KLOG_INFO("k8s: LIST %s: continue token expired, listing again from the start", opts->resource->plural);
            continue;
        }
        return -1;
    }
}

/* ---- WATCH ---- */

typedef struct {
    const k8s_reflector_sink *sink;
    k8s_watch_parser *parser;
    char **rv;           /* the loop's last seen version, advanced by events and bookmarks */
    bool gone;           /* an ERROR event said 410 */
    kuryr_error error;   /* an ERROR event's Status, or a parse error */
    bool failed;
    unsigned long events;
} watch_state;

static void set_rv(char **rv, const json_t *obj)
{
    const char *v = kuryr_k8s_obj_resource_version(obj);
    if (v && *v) {
        char *copy = strdup(v);
        if (copy) {
            free(*rv);
            *rv = copy;
        }
    }
}

static int on_watch_event(kuryr_k8s_event_type type, json_t *obj, void *ud)
{
    watch_state *w = ud;
    if (type == KURYR_K8S_ERROR) {
        k8s_status_object_error(obj, &w->error);
        w->gone = w->error.http_status == 410;
        w->failed = true;
        return 1; /* the server ends the watch after an ERROR anyway */
    }
    set_rv(w->rv, obj);
    if (type != KURYR_K8S_BOOKMARK) {
        w->events++;
        w->sink->on_event(type, obj, w->sink->ud);
    }
    return 0;
}

static bool on_watch_data(const char *data, size_t len, void *ud)
{
    watch_state *w = ud;
    int rc = k8s_watch_parser_feed(w->parser, data, len, &w->error);
    if (rc < 0)
        w->failed = true;
    return rc == 0;
}

static bool watch_keep_going(void *ud)
{
    watch_state *w = ud;
    return w->sink->pause(0, w->sink->ud);
}

typedef enum { WATCH_ENDED, WATCH_GONE, WATCH_THROTTLED, WATCH_FAILED, WATCH_STOPPING } watch_outcome;

/* One WATCH from *rv until the server ends it or something breaks. */
static watch_outcome watch_once(kuryr_k8s_client *c, const kuryr_k8s_watch_opts *opts, const k8s_reflector_sink *sink,
                                char **rv, k8s_reflector_stats *stats, long *retry_after_s)
{
    unsigned base = opts->watch_timeout_s ? opts->watch_timeout_s : DEFAULT_WATCH_TIMEOUT_S;
    unsigned timeout_s = (unsigned)kuryr_jitter(base, 1.0);
    char *path = k8s_watch_path(opts, *rv, timeout_s);
    watch_state w = {.sink = sink, .rv = rv};
    w.parser = k8s_watch_parser_new(0, on_watch_event, &w);
    if (!path || !w.parser) {
        free(path);
        k8s_watch_parser_free(w.parser);
        return WATCH_FAILED;
    }
    kuryr_http_stream st = {
        .on_data = on_watch_data, .keep_going = watch_keep_going, .ud = &w,
        /* The server ends the watch at timeoutSeconds; the margin covers a slow last flush. */
        .timeout_ms = (long)(timeout_s + 30) * 1000L,
        .stall_ms = (long)(opts->stall_s ? opts->stall_s : DEFAULT_STALL_S) * 1000L,
    };
    kuryr_http_response resp;
    kuryr_error err = {0};
    stats->watches++;
    double started = kuryr_mono_s();
    int rc = k8s_send_stream(c, path, &st, &resp, &err);
    double lasted = kuryr_mono_s() - started;
    watch_outcome out;
    if (st.stopped && !w.failed) {
        out = WATCH_STOPPING;
    } else if (w.gone || resp.status == 410) {
        out = WATCH_GONE;
    } else if (resp.status == 429) {
        stats->throttled++;
        *retry_after_s = resp.retry_after_s;
        out = WATCH_THROTTLED;
    } else if (rc == 0 && resp.status >= 200 && resp.status < 300 && !w.failed &&
               (w.events > 0 || lasted >= MIN_HEALTHY_WATCH_S)) {
        out = WATCH_ENDED;
        if (k8s_watch_parser_pending(w.parser) > 0)
            KLOG_WARN("k8s: watch %s ended inside an event (%zu bytes): resuming from %s", opts->resource->plural,
                      k8s_watch_parser_pending(w.parser), *rv ? *rv : "?");
    } else {
        out = WATCH_FAILED;
        stats->restarts++;
        if (st.stalled)
            stats->stalls++;
        if (rc == 0 && resp.status >= 300)
            k8s_status_error(resp.status, resp.body, "WATCH", opts->resource->plural, &err);
        KLOG_WARN("k8s: watch %s from %s failed after %.1fs: %s", opts->resource->plural, *rv ? *rv : "?", lasted,
                  w.failed ? w.error.message : st.stalled ? "stalled" : err.message[0] ? err.message : "ended early");
    }
    kuryr_http_response_clear(&resp);
    k8s_watch_parser_free(w.parser);
    free(path);
    return out;
}

/* ---- the loop ---- */

void k8s_reflector_run(kuryr_k8s_client *c, const kuryr_k8s_watch_opts *opts, const k8s_reflector_sink *sink,
                       k8s_reflector_stats *stats)
{
    kuryr_backoff backoff;
    kuryr_backoff_init(&backoff, opts->backoff_initial_ms > 0 ? opts->backoff_initial_ms : DEFAULT_BACKOFF_INITIAL_MS,
                       opts->backoff_max_ms > 0 ? opts->backoff_max_ms : DEFAULT_BACKOFF_MAX_MS);
    char *rv = NULL;
    bool need_list = true;
    while (sink->pause(0, sink->ud)) {
        if (need_list) {
            json_t *items;
            char *list_rv;
            kuryr_error err = {0};
            stats->lists++;
            if (kuryr_k8s_list(c, opts, &items, &list_rv, &err) != 0) {
                long wait_ms = kuryr_backoff_next(&backoff);
                KLOG_WARN("k8s: LIST %s failed (again in %ld ms): %s", opts->resource->plural, wait_ms, err.message);
                sink->pause(wait_ms, sink->ud);
                continue;
            }
            sink->on_list(items, sink->ud);
            json_decref(items);
            free(rv);
            rv = list_rv;
            need_list = false;
        }
        long retry_after_s = -1;
        switch (watch_once(c, opts, sink, &rv, stats, &retry_after_s)) {
        case WATCH_STOPPING:
            break;
        case WATCH_ENDED:
            kuryr_backoff_reset(&backoff);
            break;
        case WATCH_GONE:
            /* The version we hold is older than the server keeps: only a LIST can tell what happened since. */
            KLOG_INFO("k8s: watch %s: resourceVersion %s expired (410), listing again", opts->resource->plural,
                      rv ? rv : "?");
            stats->relists_gone++;
            need_list = true;
            break;
        case WATCH_THROTTLED: {
            long wait_ms = retry_after_s >= 0 ? (retry_after_s > MAX_RETRY_AFTER_S ? MAX_RETRY_AFTER_S : retry_after_s) * 1000L
                                              : kuryr_backoff_next(&backoff);
            KLOG_INFO("k8s: watch %s throttled (429): again in %ld ms", opts->resource->plural, wait_ms);
            sink->pause(wait_ms, sink->ud);
            break;
        }
        case WATCH_FAILED:
            sink->pause(kuryr_backoff_next(&backoff), sink->ud);
            break;
        }
    }
    free(rv);
}
