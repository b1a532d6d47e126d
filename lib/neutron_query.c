/* List query strings and the URL pieces of Neutron paths. */
#include "neutron_internal.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kuryr_query {
    char **parts;  /* already encoded "key=value", in the order given */
    size_t n, cap;
    int limit;
    char *str;
    /* A lost filter would widen a list (and whatever the caller does with it), so failure sticks and
     * kuryr_query_string() reports it rather than returning a shorter query. */
    bool failed;
};

char *kn_escape(const char *s)
{
    /* Since curl 7.82 the handle argument is unused, so no easy handle has to be made for this. */
    char *c = curl_easy_escape(NULL, s ? s : "", 0);
    if (!c)
        return NULL;
    char *out = strdup(c);
    curl_free(c);
    return out;
}

char *kn_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    return rc < 0 ? NULL : s;
}

bool kn_collection_valid(const char *collection)
{
    if (!collection || !*collection)
        return false;
    for (const char *c = collection; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || *c == '-' || *c == '_'))
            return false;
    return true;
}

char *kn_href_to_path(const char *href)
{
    if (!href || !*href)
        return NULL;
    /* The href carries whatever host Neutron believes it has (often wrong behind a proxy), and the endpoint
     * may have its own path prefix, so only the part from the API version on is trusted. */
    const char *v = strstr(href, "/v2.0/");
    if (v)
        return strdup(v);
    if (href[0] == '/')
        return strdup(href);
    return NULL;
}

kuryr_query *kuryr_query_new(void)
{
    return calloc(1, sizeof(kuryr_query));
}

void kuryr_query_free(kuryr_query *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n; i++)
        free(q->parts[i]);
    free(q->parts);
    free(q->str);
    free(q);
}

static void append(kuryr_query *q, const char *key, const char *value)
{
    if (!q)
        return;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        char **parts = realloc(q->parts, cap * sizeof(*parts));
        if (!parts) {
            q->failed = true;
            return;
        }
        q->parts = parts;
        q->cap = cap;
    }
    char *k = kn_escape(key), *v = kn_escape(value);
    char *part = k && v ? kn_strdup_printf("%s=%s", k, v) : NULL;
    free(k);
    free(v);
    if (!part) {
        q->failed = true;
        return;
    }
    q->parts[q->n++] = part;
}

void kuryr_query_add(kuryr_query *q, const char *key, const char *value)
{
    append(q, key, value);
}

void kuryr_query_field(kuryr_query *q, const char *field)
{
    append(q, "fields", field);
}

void kuryr_query_limit(kuryr_query *q, int limit)
{
    if (q)
        q->limit = limit > 0 ? limit : 0;
}

const char *kuryr_query_string(kuryr_query *q)
{
    if (!q)
        return "";
    if (q->failed)
        return NULL;
    size_t len = 1;
    for (size_t i = 0; i < q->n; i++)
        len += strlen(q->parts[i]) + 1;
    len += 32;  /* "limit=<int>" */
    char *s = malloc(len);
    if (!s) {
        q->failed = true;
        return NULL;
    }
    size_t o = 0;
    s[0] = '\0';
    for (size_t i = 0; i < q->n; i++)
        o += (size_t)snprintf(s + o, len - o, "%s%s", o ? "&" : "", q->parts[i]);
    if (q->limit > 0)
        snprintf(s + o, len - o, "%slimit=%d", o ? "&" : "", q->limit);
    free(q->str);
    q->str = s;
    return s;
}
