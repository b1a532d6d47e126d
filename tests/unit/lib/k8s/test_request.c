/* lib/k8s/client.c and request.c against the scripted server: paths, auth headers, token rotation and 401
 * reload, Status errors, 429 Retry-After, TLS verified by default and inline CA data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s_internal.h"
#include "kuryr/k8s_client.h"
#include "test_httpd.h"

typedef struct {
    test_httpd *srv;
    kuryr_k8s_client *c;
    char dir[64];
    char token_path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->srv = test_httpd_start(false);
    snprintf(f->dir, sizeof(f->dir), "/tmp/kuryr-k8s-req-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->token_path, sizeof(f->token_path), "%s/token", f->dir);
    *state = f;
    return f->srv ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kuryr_k8s_client_free(f->c);
    test_httpd_stop(f->srv);
    unlink(f->token_path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_token(fixture *f, const char *token)
{
    /* Written aside and renamed in, as the kubelet's projected volumes do. */
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.new", f->token_path);
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fprintf(fp, "%s\n", token);
    fclose(fp);
    assert_int_equal(rename(tmp, f->token_path), 0);
}

static kuryr_k8s_client *client(fixture *f, const char *token, const char *token_file)
{
    kuryr_k8s_config cfg = {.server = (char *)test_httpd_url(f->srv), .token = (char *)token,
                            .token_file = (char *)token_file};
    kuryr_error err = {0};
    f->c = kuryr_k8s_client_new(&cfg, NULL, &err);
    if (!f->c)
        fail_msg("client: %s", err.message);
    return f->c;
}

static void test_paths(void **state)
{
    (void)state;
    struct {
        const kuryr_k8s_resource *r;
        const char *ns, *name, *sub, *want;
    } cases[] = {
        {&kuryr_k8s_configmaps, "default", NULL, NULL, "/api/v1/namespaces/default/configmaps"},
        {&kuryr_k8s_configmaps, NULL, NULL, NULL, "/api/v1/configmaps"},
        {&kuryr_k8s_pods, "ns", "p 1", "status", "/api/v1/namespaces/ns/pods/p%201/status"},
        {&kuryr_k8s_nodes, "ignored", "n1", NULL, "/api/v1/nodes/n1"},
        {&kuryr_k8s_leases, "kube-system", "kuryr", NULL,
         "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kuryr"},
        {&kuryr_k8s_crds, NULL, "kuryrports.openstack.org", NULL,
         "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/kuryrports.openstack.org"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p = kuryr_k8s_path(cases[i].r, cases[i].ns, cases[i].name, cases[i].sub);
        assert_string_equal(p, cases[i].want);
        free(p);
    }
}

static void test_get_sends_token_and_parses(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/api/v1/namespaces/default/configmaps/a", 200,
                      "{\"metadata\": {\"name\": \"a\", \"namespace\": \"default\", \"resourceVersion\": \"7\"}}");
    client(f, "s3cret", NULL);
    json_t *obj = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_get(f->c, &kuryr_k8s_configmaps, "default", "a", &obj, &err), 0);
    assert_string_equal(kuryr_k8s_obj_resource_version(obj), "7");
    char *key = kuryr_k8s_obj_key(obj);
    assert_string_equal(key, "default/a");
    free(key);
    json_decref(obj);
    const test_httpd_request *r = test_httpd_request_at(f->srv, 0);
    assert_string_equal(test_httpd_header(r, "Authorization"), "Bearer s3cret");
}

static void test_status_error_reason(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/api/v1/namespaces/default/configmaps/gone", 404,
                      "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"configmaps \\\"gone\\\" not found\","
                      "\"reason\":\"NotFound\",\"code\":404}");
    test_httpd_answer(f->srv, "POST", "/api/v1/namespaces/default/configmaps", 409,
                      "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"code\":409,\"message\":\"exists\"}");
    test_httpd_answer(f->srv, "GET", "/broken", 500, "not json at all");
    client(f, NULL, NULL);
    json_t *obj = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_get(f->c, &kuryr_k8s_configmaps, "default", "gone", &obj, &err), -1);
    assert_null(obj);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    assert_int_equal(err.http_status, 404);
    assert_string_equal(err.type, "NotFound");
    assert_non_null(strstr(err.message, "not found"));
    json_t *body = json_pack("{s:{s:s}}", "metadata", "name", "x");
    assert_int_equal(kuryr_k8s_request(f->c, "POST", "/api/v1/namespaces/default/configmaps", NULL, body, NULL,
                                       &err), -1);
    json_decref(body);
    assert_int_equal(err.kind, KURYR_ERR_CONFLICT);
    assert_string_equal(err.type, "AlreadyExists");
    assert_int_equal(kuryr_k8s_request(f->c, "GET", "/broken", NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_non_null(strstr(err.message, "not json at all"));
    /* No token configured: no Authorization header at all. */
    assert_null(test_httpd_header(test_httpd_request_at(f->srv, 0), "Authorization"));
}

static void test_token_file_rotation_and_401_reload(void **state)
{
    fixture *f = *state;
    write_token(f, "tok-1");
    test_httpd_answer(f->srv, "GET", "/api", 200, "{}");
    client(f, NULL, f->token_path);
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_request(f->c, "GET", "/api", NULL, NULL, NULL, &err), 0);
    /* Rotated on disk: the next request carries the new token without any 401. */
    write_token(f, "tok-2");
    assert_int_equal(kuryr_k8s_request(f->c, "GET", "/api", NULL, NULL, NULL, &err), 0);
    assert_string_equal(test_httpd_header(test_httpd_request_at(f->srv, 0), "Authorization"), "Bearer tok-1");
    assert_string_equal(test_httpd_header(test_httpd_request_at(f->srv, 1), "Authorization"), "Bearer tok-2");
}

