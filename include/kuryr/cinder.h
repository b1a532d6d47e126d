/* Cinder block storage v3 client: volumes, their metadata, and the attachments API (microversion 3.54), which
 * attaches a volume to a host without Nova.
 *
 * Every request goes through kuryr_auth (Keystone token, one re-authentication on 401) to the endpoint of
 * service type volumev3. Cinder's error answers ({"itemNotFound": {"message": ...}}) become kuryr_error kinds
 * with Cinder's message. Every function returns 0 or -1 with err set; outputs belong to the caller. */
#ifndef KURYR_CINDER_H
#define KURYR_CINDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kuryr/error.h"
#include "kuryr/keystone.h"

/* The microversion every request asks for: attachments with a mode (3.54) and os-complete (3.44). */
#define KURYR_CINDER_MICROVERSION "3.54"

typedef struct kuryr_cinder kuryr_cinder;

typedef struct {
    char *attachment_id;
    char *host_name; /* the connector's host; NULL when the attachment was made by a server (Nova) */
    char *server_id; /* NULL when none */
} kuryr_volume_attachment;

typedef struct {
    char *id, *name, *status;
    char *volume_type, *availability_zone; /* NULL when absent */
    char *project_id;                      /* os-vol-tenant-attr:tenant_id, shown to admins only; NULL otherwise */
    long size;                             /* GiB */
    bool multiattach;
    json_t *metadata;                      /* the "metadata" object, borrowed from raw; never NULL */
    kuryr_volume_attachment *attachments;  /* the completed attachments, as the volume shows them */
    size_t n_attachments;
    json_t *raw;
} kuryr_volume;

typedef struct {
    char *id, *status, *volume_id;
    json_t *connection_info; /* NULL unless the answer carried it (create does) */
} kuryr_attachment;

/* What a new volume gets. Strings may be NULL or "" for Cinder's defaults; metadata (borrowed) may be NULL. */
typedef struct {
    const char *name;
    long size;
    const char *volume_type, *availability_zone;
    bool multiattach;
    json_t *metadata;
} kuryr_volume_spec;

/* auth must outlive the client; it should have been set up with service_type "volumev3". */
kuryr_cinder *kuryr_cinder_new(kuryr_auth *auth);
void kuryr_cinder_free(kuryr_cinder *kc);

int kuryr_cinder_volume_create(kuryr_cinder *kc, const kuryr_volume_spec *spec, kuryr_volume *out, kuryr_error *err);
int kuryr_cinder_volume_get(kuryr_cinder *kc, const char *id, kuryr_volume *out, kuryr_error *err);
/* The volumes of the token's project; with name, only those called name. */
int kuryr_cinder_volume_list(kuryr_cinder *kc, const char *name, kuryr_volume **out, size_t *n, kuryr_error *err);
int kuryr_cinder_volume_delete(kuryr_cinder *kc, const char *id, kuryr_error *err);
/* Adds or replaces the given keys of the volume's metadata (others stay). */
int kuryr_cinder_volume_set_metadata(kuryr_cinder *kc, const char *id, json_t *metadata, kuryr_error *err);

/* Reserves the volume for connector (a host connector object, borrowed) in read-write mode; Cinder answers with
 * the connection info. */
int kuryr_cinder_attachment_create(kuryr_cinder *kc, const char *volume_id, json_t *connector, kuryr_attachment *out,
                                   kuryr_error *err);
/* Marks the attachment attached (the volume goes in-use). */
int kuryr_cinder_attachment_complete(kuryr_cinder *kc, const char *attachment_id, kuryr_error *err);
/* Detaches: the volume goes back to available when this was its last attachment. */
int kuryr_cinder_attachment_delete(kuryr_cinder *kc, const char *attachment_id, kuryr_error *err);
/* Every attachment of the volume, whatever its state (reserved ones too). */
int kuryr_cinder_attachment_list(kuryr_cinder *kc, const char *volume_id, kuryr_attachment **out, size_t *n,
                                 kuryr_error *err);

/* Parsing, exposed for unit tests and fuzzing. body is a whole answer: {"volume": {...}}, {"volumes": [...]},
 * {"attachment": {...}} or {"attachments": [...]}. */
int kuryr_cinder_parse_volume(const char *body, kuryr_volume *out, kuryr_error *err);
int kuryr_cinder_parse_volumes(const char *body, kuryr_volume **out, size_t *n, kuryr_error *err);
int kuryr_cinder_parse_attachment(const char *body, kuryr_attachment *out, kuryr_error *err);
int kuryr_cinder_parse_attachments(const char *body, kuryr_attachment **out, size_t *n, kuryr_error *err);
/* An error answer (any status >= 400) to err: the kind from the status, the message from Cinder's body. */
int kuryr_cinder_error(long status, const char *body, const char *what, kuryr_error *err);

void kuryr_volume_clear(kuryr_volume *v);
void kuryr_volumes_free(kuryr_volume *v, size_t n);
void kuryr_attachment_clear(kuryr_attachment *a);
void kuryr_attachments_free(kuryr_attachment *a, size_t n);

#endif
