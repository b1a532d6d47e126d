/* kuryrctl status: can the daemon, Keystone and Neutron be reached, and which extensions does Neutron offer. */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "render.h"

static const kc_column check_cols[] = {{"check", "CHECK"}, {"ok", "OK"}, {"detail", "DETAIL"}, {"fix", "FIX"}};

/* The extensions kuryr-libnetwork behaves differently with (names.h conventions, pools, nested drivers). */
static const char *const wanted_ext[] = {"standard-attr-tag", "subnet_allocation", "binding", "trunk",
                                         "security-group", "allowed-address-pairs", NULL};

int kc_cmd_status(kc_ctx *c)
{
    json_t *rows = json_array();
    bool unreachable = false, problem = false;
    kuryr_error err;
    kuryr_error_clear(&err);

    json_t *act = kc_plugin_post(c, "/Plugin.Activate", &err);
    json_t *impl = json_object_get(act, "Implements");
    const char *dfix = "start kuryr-libnetwork (systemctl start kuryr-libnetwork) or pass --socket PATH";
    if (impl) {
        char *list = kc_cell_text(impl);
        kc_check(rows, "daemon", true, NULL, "%s answers, implements %s", c->plugin_socket, list ? list : "?");
        free(list);
    } else {
        kc_check(rows, "daemon", false, dfix, "%s: %s", c->plugin_socket, err.message);
        unreachable = true;
    }
    json_decref(act);

    kuryr_error_clear(&err);
    kuryr_auth *auth = kc_auth(c, &err);
    char *token = NULL;
    bool auth_ok = auth && kuryr_auth_get_token(auth, &token, &err) == 0;
    const char *auth_type = kuryr_config_get_str(c->cfg, "neutron", "auth_type");
    const char *kfix = "check [neutron] auth_url and the credentials in kuryr.conf";
    if (auth_ok && token)
        kc_check(rows, "keystone", true, NULL, "authenticated, project %s", kuryr_auth_project_id(auth));
    else if (auth_ok)
        kc_check(rows, "keystone", true, NULL, "not used (auth_type %s)", auth_type);
    else
        kc_check(rows, "keystone", false, kfix, "%s: %s", kuryr_err_kind_name(err.kind), err.message);
    if (!auth_ok) {
        if (err.kind == KURYR_ERR_UNAVAILABLE)
            unreachable = true;
        else
            problem = true;
    }
    free(token);

    kuryr_neutron *kn = auth_ok ? kc_neutron(c, &err) : NULL;
    char *endpoint = NULL;
    kuryr_strv ext = {0};
    bool neutron_ok = kn && kuryr_auth_get_endpoint(auth, &endpoint, &err) == 0 &&
                      kuryr_neutron_extensions(kn, &ext, &err) == 0;
    const char *fix = "check that neutron-server runs and the catalog's network endpoint";
    if (neutron_ok)
        kc_check(rows, "neutron", true, NULL, "%s answers, %zu extensions", endpoint, ext.n);
    else if (!auth_ok)
        kc_check(rows, "neutron", false, fix, "not tried: no token");
    else
        kc_check(rows, "neutron", false, fix, "%s", err.message);
    if (!neutron_ok)
        unreachable = true;
    free(endpoint);
    if (neutron_ok) {
        for (size_t i = 0; wanted_ext[i]; i++) {
            char name[64];
            snprintf(name, sizeof(name), "extension %s", wanted_ext[i]);
            bool has = kuryr_strv_contains(&ext, wanted_ext[i]);
            /* only the tag extension is required: upstream's names depend on it */
            bool required = !strcmp(wanted_ext[i], "standard-attr-tag");
            kc_check(rows, name, has || !required, "enable the tag service plugin in neutron.conf",
                     has ? "present" : required ? "missing" : "missing (optional)");
            if (!has && required)
                problem = true;
        }
    }
    kuryr_strv_clear(&ext);

    kc_render(stdout, rows, check_cols, 4, c->args.json);
    json_decref(rows);
    return unreachable ? KC_EXIT_UNREACHABLE : problem ? KC_EXIT_PROBLEMS : KC_EXIT_OK;
}
