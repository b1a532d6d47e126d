/* Tolerant readers for Neutron JSON attributes (see kn_parser in neutron_internal.h). */
#include "neutron_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

void kp_fail(kn_parser *p, const char *fmt, ...)
{
    if (p->bad)
        return;
    for (kn_parser *q = p; q; q = q->parent)
        q->bad = true;
    char msg[sizeof(((kuryr_error *)0)->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kuryr_error_set(p->err, KURYR_ERR_INTERNAL, 0, "", "%s: %s", p->what, msg);
}

static void wrong_type(kn_parser *p, const char *key, const char *expected, const json_t *v)
{
    kp_fail(p, "attribute '%s' must be %s, not %s", key, expected, json_type_name(v));
}

bool kp_begin(kn_parser *p, const char *what, json_t *obj, kuryr_error *err)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->what, sizeof(p->what), "%s", what);
    p->obj = obj;
    p->err = err;
    if (!obj || !json_is_object(obj)) {
        kp_fail(p, "expected a JSON object, not %s", obj ? json_type_name(obj) : "nothing");
        return false;
    }
    return true;
}

bool kp_nested(kn_parser *p, kn_parser *child, const char *key, size_t index, json_t *elem)
{
    char what[sizeof(p->what)];
    /* A cut name still says enough: the check only keeps gcc from warning about it. */
    if (snprintf(what, sizeof(what), "%s %s[%zu]", p->what, key, index) < 0)
        what[0] = '\0';
    bool ok = kp_begin(child, what, elem, p->err);
    child->parent = p;
    if (!ok)
        p->bad = true;
    return ok;
}

/* The value under key, NULL when the parse already failed or the value is absent or null. */
static json_t *value(kn_parser *p, const char *key)
{
    if (p->bad)
        return NULL;
    json_t *v = json_object_get(p->obj, key);
    return v && !json_is_null(v) ? v : NULL;
}

char *kp_str(kn_parser *p, const char *key)
{
    json_t *v = value(p, key);
    if (!v)
        return NULL;
    if (!json_is_string(v)) {
        wrong_type(p, key, "a string", v);
        return NULL;
    }
    char *s = strdup(json_string_value(v));
    if (!s)
        kp_fail(p, "out of memory");
    return s;
}

char *kp_str_required(kn_parser *p, const char *key)
{
    if (!p->bad && !value(p, key)) {
        kp_fail(p, "required attribute '%s' is missing", key);
        return NULL;
    }
    return kp_str(p, key);
}

/* Neutron sends some integers (subnetpool prefix lengths) as decimal strings. */
static bool parse_decimal(const char *s, long *out)
{
    if (!*s)
        return false;
    errno = 0;
    char *end;
    long n = strtol(s, &end, 10);
    if (errno || *end)
        return false;
    *out = n;
    return true;
}

long kp_long(kn_parser *p, const char *key)
{
    json_t *v = value(p, key);
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < LONG_MIN || n > LONG_MAX) {
            kp_fail(p, "attribute '%s' is out of range", key);
            return 0;
        }
        return (long)n;
    }
    long n;
    if (json_is_string(v) && parse_decimal(json_string_value(v), &n))
        return n;
    wrong_type(p, key, "an integer", v);
    return 0;
}

int kp_int(kn_parser *p, const char *key)
{
    long n = kp_long(p, key);
    if (n < INT_MIN || n > INT_MAX) {
        kp_fail(p, "attribute '%s' is out of range", key);
        return 0;
    }
    return (int)n;
}

bool kp_bool(kn_parser *p, const char *key, bool dflt)
{
    json_t *v = value(p, key);
    if (!v)
        return dflt;
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcasecmp(s, "true"))
            return true;
        if (!strcasecmp(s, "false"))
            return false;
    }
    wrong_type(p, key, "a boolean", v);
    return dflt;
}

json_t *kp_object(kn_parser *p, const char *key)
{
    json_t *v = value(p, key);
    if (v && !json_is_object(v)) {
        wrong_type(p, key, "an object", v);
        return NULL;
    }
    return v;
}

json_t *kp_array(kn_parser *p, const char *key, size_t *n)
{
    *n = 0;
    json_t *v = value(p, key);
    if (!v)
        return NULL;
    if (!json_is_array(v)) {
        wrong_type(p, key, "an array", v);
        return NULL;
    }
    *n = json_array_size(v);
    return v;
}

kuryr_strv kp_strv(kn_parser *p, const char *key)
{
    kuryr_strv sv = {0};
    size_t n;
    json_t *arr = kp_array(p, key, &n);
    if (p->bad)
        return sv;
    /* Always allocated, so that callers can walk items to the NULL without checking n first. */
    sv.items = calloc(n + 1, sizeof(*sv.items));
    if (!sv.items) {
        kp_fail(p, "out of memory");
        return sv;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        if (!json_is_string(e)) {
            kp_fail(p, "attribute '%s' must hold strings, item %zu is %s", key, i, json_type_name(e));
            break;
        }
        sv.items[i] = strdup(json_string_value(e));
        if (!sv.items[i]) {
            kp_fail(p, "out of memory");
            break;
        }
        sv.n++;
    }
    return sv;
}

void kuryr_strv_clear(kuryr_strv *v)
{
    if (!v)
        return;
    for (size_t i = 0; v->items && i < v->n; i++)
        free(v->items[i]);
    free(v->items);
    v->items = NULL;
    v->n = 0;
}

bool kuryr_strv_contains(const kuryr_strv *v, const char *s)
{
    if (!v || !s)
        return false;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i] && !strcmp(v->items[i], s))
            return true;
    return false;
}
