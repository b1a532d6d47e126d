/* Structured errors shared by every libkuryr component.
 *
 * Callers switch on the kind, never on message text: the kinds are the small set of outcomes a plugin can act
 * on (retry, report a conflict, give up). The message is for humans and logs, and never holds secrets. */
#ifndef KURYR_ERROR_H
#define KURYR_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

typedef enum {
    KURYR_OK = 0,
    KURYR_ERR_NOT_FOUND,    /* 404, or a lookup that matched nothing */
    KURYR_ERR_CONFLICT,     /* 409: IP in use, revision mismatch, object in use */
    KURYR_ERR_BAD_REQUEST,  /* 400 or invalid local input */
    KURYR_ERR_UNAUTHORIZED, /* 401/403 after re-authentication was tried */
    KURYR_ERR_UNAVAILABLE,  /* connection failure, timeout, 5xx: worth retrying later */
    KURYR_ERR_INTERNAL,     /* a local failure: out of memory, netlink, a bug */
} kuryr_err_kind;

typedef struct {
    kuryr_err_kind kind;
    long http_status;  /* 0 when no HTTP answer was involved */
    char type[64];     /* NeutronError type, e.g. "IpAddressAlreadyAllocated"; empty if none */
    char message[512];
    /* The request attributes a 400 refused, as Neutron listed them ("tags", or "tags, foo"); empty if none. */
    char refused_attrs[128];
} kuryr_error;

/* Sets every field; returns -1 so that callers can write `return kuryr_error_set(...)`. Tolerates err == NULL. */
int kuryr_error_set(kuryr_error *err, kuryr_err_kind kind, long http_status, const char *type,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void kuryr_error_clear(kuryr_error *err);
/* Puts prefix in front of the message (cutting its end if the whole does not fit), keeping kind, status and
 * type: how a layer names itself ("Neutron unreachable: ") on an error from below. Returns -1; NULL is fine. */
int kuryr_error_prefix(kuryr_error *err, const char *prefix);
/* Whether name is one of err->refused_attrs. */
bool kuryr_error_refused(const kuryr_error *err, const char *name);
const char *kuryr_err_kind_name(kuryr_err_kind kind);
/* The kind for an HTTP status: 404 not found, 409 conflict, 400/413/422 bad request, 401/403 unauthorized,
 * 5xx and 0 (no answer) unavailable, anything else internal. */
kuryr_err_kind kuryr_err_kind_from_status(long status);

#endif
