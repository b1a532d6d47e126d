/* The registry of the handlers this build has (see handler.h). */
#include "handler.h"

#include <stdlib.h>
#include <string.h>

const kc_handler_def *const kc_handler_registry[] = {
    &kc_probe_handler,
    &kc_vif_handler,
    &kc_kuryrport_handler,
    NULL,
};

const kc_handler_def *kc_handler_find(const char *name)
{
    for (size_t i = 0; kc_handler_registry[i]; i++) {
        if (!strcmp(kc_handler_registry[i]->name, name))
            return kc_handler_registry[i];
    }
    return NULL;
}

char *kc_watch_namespace(const kuryr_config *cfg)
{
    const char *ns = kuryr_config_get_str(cfg, "kubernetes", "watch_namespace");
    return ns && *ns ? strdup(ns) : NULL;
}
