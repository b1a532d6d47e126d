/* Cinder v3 client requests (see cinder.h): one authenticated call per function, the answer parsed by
 * cinder_json.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/cinder.h"
#include "kuryr/http.h"

struct kuryr_cinder {
    kuryr_auth *auth;
};

static const char *const api_headers[] = {"OpenStack-API-Version: volume " KURYR_CINDER_MICROVERSION,
                                          NULL};

kuryr_cinder *kuryr_cinder_new(kuryr_auth *auth)
{
    if (!auth)
        return NULL;
    kuryr_cinder *kc = calloc(1, sizeof(*kc));
    if (kc)
        kc->auth = auth;
    return kc;
}

void kuryr_cinder_free(kuryr_cinder *kc)
{
    free(kc);
}

/* An id goes into a path: only the characters of a UUID, so that no input can reach another resource. */
static int id_ok(const char *id, const char *what, kuryr_error *err)
{
    if (!id || !*id || strlen(id) > 64 || strspn(id, "0123456789abcdefABCDEF-") != strlen(id))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "%s id '%.80s' is not a UUID", what, id ? id : "");
    return 0;
}

/* One request; a 2xx answer leaves its body in *body (when body is not NULL), anything else becomes err. */
static int call(kuryr_cinder *kc, const char *method, const char *path, json_t *req, char **body, kuryr_error *err)
{
    if (body)
        *body = NULL;
    if (!kc)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "no Cinder client");
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    if (req && !text)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    kuryr_http_response r = {0};
    char what[160];
    snprintf(what, sizeof(what), "%s %s", method, path);
    int rc = kuryr_auth_request_headers(kc->auth, method, path, api_headers, text, &r, err);
    free(text);
    if (rc == 0 && (r.status < 200 || r.status > 299))
        rc = kuryr_cinder_error(r.status, r.body, what, err);
    else if (rc < 0)
        kuryr_error_prefix(err, "Cinder unreachable: ");
    if (rc == 0 && body) {
        *body = r.body;
        r.body = NULL;
    }
    kuryr_http_response_clear(&r);
    return rc;
}

int kuryr_cinder_volume_create(kuryr_cinder *kc, const kuryr_volume_spec *spec, kuryr_volume *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    json_t *v = json_object();
    if (spec->name)
        json_object_set_new(v, "name", json_string(spec->name));
    json_object_set_new(v, "size", json_integer(spec->size));
    if (spec->volume_type && *spec->volume_type)
        json_object_set_new(v, "volume_type", json_string(spec->volume_type));
    if (spec->availability_zone && *spec->availability_zone)
        json_object_set_new(v, "availability_zone", json_string(spec->availability_zone));
    if (spec->multiattach)
        json_object_set_new(v, "multiattach", json_true());
    if (spec->metadata)
        json_object_set(v, "metadata", spec->metadata);
    json_t *req = json_pack("{s:o}", "volume", v);
    char *body = NULL;
    int rc = req ? call(kc, "POST", "/volumes", req, &body, err) : kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL,
                                                                                    "out of memory");
    json_decref(req);
    if (rc == 0)
        rc = kuryr_cinder_parse_volume(body, out, err);
    free(body);
    return rc;
}

int kuryr_cinder_volume_get(kuryr_cinder *kc, const char *id, kuryr_volume *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (id_ok(id, "volume", err) < 0)
        return -1;
    char path[128], *body = NULL;
    snprintf(path, sizeof(path), "/volumes/%s", id);
    int rc = call(kc, "GET", path, NULL, &body, err);
    if (rc == 0)
        rc = kuryr_cinder_parse_volume(body, out, err);
    free(body);
    return rc;
}

int kuryr_cinder_volume_list(kuryr_cinder *kc, const char *name, kuryr_volume **out, size_t *n, kuryr_error *err)
{
    *out = NULL;
    *n = 0;
    char *escaped = name ? kuryr_http_escape(name) : NULL;
    if (name && !escaped)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    size_t len = 64 + (escaped ? strlen(escaped) : 0);
    char *path = malloc(len), *body = NULL;
    int rc = -1;
    if (path) {
        snprintf(path, len, "/volumes/detail%s%s", escaped ? "?name=" : "", escaped ? escaped : "");
        rc = call(kc, "GET", path, NULL, &body, err);
    } else {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    }
    if (rc == 0)
        rc = kuryr_cinder_parse_volumes(body, out, n, err);
    free(body);
    free(path);
    free(escaped);
    return rc;
}

int kuryr_cinder_volume_delete(kuryr_cinder *kc, const char *id, kuryr_error *err)
{
    if (id_ok(id, "volume", err) < 0)
        return -1;
    char path[128];
    snprintf(path, sizeof(path), "/volumes/%s", id);
    return call(kc, "DELETE", path, NULL, NULL, err);
}

int kuryr_cinder_volume_set_metadata(kuryr_cinder *kc, const char *id, json_t *metadata, kuryr_error *err)
{
    if (id_ok(id, "volume", err) < 0)
        return -1;
    char path[160];
    snprintf(path, sizeof(path), "/volumes/%s/metadata", id);
    json_t *req = json_pack("{s:O}", "metadata", metadata);
    int rc = req ? call(kc, "POST", path, req, NULL, err) : kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL,
                                                                            "out of memory");
    json_decref(req);
    return rc;
}

int kuryr_cinder_attachment_create(kuryr_cinder *kc, const char *volume_id, json_t *connector, kuryr_attachment *out,
                                   kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (id_ok(volume_id, "volume", err) < 0)
        return -1;
    json_t *req = json_pack("{s:{s:s, s:O, s:s}}", "attachment", "volume_uuid", volume_id, "connector", connector,
                            "mode", "rw");
    char *body = NULL;
    int rc = req ? call(kc, "POST", "/attachments", req, &body, err)
                 : kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    json_decref(req);
    if (rc == 0)
        rc = kuryr_cinder_parse_attachment(body, out, err);
    free(body);
    return rc;
}

int kuryr_cinder_attachment_complete(kuryr_cinder *kc, const char *attachment_id, kuryr_error *err)
{
    if (id_ok(attachment_id, "attachment", err) < 0)
        return -1;
    char path[160];
    snprintf(path, sizeof(path), "/attachments/%s/action", attachment_id);
    json_t *req = json_pack("{s:n}", "os-complete");
    int rc = call(kc, "POST", path, req, NULL, err);
    json_decref(req);
    return rc;
}

int kuryr_cinder_attachment_delete(kuryr_cinder *kc, const char *attachment_id, kuryr_error *err)
{
    if (id_ok(attachment_id, "attachment", err) < 0)
        return -1;
    char path[128];
    snprintf(path, sizeof(path), "/attachments/%s", attachment_id);
    return call(kc, "DELETE", path, NULL, NULL, err);
}

int kuryr_cinder_attachment_list(kuryr_cinder *kc, const char *volume_id, kuryr_attachment **out, size_t *n,
                                 kuryr_error *err)
{
    *out = NULL;
    *n = 0;
    if (id_ok(volume_id, "volume", err) < 0)
        return -1;
    char path[160], *body = NULL;
    snprintf(path, sizeof(path), "/attachments?volume_id=%s", volume_id);
    int rc = call(kc, "GET", path, NULL, &body, err);
    if (rc == 0)
        rc = kuryr_cinder_parse_attachments(body, out, n, err);
    free(body);
    return rc;
}
