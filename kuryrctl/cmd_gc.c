/* kuryrctl gc: one reconciliation pass (libnetwork/reconcile.h) run from the command line. */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "render.h"

#include "plugin.h"
#include "reconcile.h"

static const kc_column gc_cols[] = {{"kind", "KIND"}, {"id", "ID"}, {"name", "NAME"}, {"action", "ACTION"}};

int kc_cmd_gc(kc_ctx *c)
{
    kl_plugin p;
    kuryr_error err;
    kuryr_error_clear(&err);
    char msg[256];
    /* the pass asks Docker where the config says; --docker-host overrides it like for the other commands (a
     * pass judged against another host's Docker would take this host's objects for orphans) */
    if (c->args.docker_host)
        kuryr_config_set(c->cfg, "DEFAULT", "docker_host", c->args.docker_host, msg, sizeof(msg));
    if (kl_plugin_init(&p, c->cfg, &err) < 0) {
        fprintf(stderr, "kuryrctl: %s\n", err.message);
        return KC_EXIT_USAGE;
    }
    json_t *report = NULL;
    int rc = kuryr_reconcile(&p, c->args.dry_run, &report, &err);
    kl_plugin_fini(&p);
    if (rc < 0) {
        fprintf(stderr, "kuryrctl: %s\n", err.message);
        return err.kind == KURYR_ERR_UNAVAILABLE ? KC_EXIT_UNREACHABLE : KC_EXIT_PROBLEMS;
    }
    int exit_code = json_array_size(json_object_get(report, "errors")) ? KC_EXIT_PROBLEMS : KC_EXIT_OK;
    if (c->args.json) {
        json_dumpf(report, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        json_t *rows = json_array();
        static const char *const kinds[] = {"ports", "security_groups", "subnets", "subnetpools", "networks",
                                            "taps", "adopted", "errors"};
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            size_t i;
            json_t *o;
            json_array_foreach(json_object_get(report, kinds[k]), i, o) {
                json_t *row = json_deep_copy(o);
                json_object_set_new(row, "kind", json_string(kinds[k]));
                if (!strcmp(kinds[k], "errors"))
                    json_object_set(row, "action", json_object_get(o, "message"));
                json_array_append_new(rows, row);
            }
        }
        kc_render(stdout, rows, gc_cols, 4, false);
        json_decref(rows);
    }
    json_decref(report);
    return exit_code;
}
