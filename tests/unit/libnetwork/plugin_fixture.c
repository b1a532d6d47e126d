/* See plugin_fixture.h. */
#include "plugin_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

plugin_fixture *pf_open(void)
{
    plugin_fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    if (!(f->srv = test_httpd_start(false))) {
        fprintf(stderr, "cannot start the scripted server\n");
        free(f);
        return NULL;
    }
    f->cfg = kuryr_config_new();
    const pf_setting base[] = {{"neutron", "auth_type", "none"},
                               {"neutron", "endpoint_override", test_httpd_url(f->srv)},
                               {"DEFAULT", "host", "node1"}};
    if (pf_set(f, base, sizeof(base) / sizeof(*base)) < 0) {
        pf_close(f);
        return NULL;
    }
    return f;
}

int pf_set(plugin_fixture *f, const pf_setting *settings, size_t n)
{
    char msg[256];
    for (size_t i = 0; i < n; i++) {
        if (kuryr_config_set(f->cfg, settings[i].section, settings[i].key, settings[i].value, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "config [%s] %s: %s\n", settings[i].section, settings[i].key, msg);
            return -1;
        }
    }
    return 0;
}

int pf_plugin_up(plugin_fixture *f)
{
    if (f->up)
        kl_plugin_fini(&f->p);
    f->up = false;
    kuryr_error err;
    if (kl_plugin_init(&f->p, f->cfg, &err) < 0) {
        fprintf(stderr, "plugin: %s\n", err.message);
        return -1;
    }
    f->up = true;
    return 0;
}

int pf_setup(void **state, const pf_setting *settings, size_t n)
{
    plugin_fixture *f = pf_open();
    *state = f;
    if (!f || pf_set(f, settings, n) < 0 || pf_plugin_up(f) < 0)
        return -1;
    return 0;
}

void pf_close(plugin_fixture *f)
{
    if (!f)
        return;
    if (f->up)
        kl_plugin_fini(&f->p);
    kuryr_config_free(f->cfg);
    test_httpd_stop(f->srv);
    free(f);
}

int pf_teardown(void **state)
{
    pf_close(*state);
    *state = NULL;
    return 0;
}

json_t *pf_call(plugin_fixture *f, const char *uri, const char *body, int *status)
{
    kl_reply r;
    kl_dispatch(&f->p, kl_routes, "POST", uri, body, strlen(body), 0, &r);
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    kl_reply_clear(&r);
    assert_non_null(j);
    return j;
}

json_t *pf_body_of(const test_httpd_request *r, const char *envelope)
{
    json_t *j = json_loads(r->body, 0, NULL);
    if (!j)
        fail_msg("%s %s: body '%s' is not JSON", r->method, r->path, r->body);
    json_t *inner = json_incref(json_object_get(j, envelope));
    json_decref(j);
    if (!inner)
        fail_msg("body %s has no %s", r->body, envelope);
    return inner;
}

void pf_assert_json_str(json_t *o, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(o, key));
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s is %s, expected %s", key, got ? got : "(missing)", want);
}