static void test_401_forces_reread(void **state)
{
    fixture *f = *state;
    write_token(f, "old");
    client(f, NULL, f->token_path);
    /* The server stops accepting "old" once; the file meanwhile holds a new token that stat alone would miss
     * (same inode, size and mtime are not guaranteed to change: force the reread through 401). */
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = "/api", .status = 401,
                                                .body = "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}",
                                                .times = 1});
    test_httpd_answer(f->srv, "GET", "/api", 200, "{}");
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_request(f->c, "GET", "/api", NULL, NULL, NULL, &err), 0);
    assert_int_equal(test_httpd_request_count(f->srv), 2);
    /* Without a token file a 401 is final. */
    kuryr_k8s_client_free(f->c);
    f->c = NULL;
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = "/healthz", .status = 401, .body = "{}"});
    client(f, "fixed", NULL);
    assert_int_equal(kuryr_k8s_request(f->c, "GET", "/healthz", NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAUTHORIZED);
    assert_int_equal(test_httpd_request_count(f->srv), 3);
}

static void test_429_retry_after(void **state)
{
    fixture *f = *state;
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = "/api", .status = 429,
                                                .headers = "Retry-After: 0", .times = 2,
                                                .body = "{\"reason\":\"TooManyRequests\",\"code\":429}"});
    test_httpd_answer(f->srv, "GET", "/api", 200, "{\"ok\": true}");
    client(f, NULL, NULL);
    json_t *out = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_request(f->c, "GET", "/api", NULL, NULL, &out, &err), 0);
    assert_true(json_is_true(json_object_get(out, "ok")));
    json_decref(out);
    assert_int_equal(test_httpd_request_count(f->srv), 3);
}

static void test_tls_verified_by_default_and_inline_ca(void **state)
{
    (void)state;
    if (!test_httpd_tls_available())
        skip();
    test_httpd *tls = test_httpd_start(true);
    assert_non_null(tls);
    test_httpd_answer(tls, "GET", "/version", 200, "{\"major\": \"1\"}");
    kuryr_error err = {0};
    kuryr_k8s_config cfg = {.server = (char *)test_httpd_url(tls)};
    kuryr_k8s_client *c = kuryr_k8s_client_new(&cfg, NULL, &err);
    assert_non_null(c);
    assert_int_equal(kuryr_k8s_request(c, "GET", "/version", NULL, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.message, "TLS"));
    kuryr_k8s_client_free(c);

    /* The same CA given inline (certificate-authority-data) is trusted. */
    FILE *fp = fopen(test_httpd_cert_file(tls), "r");
    assert_non_null(fp);
    char pem[16384];
    size_t n = fread(pem, 1, sizeof(pem) - 1, fp);
    fclose(fp);
    pem[n] = '\0';
    cfg.ca_pem = pem;
    c = kuryr_k8s_client_new(&cfg, NULL, &err);
    json_t *out = NULL;
    assert_int_equal(kuryr_k8s_request(c, "GET", "/version", NULL, NULL, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "major")), "1");
    json_decref(out);
    kuryr_k8s_client_free(c);
    test_httpd_stop(tls);
}

static void test_bad_config(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    kuryr_k8s_config none = {0};
    assert_null(kuryr_k8s_client_new(&none, NULL, &err));
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    kuryr_k8s_config missing = {.server = "https://h", .token_file = f->token_path};
    assert_null(kuryr_k8s_client_new(&missing, NULL, &err));
    assert_int_equal(err.kind, KURYR_ERR_UNAUTHORIZED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test_setup_teardown(test_get_sends_token_and_parses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_error_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_file_rotation_and_401_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_401_forces_reread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_429_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_verified_by_default_and_inline_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
