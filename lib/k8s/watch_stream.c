/* The body of a WATCH answer: one JSON event per line ({"type": "ADDED", "object": {...}}), arriving in
 * chunks that cut lines anywhere. Bytes are buffered until a newline completes an event. */
#include "k8s_internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_LINE (16UL * 1024 * 1024)

struct k8s_watch_parser {
    char *buf;
    size_t len, cap, max_line;
    k8s_watch_event_fn fn;
    void *ud;
    unsigned long events;
    bool broken;
};

const char *kuryr_k8s_event_type_name(kuryr_k8s_event_type type)
{
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
    return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

static int event_type(const char *s, kuryr_k8s_event_type *out)
{
    for (int t = KURYR_K8S_ADDED; s && t <= KURYR_K8S_ERROR; t++) {
        if (strcmp(s, kuryr_k8s_event_type_name((kuryr_k8s_event_type)t)) == 0) {
            *out = (kuryr_k8s_event_type)t;
            return 0;
        }
    }
    return -1;
}

k8s_watch_parser *k8s_watch_parser_new(size_t max_line, k8s_watch_event_fn fn, void *ud)
{
    k8s_watch_parser *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->max_line = max_line ? max_line : DEFAULT_MAX_LINE;
    p->fn = fn;
    p->ud = ud;
    return p;
}

void k8s_watch_parser_free(k8s_watch_parser *p)
{
    if (!p)
        return;
    free(p->buf);
    free(p);
}

size_t k8s_watch_parser_pending(const k8s_watch_parser *p)
{
    return p->len;
}

unsigned long k8s_watch_parser_events(const k8s_watch_parser *p)
{
    return p->events;
}

static int fail(k8s_watch_parser *p, kuryr_error *err, const char *what, const char *detail)
{
    p->broken = true;
    return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 0, NULL, "watch stream: %s%s%.200s", what,
                           detail ? ": " : "", detail ? detail : "");
}

/* One complete line (without its newline). Blank lines are keep-alive noise and skipped. */
static int parse_line(k8s_watch_parser *p, const char *line, size_t len, kuryr_error *err)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (len == 0)
        return 0;
    json_error_t jerr;
    json_t *ev = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!ev)
        return fail(p, err, "an event is not JSON", jerr.text);
    kuryr_k8s_event_type type;
    json_t *obj = json_object_get(ev, "object");
    int rc;
    if (event_type(json_string_value(json_object_get(ev, "type")), &type) != 0)
        rc = fail(p, err, "an event has no known type", NULL);
    else if (!json_is_object(obj))
        rc = fail(p, err, "an event has no object", NULL);
    else {
        p->events++;
        rc = p->fn ? p->fn(type, obj, p->ud) : 0;
    }
    json_decref(ev);
    return rc;
}

static int keep(k8s_watch_parser *p, const char *data, size_t len, kuryr_error *err)
{
    if (p->len + len > p->max_line)
        return fail(p, err, "an event is longer than the limit", NULL);
    if (p->len + len > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + len)
            cap *= 2;
        char *buf = realloc(p->buf, cap);
        if (!buf)
            return fail(p, err, "out of memory", NULL);
        p->buf = buf;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, data, len);
    p->len += len;
    return 0;
}

int k8s_watch_parser_feed(k8s_watch_parser *p, const char *data, size_t len, kuryr_error *err)
{
    if (p->broken)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "watch stream: parser used after an error");
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        int rc;
        if (!nl)
            return keep(p, data, take, err);
        if (p->len == 0) {
            rc = parse_line(p, data, take, err); /* the common case: a whole line inside one chunk, no copy */
        } else {
            if ((rc = keep(p, data, take, err)) != 0)
                return rc;
            rc = parse_line(p, p->buf, p->len, err);
            p->len = 0;
        }
        if (rc != 0)
            return rc;
        data += take + 1;
        len -= take + 1;
    }
    return 0;
}
