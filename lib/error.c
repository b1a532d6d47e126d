/* Structured errors: see include/kuryr/error.h. */
#include "kuryr/error.h"

#include <stdio.h>
#include <string.h>

int kuryr_error_set(kuryr_error *err, kuryr_err_kind kind, long http_status, const char *type, const char *fmt,
                    ...)
{
    if (!err)
        return -1;
    err->kind = kind;
    err->http_status = http_status;
    snprintf(err->type, sizeof(err->type), "%s", type ? type : "");
    err->refused_attrs[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

void kuryr_error_clear(kuryr_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

int kuryr_error_prefix(kuryr_error *err, const char *prefix)
{
    if (!err || !prefix)
        return -1;
    size_t plen = strnlen(prefix, sizeof(err->message) - 1), room = sizeof(err->message) - 1 - plen;
    size_t mlen = strnlen(err->message, sizeof(err->message) - 1);
    if (mlen > room)
        mlen = room;
    memmove(err->message + plen, err->message, mlen);
    memcpy(err->message, prefix, plen);
    err->message[plen + mlen] = '\0';
    return -1;
}

bool kuryr_error_refused(const kuryr_error *err, const char *name)
{
    if (!err || !name || !*name)
        return false;
    size_t n = strlen(name);
    for (const char *p = err->refused_attrs; *p;) {
        p += strspn(p, ", ");
        size_t len = strcspn(p, ",");
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

const char *kuryr_err_kind_name(kuryr_err_kind kind)
{
    switch (kind) {
    case KURYR_OK: return "ok";
    case KURYR_ERR_NOT_FOUND: return "not_found";
    case KURYR_ERR_CONFLICT: return "conflict";
    case KURYR_ERR_BAD_REQUEST: return "bad_request";
    case KURYR_ERR_UNAUTHORIZED: return "unauthorized";
    case KURYR_ERR_UNAVAILABLE: return "unavailable";
    case KURYR_ERR_INTERNAL: return "internal";
    }
    return "internal";
}

kuryr_err_kind kuryr_err_kind_from_status(long status)
{
    if (status == 0 || status >= 500)
        return KURYR_ERR_UNAVAILABLE;
    switch (status) {
    case 400: case 413: case 422: return KURYR_ERR_BAD_REQUEST;
    case 401: case 403: return KURYR_ERR_UNAUTHORIZED;
    case 404: return KURYR_ERR_NOT_FOUND;
    case 409: return KURYR_ERR_CONFLICT;
    default: return status >= 200 && status < 300 ? KURYR_OK : KURYR_ERR_INTERNAL;
    }
}
