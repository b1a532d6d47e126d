/* Routing: unknown URIs 404, wrong method 405, bad bodies 400, size limit 413, error kinds to statuses, and
 * the daemon's table covering the whole protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "router.h"

static int h_echo(kl_plugin *p, json_t *req, json_t **resp, kuryr_error *err)
{
    (void)p, (void)err;
    *resp = json_pack("{s:O}", "Got", req);
    return 0;
}

static int h_fail(kl_plugin *p, json_t *req, json_t **resp, kuryr_error *err)
{
    (void)p, (void)resp;
    const char *k = json_string_value(json_object_get(req, "Kind"));
    kuryr_err_kind kind = !strcmp(k, "conflict") ? KURYR_ERR_CONFLICT
                        : !strcmp(k, "unavailable") ? KURYR_ERR_UNAVAILABLE
                        : !strcmp(k, "notfound") ? KURYR_ERR_NOT_FOUND : KURYR_ERR_INTERNAL;
    return kuryr_error_set(err, kind, 0, NULL, "failed: %s", k);
}

static const kl_route_entry table[] = {{"/X.Echo", h_echo}, {"/X.Fail", h_fail}, {NULL, NULL}};

static void expect(const char *method, const char *url, const char *body, size_t max, int status, const char *out)
{
    kl_reply r;
    kl_dispatch(NULL, table, method, url, body, body ? strlen(body) : 0, max, &r);
    assert_int_equal(r.status, status);
    json_t *got = json_loads(r.body, 0, NULL), *want = json_loads(out, 0, NULL);
    if (!got || !json_equal(got, want))
        fail_msg("%s %s: got %s, expected %s", method, url, r.body, out);
    json_decref(got);
    json_decref(want);
    kl_reply_clear(&r);
}

static void test_dispatch(void **state)
{
    (void)state;
    expect("POST", "/X.Echo", "{\"A\":1}", 0, 200, "{\"Got\":{\"A\":1}}");
    expect("POST", "/X.Echo?x=1", "{}", 0, 200, "{\"Got\":{}}");
    expect("POST", "/X.Echo", NULL, 0, 200, "{\"Got\":{}}");        /* Activate comes without a body */
    expect("POST", "/X.Echo", " null\n", 0, 200, "{\"Got\":{}}");
    expect("POST", "/X.Unknown", "{}", 0, 404, "{\"Err\":\"unknown method\"}");
    expect("POST", "/X.Echo/more", "{}", 0, 404, "{\"Err\":\"unknown method\"}");
    expect("GET", "/X.Echo", NULL, 0, 405, "{\"Err\":\"only POST is supported\"}");
    expect("POST", "/X.Echo", "{\"A\":", 0, 400, "{\"Err\":\"request body is not valid JSON\"}");
    expect("POST", "/X.Echo", "[1,2]", 0, 400, "{\"Err\":\"request body must be a JSON object\"}");
    expect("POST", "/X.Echo", "{\"A\":1,\"A\":2}", 0, 400, "{\"Err\":\"request body is not valid JSON\"}");
    expect("POST", "/X.Echo", "{\"A\":\"0123456789\"}", 10, 413, "{\"Err\":\"request body too large\"}");
    expect("POST", "/X.Fail", "{\"Kind\":\"conflict\"}", 0, 409, "{\"Err\":\"failed: conflict\"}");
    expect("POST", "/X.Fail", "{\"Kind\":\"unavailable\"}", 0, 503, "{\"Err\":\"failed: unavailable\"}");
    expect("POST", "/X.Fail", "{\"Kind\":\"notfound\"}", 0, 404, "{\"Err\":\"failed: notfound\"}");
    expect("POST", "/X.Fail", "{\"Kind\":\"other\"}", 0, 500, "{\"Err\":\"failed: other\"}");
}

static void test_matched_path_recorded(void **state)
{
    (void)state;
    const char *body = "{\"EndpointID\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}";
    kl_reply r;
    kl_dispatch(NULL, table, "POST", "/X.Echo", body, strlen(body), 0, &r);
    assert_string_equal(r.path, "/X.Echo");
    kl_reply_clear(&r);
}

static void test_daemon_table(void **state)
{
    (void)state;
    const char *paths[] = {"/Plugin.Activate", "/NetworkDriver.GetCapabilities", "/NetworkDriver.CreateNetwork",
                           "/NetworkDriver.DeleteNetwork", "/NetworkDriver.AllocateNetwork",
                           "/NetworkDriver.FreeNetwork", "/NetworkDriver.CreateEndpoint",
                           "/NetworkDriver.EndpointOperInfo", "/NetworkDriver.DeleteEndpoint", "/NetworkDriver.Join",
                           "/NetworkDriver.Leave", "/NetworkDriver.ProgramExternalConnectivity",
                           "/NetworkDriver.RevokeExternalConnectivity", "/NetworkDriver.DiscoverNew",
                           "/NetworkDriver.DiscoverDelete", "/IpamDriver.GetCapabilities",
                           "/IpamDriver.GetDefaultAddressSpaces", "/IpamDriver.RequestPool",
                           "/IpamDriver.ReleasePool", "/IpamDriver.RequestAddress", "/IpamDriver.ReleaseAddress"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        const kl_route_entry *e = kl_route_find(kl_routes, paths[i]);
        assert_non_null(e);
        assert_non_null(e->fn);
    }
    assert_null(kl_route_find(kl_routes, "/NetworkDriver.Bogus"));
    assert_string_equal(KL_CONTENT_TYPE, "application/vnd.docker.plugins.v1+json");
    char *b = kl_err_body(NULL);
    assert_string_equal(b, "{\"Err\":\"internal error\"}");
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_matched_path_recorded),
        cmocka_unit_test(test_daemon_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
