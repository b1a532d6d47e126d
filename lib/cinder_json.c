/* Cinder answers to structs (see cinder.h). Answers come from the network: every member is type-checked, a
 * wrong or missing required one fails the parse with a message naming it, optional ones read as NULL. */
#include <stdlib.h>
#include <string.h>

#include "kuryr/cinder.h"

static char *opt_str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? strdup(s) : NULL;
}

static int need_str(json_t *obj, const char *key, char **out, const char *what, kuryr_error *err)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s || !*s)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's %s has no string \"%s\"", what, key);
    if (!(*out = strdup(s)))
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    return 0;
}

/* The member of a {"volume": {...}}-style envelope, type-checked. */
static json_t *envelope(json_t *doc, const char *key, json_type type, kuryr_error *err)
{
    json_t *v = json_object_get(doc, key);
    if (!v || json_typeof(v) != type) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's answer has no %s \"%s\"",
                        type == JSON_ARRAY ? "list" : "object", key);
        return NULL;
    }
    return v;
}

static json_t *load(const char *body, kuryr_error *err)
{
    json_error_t je;
    json_t *doc = body ? json_loads(body, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's answer is not a JSON object");
        return NULL;
    }
    return doc;
}

static int parse_attachments_of(json_t *list, kuryr_volume *v, kuryr_error *err)
{
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's volume has a non-list \"attachments\"");
    size_t n = json_array_size(list);
    if (n == 0)
        return 0;
    v->attachments = calloc(n, sizeof(*v->attachments));
    if (!v->attachments)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_array_get(list, i);
        kuryr_volume_attachment *out = &v->attachments[v->n_attachments];
        if (!json_is_object(a))
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's volume has a non-object attachment");
        if (need_str(a, "attachment_id", &out->attachment_id, "attachment", err) < 0)
            return -1;
        v->n_attachments++;
        out->host_name = opt_str(a, "host_name");
        out->server_id = opt_str(a, "server_id");
    }
    return 0;
}

static int parse_volume_obj(json_t *o, kuryr_volume *v, kuryr_error *err)
{
    memset(v, 0, sizeof(*v));
    if (!json_is_object(o))
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's volume is not an object");
    v->raw = json_incref(o);
    if (need_str(o, "id", &v->id, "volume", err) < 0 || need_str(o, "status", &v->status, "volume", err) < 0)
        goto fail;
    json_t *size = json_object_get(o, "size");
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's volume %s has no integer \"size\"", v->id);
        goto fail;
    }
    v->size = (long)json_integer_value(size);
    v->name = opt_str(o, "name");
    v->volume_type = opt_str(o, "volume_type");
    v->availability_zone = opt_str(o, "availability_zone");
    v->project_id = opt_str(o, "os-vol-tenant-attr:tenant_id");
    v->multiattach = json_is_true(json_object_get(o, "multiattach"));
    v->metadata = json_object_get(o, "metadata");
    if (!json_is_object(v->metadata)) {
        /* an absent or null metadata is an empty one; keep it in raw so that it lives as long as v */
        json_object_set_new(o, "metadata", json_object());
        v->metadata = json_object_get(o, "metadata");
    }
    if (parse_attachments_of(json_object_get(o, "attachments"), v, err) < 0)
        goto fail;
    return 0;
fail:
    kuryr_volume_clear(v);
    return -1;
}

static int parse_attachment_obj(json_t *o, kuryr_attachment *a, kuryr_error *err)
{
    memset(a, 0, sizeof(*a));
    if (!json_is_object(o))
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's attachment is not an object");
    if (need_str(o, "id", &a->id, "attachment", err) < 0 || need_str(o, "status", &a->status, "attachment", err) < 0 ||
        need_str(o, "volume_id", &a->volume_id, "attachment", err) < 0) {
        kuryr_attachment_clear(a);
        return -1;
    }
    json_t *ci = json_object_get(o, "connection_info");
    if (json_is_object(ci))
        a->connection_info = json_incref(ci);
    return 0;
}

int kuryr_cinder_parse_volume(const char *body, kuryr_volume *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    json_t *doc = load(body, err), *o;
    int rc = doc && (o = envelope(doc, "volume", JSON_OBJECT, err)) ? parse_volume_obj(o, out, err) : -1;
    json_decref(doc);
    return rc;
}

