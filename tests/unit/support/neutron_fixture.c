/* See neutron_fixture.h. */
#include "neutron_fixture.h"

#include <stdlib.h>

int neutron_fixture_setup(void **state)
{
    neutron_fixture *f = calloc(1, sizeof(*f));
    *state = f;
    if (!f || !(f->srv = test_httpd_start(false)))
        return -1;
    kuryr_http_opts hopts = {.max_retries = -1};
    f->http = kuryr_http_new(&hopts);
    kuryr_auth_opts aopts = {.type = KURYR_AUTH_NONE, .endpoint_override = test_httpd_url(f->srv)};
    f->auth = f->http ? kuryr_auth_new(f->http, &aopts) : NULL;
    f->kn = f->auth ? kuryr_neutron_new(f->auth) : NULL;
    return f->kn ? 0 : -1;
}

int neutron_fixture_teardown(void **state)
{
    neutron_fixture *f = *state;
    if (!f)
        return 0;
    kuryr_neutron_free(f->kn);
    kuryr_auth_free(f->auth);
    kuryr_http_free(f->http);
    test_httpd_stop(f->srv);
    free(f);
    *state = NULL;
    return 0;
}
