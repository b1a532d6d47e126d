/* The probe handler (Kuryr-C, off by default): proves the whole pipeline, informer -> queue -> leader check
 * -> handler -> write, without touching Neutron.
 *
 * It watches ConfigMaps labelled kuryr.openstack.org/probe in the Lease's namespace ([kubernetes]
 * controller_ha_lease_namespace) and stamps each with who handled which version of its data:
 *   metadata.annotations["kuryr.openstack.org/probed-by"]  = the controller's identity
 *   metadata.annotations["kuryr.openstack.org/probed-seq"] = the ConfigMap's data.seq
 * and logs "probe: acted seq=<seq> as <identity>". The stamp is written only when it would change, so its own
 * write (which comes back as an update) ends the loop, and it carries the resourceVersion it was computed from.
 * The leader-election test reads these log lines as the record of who acted when. */
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "kuryr/k8s_write.h"
#include "kuryr/log.h"

#define PROBE_LABEL "kuryr.openstack.org/probe"
#define ANN_BY "kuryr.openstack.org/probed-by"
#define ANN_SEQ "kuryr.openstack.org/probed-seq"

typedef struct {
    char *identity;
    char *namespace;
} probe_state;

static int probe_init(const kc_handler_env *env, void **state, kc_watch_spec *watch, kuryr_error *err)
{
    probe_state *s = calloc(1, sizeof(*s));
    if (s) {
        s->identity = strdup(env->identity);
        s->namespace = strdup(kuryr_config_get_str(env->cfg, "kubernetes", "controller_ha_lease_namespace"));
    }
    if (!s || !s->identity || !s->namespace) {
        if (s) {
            free(s->identity);
            free(s->namespace);
        }
        free(s);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "probe handler: out of memory");
    }
    watch->namespace = s->namespace;
    watch->label_selector = PROBE_LABEL;
    *state = s;
    return 0;
}

static void probe_fini(void *state)
{
    probe_state *s = state;
    if (!s)
        return;
    free(s->identity);
    free(s->namespace);
    free(s);
}

static const char *str_at(const json_t *obj, const char *section, const char *name)
{
    return json_string_value(json_object_get(json_object_get(obj, section), name));
}

static kuryr_work_result probe_handle(const kc_event *ev)
{
    const probe_state *s = ev->state;
    if (ev->deleted) {
        KLOG_INFO("probe: gone");
        return KURYR_WORK_DONE;
    }
    const char *seq = json_string_value(json_object_get(json_object_get(ev->obj, "data"), "seq"));
    if (!seq)
        seq = "";
    const json_t *meta = json_object_get(ev->obj, "metadata");
    const char *by = str_at(meta, "annotations", ANN_BY);
    const char *done_seq = str_at(meta, "annotations", ANN_SEQ);
    if (by && done_seq && !strcmp(by, s->identity) && !strcmp(done_seq, seq))
        return KURYR_WORK_DONE;
    if (!kc_controller_is_leader(ev->ctl))
        return KURYR_WORK_DONE; /* lost the lead meanwhile: the new leader handles it */
    json_t *patch = json_pack("{s:{s:{s:s,s:s}}}", "metadata", "annotations", ANN_BY, s->identity, ANN_SEQ, seq);
    if (!patch)
        return KURYR_WORK_RETRY;
    kuryr_error err;
    kuryr_error_clear(&err);
    int rc = kuryr_k8s_merge_patch(ev->client, &kuryr_k8s_configmaps, s->namespace,
                                   json_string_value(json_object_get(meta, "name")), NULL, patch,
                                   json_string_value(json_object_get(meta, "resourceVersion")), NULL, &err);
    json_decref(patch);
    if (rc < 0) {
        if (err.kind == KURYR_ERR_NOT_FOUND)
            return KURYR_WORK_DONE; /* deleted meanwhile: its delete event follows */
        KLOG_WARN("probe: stamping seq=%s failed: %s", seq, err.message);
        return KURYR_WORK_RETRY;
    }
    KLOG_INFO("probe: acted seq=%s as %s", seq, s->identity);
    return KURYR_WORK_DONE;
}

const kc_handler_def kc_probe_handler = {
    .name = "probe",
    .resource = &kuryr_k8s_configmaps,
    .init = probe_init,
    .handle = probe_handle,
    .fini = probe_fini,
};
