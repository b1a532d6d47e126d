/* What the handler tests (test_network.c, test_ipam.c, test_ipam_pool.c, test_endpoint.c, test_exposed.c,
 * test_discovery.c) share on top of plugin_fixture.h: the ids of the scripted cloud, answers with bodies from
 * data/, and lookups of the requests the scripted Neutron received. */
#ifndef HANDLER_FIXTURE_H
#define HANDLER_FIXTURE_H

#include <stddef.h>

#include <jansson.h>

#include "plugin_fixture.h"
#include "test_httpd.h"

#define NETID "0123abcd0123abcd0123abcd0123abcd89ef89ef89ef89ef89ef89ef89ef89ef"
#define EPID "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define NEUTRON_NET "11111111-1111-4111-8111-111111111111"
#define POOL "22222222-2222-4222-8222-222222222222"
#define SUBNET "33333333-3333-4333-8333-333333333333"
#define PORT "44444444-4444-4444-8444-444444444444"
#define DEFPOOL "55555555-5555-4555-8555-555555555555"
#define SG "88888888-8888-4888-8888-888888888888"

typedef plugin_fixture fixture;

/* The contents of data/<name> (KURYR_TEST_DATA); aborts when missing. The caller frees it. */
char *data(const char *name);
/* A permanent (times 0) or counted answer with a body from data/. */
void answer(fixture *f, const char *method, const char *path, int status, const char *file, int times);
void answer_text(fixture *f, const char *method, const char *path, int status, const char *body, int times);
/* The fixture with no settings beyond plugin_fixture's. */
int setup(void **state);
/* A call that must answer 200 (fails the test otherwise, with the answer); the caller frees the JSON. */
json_t *call_ok(fixture *f, const char *uri, const char *body);
/* Every request the scripted Neutron received, on stderr (when a test is about to fail). */
void dump_requests(fixture *f);
/* The n-th (from 0) received request with this method whose path starts with prefix. */
const test_httpd_request *nth(fixture *f, const char *method, const char *prefix, int n);
/* How many received requests have this method and a path starting with prefix. */
size_t count(fixture *f, const char *method, const char *prefix);
/* The recorded path is as the server decoded it, so filters appear unescaped. */
void assert_contains(const char *hay, const char *needle);

#endif
