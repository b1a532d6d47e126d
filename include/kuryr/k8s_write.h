/* Writing objects: create, delete, merge patches guarded by resourceVersion, the status subresource,
 * finalizers and Events.
 *
 * Concurrent writers are handled optimistically: a patch carries metadata.resourceVersion, so the apiserver
 * refuses it with 409 Conflict if the object changed since it was read; kuryr_k8s_update() then reads the
 * object again, recomputes the patch and retries. Finalizer lists are always written this way, so adding or
 * removing ours never drops someone else's. */
#ifndef KURYR_K8S_WRITE_H
#define KURYR_K8S_WRITE_H

#include <jansson.h>

#include "kuryr/error.h"
#include "kuryr/k8s_client.h"

/* POST obj to its collection; *out (may be NULL) gets the created object. An existing object fails with
 * KURYR_ERR_CONFLICT, type "AlreadyExists". */
int kuryr_k8s_create(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace, const json_t *obj,
                     json_t **out, kuryr_error *err);
/* DELETE, with a uid precondition when uid is non-NULL (so a newer object of the same name is not deleted).
 * A missing object fails with KURYR_ERR_NOT_FOUND (callers that only want it gone treat that as done). */
int kuryr_k8s_delete(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace, const char *name,
                     const char *uid, kuryr_error *err);
/* A JSON merge patch (application/merge-patch+json) of the object or of its subresource ("status"; NULL =
 * the object). With resource_version non-NULL the patch is applied only if the object is still at that
 * version (else KURYR_ERR_CONFLICT). *out (may be NULL) gets the patched object. */
int kuryr_k8s_merge_patch(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace,
                          const char *name, const char *subresource, const json_t *patch,
                          const char *resource_version, json_t **out, kuryr_error *err);

/* Computes a merge patch from the current object. Returns 0 with *patch set (a new reference) to apply it,
 * 1 when nothing needs changing, -1 with err to give up. */
typedef int (*kuryr_k8s_mutate_fn)(const json_t *current, json_t **patch, void *ud, kuryr_error *err);

/* Read-modify-write: GET the object, ask mutate for a patch, apply it with the object's resourceVersion as a
 * precondition; on 409 start again (up to 5 times). subresource as in kuryr_k8s_merge_patch. *out (may be
 * NULL) gets the final object (the current one when nothing needed changing). */
int kuryr_k8s_update(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace, const char *name,
                     const char *subresource, kuryr_k8s_mutate_fn mutate, void *ud, json_t **out,
                     kuryr_error *err);

/* Merge-patches {"status": status} through the status subresource, read-modify-write as above. */
int kuryr_k8s_set_status(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace,
                         const char *name, const json_t *status, json_t **out, kuryr_error *err);

/* Adds finalizer to metadata.finalizers if missing (no request when it is there). Refused with
 * KURYR_ERR_CONFLICT when the object is already being deleted: a finalizer cannot be added then. */
int kuryr_k8s_finalizer_add(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace,
                            const char *name, const char *finalizer, kuryr_error *err);
/* Removes finalizer if present; a missing object counts as done (returns 0). */
int kuryr_k8s_finalizer_remove(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace,
                               const char *name, const char *finalizer, kuryr_error *err);

/* Records a core/v1 Event about obj (which must have kind, apiVersion, metadata name/namespace/uid):
 * type "Normal" or "Warning", reason a CamelCase word, message free text, component e.g.
 * "kuryr-k8s-controller". The Event lands in obj's namespace ("default" for cluster-scoped objects). */
int kuryr_k8s_event_record(kuryr_k8s_client *c, const json_t *obj, const char *type, const char *reason,
                           const char *message, const char *component, kuryr_error *err);

#endif
