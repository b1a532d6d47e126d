/* A Neutron client (no Keystone, no retries) aimed at a scripted server on 127.0.0.1: the fixture of the
 * tests that check which requests the client sends and how it reads the answers. */
#ifndef KURYR_TEST_NEUTRON_FIXTURE_H
#define KURYR_TEST_NEUTRON_FIXTURE_H

#include "kuryr/http.h"
#include "kuryr/keystone.h"
#include "kuryr/neutron.h"
#include "test_httpd.h"

typedef struct {
    test_httpd *srv;
    kuryr_http *http;
    kuryr_auth *auth;
    kuryr_neutron *kn;
} neutron_fixture;

/* cmocka setup/teardown: *state is the neutron_fixture. Retries are off, so a scripted 503 reaches the client
 * exactly once. */
int neutron_fixture_setup(void **state);
int neutron_fixture_teardown(void **state);

#endif
