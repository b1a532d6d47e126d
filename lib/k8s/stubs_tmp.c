/* Temporary: the parts of the Kubernetes client still being written fail cleanly. */
#include "k8s_internal.h"

#include <stdlib.h>

#include "kuryr/k8s_write.h"

#define NOT_YET(err) kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "k8s: %s is not implemented yet", __func__)

int kuryr_k8s_create(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *ns, const json_t *obj,
                     json_t **out, kuryr_error *err)
{
    (void)c, (void)r, (void)ns, (void)obj, (void)out;
    return NOT_YET(err);
}
int kuryr_k8s_delete(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *ns, const char *name,
                     const char *uid, kuryr_error *err)
{
    (void)c, (void)r, (void)ns, (void)name, (void)uid;
    return NOT_YET(err);
}
int kuryr_k8s_merge_patch(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *ns, const char *name,
                          const char *sub, const json_t *patch, const char *rv, json_t **out, kuryr_error *err)
{
    (void)c, (void)r, (void)ns, (void)name, (void)sub, (void)patch, (void)rv, (void)out;
    return NOT_YET(err);
}
int kuryr_k8s_update(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *ns, const char *name,
                     const char *sub, kuryr_k8s_mutate_fn mutate, void *ud, json_t **out, kuryr_error *err)
{
    (void)c, (void)r, (void)ns, (void)name, (void)sub, (void)mutate, (void)ud, (void)out;
    return NOT_YET(err);
}
int kuryr_k8s_set_status(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *ns, const char *name,
                         const json_t *status, json_t **out, kuryr_error *err)
{
    (void)c, (void)r, (void)ns, (void)name, (void)status, (void)out;
    return NOT_YET(err);
}
int kuryr_k8s_finalizer_add(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *ns, const char *name,
                            const char *f, kuryr_error *err)
{
    (void)c, (void)r, (void)ns, (void)name, (void)f;
    return NOT_YET(err);
}
int kuryr_k8s_finalizer_remove(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *ns,
                               const char *name, const char *f, kuryr_error *err)
{
    (void)c, (void)r, (void)ns, (void)name, (void)f;
    return NOT_YET(err);
}
int kuryr_k8s_event_record(kuryr_k8s_client *c, const json_t *obj, const char *type, const char *reason,
                           const char *message, const char *component, kuryr_error *err)
{
    (void)c, (void)obj, (void)type, (void)reason, (void)message, (void)component;
    return NOT_YET(err);
}
kuryr_k8s_lease *kuryr_k8s_lease_start(kuryr_k8s_client *c, const kuryr_k8s_lease_opts *opts, kuryr_error *err)
{
    (void)c, (void)opts;
    NOT_YET(err);
    return NULL;
}
bool kuryr_k8s_lease_is_leader(kuryr_k8s_lease *l) { (void)l; return false; }
char *kuryr_k8s_lease_holder(kuryr_k8s_lease *l) { (void)l; return NULL; }
unsigned long kuryr_k8s_lease_acquisitions(kuryr_k8s_lease *l) { (void)l; return 0; }
void kuryr_k8s_lease_stop(kuryr_k8s_lease *l) { (void)l; }
