/* The controller's handlers: what one handler is, and the registry of those this build has.
 *
 * A handler names the kind of object it watches and how (namespace, selectors); the controller runs one
 * informer per enabled handler and feeds every change of a watched object into the shared work queue under
 * the key "<handler index>/<namespace>/<name>". A worker then calls the handler's handle() with the object's
 * newest cached state, or, once it is gone from the API, with its last known state and `deleted` set. So a
 * handler is written as a reconciler: make the world match the object, idempotently, whatever happened in
 * between; return KURYR_WORK_RETRY to be called again after a backoff,
 * or KURYR_WORK_POLL to look again after a short fixed interval (waiting for something that is not a failure).
 *
 * Adding a handler (issue 20 adds vif and kuryrport): write <name>.c with a kc_handler_def, declare it below,
 * and list it in kc_handler_registry (handler.c). Its name must be one of [kubernetes] enabled_handlers'
 * choices (lib/options.c). */
#ifndef KC_HANDLER_H
#define KC_HANDLER_H

#include <jansson.h>
#include <stdbool.h>

#include "kuryr/config.h"
#include "kuryr/error.h"
#include "kuryr/k8s_client.h"
#include "kuryr/workqueue.h"

typedef struct kc_controller kc_controller;

/* Given to init: what a handler may need to set itself up. */
typedef struct {
    const kuryr_config *cfg;
    kuryr_k8s_client *client;
    const char *identity; /* this controller's name (the Lease holder identity) */
} kc_handler_env;

/* Where the handler's informer looks. init may set the strings; they must live as long as the state. */
typedef struct {
    const char *namespace;       /* NULL = all namespaces */
    const char *label_selector;  /* NULL = none */
    const char *field_selector;  /* NULL = none */
} kc_watch_spec;

/* One object to reconcile. */
typedef struct {
    kc_controller *ctl;
    kuryr_k8s_client *client;
    const char *key;     /* "namespace/name" (or "name" when cluster-scoped) */
    const json_t *obj;   /* newest cached state; with deleted, the last state seen before it went */
    bool deleted;
    unsigned attempt;    /* 1 on the first run after a change, then 2, 3... on retries */
    void *state;         /* the handler's, from init */
} kc_event;

typedef struct {
    const char *name;                     /* as listed in [kubernetes] enabled_handlers */
    const kuryr_k8s_resource *resource;   /* the kind it watches */
    /* Optional: sets up state and the watch. 0, or -1 with err (the controller then refuses to start). */
    int (*init)(const kc_handler_env *env, void **state, kc_watch_spec *watch, kuryr_error *err);
    kuryr_work_result (*handle)(const kc_event *ev);
    void (*fini)(void *state);            /* optional */
} kc_handler_def;

/* The handlers of this build, NULL-terminated. */
extern const kc_handler_def *const kc_handler_registry[];

/* The registered handler with this name, or NULL. */
const kc_handler_def *kc_handler_find(const char *name);

/* True while this controller may act (it leads, or runs without controller_ha). Handlers check it right
 * before a write that must not come from two controllers. */
bool kc_controller_is_leader(kc_controller *ctl);

/* [kubernetes] watch_namespace, malloc'd, or NULL when empty (all namespaces) or out of memory. */
char *kc_watch_namespace(const kuryr_config *cfg);

/* Handlers of this build. */
extern const kc_handler_def kc_probe_handler;
extern const kc_handler_def kc_vif_handler;       /* vif.c: Pod -> KuryrPort */
extern const kc_handler_def kc_kuryrport_handler; /* kuryrport.c: KuryrPort -> Neutron port, status.vifs */

#endif