int kuryr_cinder_parse_attachment(const char *body, kuryr_attachment *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    json_t *doc = load(body, err), *o;
    int rc = doc && (o = envelope(doc, "attachment", JSON_OBJECT, err)) ? parse_attachment_obj(o, out, err) : -1;
    json_decref(doc);
    return rc;
}

/* A {"<key>": [...]} answer into a calloc'd array of elem_size items, each parsed by parse; on failure the
 * items parsed so far are cleared and nothing is returned. */
static int parse_list(const char *body, const char *key, size_t elem_size, int (*parse)(json_t *, void *, kuryr_error *),
                      void (*clear)(void *), void **out, size_t *n, kuryr_error *err)
{
    *out = NULL;
    *n = 0;
    json_t *doc = load(body, err), *list;
    if (!doc || !(list = envelope(doc, key, JSON_ARRAY, err))) {
        json_decref(doc);
        return -1;
    }
    size_t count = json_array_size(list), got = 0;
    char *items = calloc(count ? count : 1, elem_size);
    int rc = items ? 0 : kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    for (; rc == 0 && got < count; got++)
        rc = parse(json_array_get(list, got), items + got * elem_size, err);
    json_decref(doc);
    if (rc < 0) {
        for (size_t i = 0; i < got; i++)
            clear(items + i * elem_size);
        free(items);
        return -1;
    }
    *out = items;
    *n = count;
    return 0;
}

static int parse_volume_item(json_t *o, void *v, kuryr_error *err) { return parse_volume_obj(o, v, err); }
static void clear_volume_item(void *v) { kuryr_volume_clear(v); }
static int parse_attachment_item(json_t *o, void *a, kuryr_error *err) { return parse_attachment_obj(o, a, err); }
static void clear_attachment_item(void *a) { kuryr_attachment_clear(a); }

int kuryr_cinder_parse_volumes(const char *body, kuryr_volume **out, size_t *n, kuryr_error *err)
{
    return parse_list(body, "volumes", sizeof(**out), parse_volume_item, clear_volume_item, (void **)out, n, err);
}

int kuryr_cinder_parse_attachments(const char *body, kuryr_attachment **out, size_t *n, kuryr_error *err)
{
    return parse_list(body, "attachments", sizeof(**out), parse_attachment_item, clear_attachment_item, (void **)out,
                      n, err);
}

int kuryr_cinder_error(long status, const char *body, const char *what, kuryr_error *err)
{
    /* Cinder wraps its faults in one member named after the fault: {"itemNotFound": {"message": "..."}} */
    const char *msg = NULL;
    json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
    if (json_is_object(doc) && json_object_size(doc) == 1) {
        json_t *fault = json_object_iter_value(json_object_iter(doc));
        msg = json_string_value(json_object_get(fault, "message"));
    }
    kuryr_error_set(err, kuryr_err_kind_from_status(status), status, NULL, "Cinder answered %ld to %s%s%.300s", status,
                    what, msg ? ": " : "", msg ? msg : "");
    json_decref(doc);
    return -1;
}

void kuryr_volume_clear(kuryr_volume *v)
{
    if (!v)
        return;
    free(v->id);
    free(v->name);
    free(v->status);
    free(v->volume_type);
    free(v->availability_zone);
    free(v->project_id);
    for (size_t i = 0; i < v->n_attachments; i++) {
        free(v->attachments[i].attachment_id);
        free(v->attachments[i].host_name);
        free(v->attachments[i].server_id);
    }
    free(v->attachments);
    json_decref(v->raw);
    memset(v, 0, sizeof(*v));
}

void kuryr_volumes_free(kuryr_volume *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        kuryr_volume_clear(&v[i]);
    free(v);
}

void kuryr_attachment_clear(kuryr_attachment *a)
{
    if (!a)
        return;
    free(a->id);
    free(a->status);
    free(a->volume_id);
    json_decref(a->connection_info);
    memset(a, 0, sizeof(*a));
}

void kuryr_attachments_free(kuryr_attachment *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        kuryr_attachment_clear(&a[i]);
    free(a);
}
