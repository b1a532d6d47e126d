/* Neutron error answers to kuryr_error. Neutron itself answers {"NeutronError": {...}}; the gateways and
 * proxies in front of it answer {"message": ...}, {"error": {...}} or plain text, sometimes HTML. */
#include "neutron_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Human text from a server is cut short: the kind and type carry the meaning, the message is for logs. */
#define KN_ERR_TEXT_MAX 300

/* Copies src into dst with runs of whitespace and control bytes folded to one space, trimmed, truncated at
 * a UTF-8 character boundary so that a cut message stays valid text. */
static void fold_text(char *dst, size_t size, const char *src, size_t len)
{
    size_t o = 0, i = 0;
    bool space = false;
    for (; i < len && src[i]; i++) {
        unsigned char c = (unsigned char)src[i];
        if (isspace(c) || iscntrl(c)) {
            space = o > 0;
            continue;
        }
        if (o + (space ? 2 : 1) >= size)
            break;
        if (space)
            dst[o++] = ' ';
        space = false;
        dst[o++] = (char)c;
    }
    if (i < len && src[i] && o > 0 && ((unsigned char)dst[o - 1] & 0x80)) {
        while (o > 0 && ((unsigned char)dst[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 0 && (unsigned char)dst[o - 1] >= 0xC0)
            o--;
    }
    dst[o] = '\0';
}

static const char *string_member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

/* Finds type and message in the JSON shapes we know; false when the body is none of them. */
static bool from_json(json_t *root, const char **type, const char **message)
{
    if (!json_is_object(root))
        return false;
    json_t *ne = json_object_get(root, "NeutronError");
    if (json_is_object(ne)) {
        *type = string_member(ne, "type");
        *message = string_member(ne, "message");
        if (!*message)
            *message = string_member(ne, "detail");
        return *type || *message;
    }
    if (json_is_string(ne)) {  /* very old Neutron */
        *message = json_string_value(ne);
        return true;
    }
    json_t *e = json_object_get(root, "error");
    if (json_is_object(e)) {
        *message = string_member(e, "message");
        if (!*message)
            *message = string_member(e, "title");
        return *message != NULL;
    }
    *message = string_member(root, "message");
    if (!*message)
        *message = string_member(root, "faultstring");
    return *message != NULL;
}

/* Neutron refuses a body with attributes it does not know (an extension that is off) with a 400 whose message
 * is "Unrecognized attribute(s) 'a, b'", and one with an attribute it knows but does not take in a create
 * (tags without tag-creation) with "Attribute 'tags' not allowed in POST". The names go to refused_attrs, so
 * that callers need not read the message. */
static void refused_attrs(kuryr_error *err, const char *message)
{
    static const struct {
        const char *lead, *tail;
    } forms[] = {{"Unrecognized attribute(s) '", "'"}, {"Attribute '", "' not allowed"}};
    if (!err || err->kind != KURYR_ERR_BAD_REQUEST || !message)
        return;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const char *p = strstr(message, forms[i].lead);
        if (!p)
            continue;
        p += strlen(forms[i].lead);
        size_t len = strcspn(p, "'");
        if (strncmp(p + len, forms[i].tail, strlen(forms[i].tail)) == 0 && len < sizeof(err->refused_attrs)) {
            snprintf(err->refused_attrs, sizeof(err->refused_attrs), "%.*s", (int)len, p);
            return;
        }
    }
}

void kuryr_neutron_error_from_response(long status, const char *body, kuryr_error *err)
{
    kuryr_err_kind kind = kuryr_err_kind_from_status(status);
    if (kind == KURYR_OK)  /* a success status with an unusable body is still a failure */
        kind = KURYR_ERR_INTERNAL;
    if (status == 412)  /* Neutron's answer to a stale If-Match: revision_number */
        kind = KURYR_ERR_CONFLICT;
    if (!body)
        body = "";

    const char *type = NULL, *message = NULL;
    char text[KN_ERR_TEXT_MAX + 1];
    json_t *root = json_loads(body, JSON_DECODE_ANY, NULL);
    if (root && from_json(root, &type, &message)) {
        fold_text(text, sizeof(text), message ? message : "", message ? strlen(message) : 0);
    } else {
        /* Plain text or HTML: the first non-empty line says enough ("404 Not Found"). */
        const char *p = body;
        while (*p && isspace((unsigned char)*p))
            p++;
        size_t len = strcspn(p, "\r\n");
        fold_text(text, sizeof(text), p, len);
    }

    char type_buf[sizeof(((kuryr_error *)0)->type)];
    fold_text(type_buf, sizeof(type_buf), type ? type : "", type ? strlen(type) : 0);
    if (text[0])
        kuryr_error_set(err, kind, status, type_buf, "Neutron answered %ld: %s", status, text);
    else
        kuryr_error_set(err, kind, status, type_buf, "Neutron answered %ld", status);
    refused_attrs(err, text);
    json_decref(root);
}
