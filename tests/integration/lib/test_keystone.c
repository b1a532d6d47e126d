/* libkuryr against the real Keystone of scripts/stack: password and application-credential auth, catalog
 * lookup, token reuse, and re-authentication after the token is revoked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "itest.h"

static itest_env env;

static void need_keystone(void)
{
    if (!env.keystone)
        skip();
}

static char *keystone_url(const char *path)
{
    const char *base = kuryr_config_get_str(env.cfg, "neutron", "auth_url");
    size_t n = strlen(base) + strlen(path) + 2;
    char *url = malloc(n);
    snprintf(url, n, "%s%s", base, path);
    return url;
}

/* A raw Keystone call with a token, for what libkuryr does not do itself (revocation, app credentials). */
static long keystone_call(const char *method, const char *path, const char *token, const char *subject,
                          const char *body, json_t **out)
{
    char auth_h[512], subject_h[512];
    snprintf(auth_h, sizeof auth_h, "X-Auth-Token: %s", token);
    snprintf(subject_h, sizeof subject_h, "X-Subject-Token: %s", subject ? subject : "");
    const char *headers[] = {auth_h, "Content-Type: application/json", subject ? subject_h : NULL, NULL};
    char *url = keystone_url(path);
    kuryr_http_response resp = {0};
    kuryr_error err = {0};
    long status = kuryr_http_request(env.http, method, url, headers, body, &resp, &err) == 0 ? resp.status : 0;
    if (out)
        *out = resp.body && *resp.body ? json_loads(resp.body, 0, NULL) : NULL;
    kuryr_http_response_clear(&resp);
    free(url);
    return status;
}

static kuryr_auth *fresh_auth(void)
{
    kuryr_auth_opts opts;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_opts_from_config(env.cfg, &opts, &err), 0);
    return kuryr_auth_new(env.http, &opts);
}

static void test_password_token_is_project_scoped(void **state)
{
    (void)state;
    need_keystone();
    char *token = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_get_token(env.auth, &token, &err), 0);
    assert_non_null(token);
    assert_true(strlen(token) > 32);
    assert_true(strlen(kuryr_auth_project_id(env.auth)) > 0);
    free(token);
}

static void test_catalog_gives_the_neutron_endpoint(void **state)
{
    (void)state;
    need_keystone();
    char *url = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_get_endpoint(env.auth, &url, &err), 0);
    assert_string_equal(url, "http://127.0.0.1:9696");
    free(url);
}

static void test_cached_token_is_reused(void **state)
{
    (void)state;
    need_keystone();
    char *t1 = NULL, *t2 = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_get_token(env.auth, &t1, &err), 0);
    unsigned long sent = kuryr_http_total_requests(env.http);
    assert_int_equal(kuryr_auth_get_token(env.auth, &t2, &err), 0);
    assert_string_equal(t1, t2);
    assert_int_equal(kuryr_http_total_requests(env.http), sent);
    free(t1);
    free(t2);
}

static void test_revoked_token_is_replaced(void **state)
{
    (void)state;
    need_keystone();
    /* A client whose token Neutron has never seen, so no validation cache can hide the revocation. */
    kuryr_auth *auth = fresh_auth();
    char *t1 = NULL, *t2 = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_get_token(auth, &t1, &err), 0);
    long revoked = keystone_call("DELETE", "/auth/tokens", t1, t1, NULL, NULL);
    kuryr_http_response resp = {0};
    int rc = kuryr_auth_request(auth, "GET", "/v2.0/networks?limit=1", NULL, &resp, &err);
    long status = resp.status;
    kuryr_http_response_clear(&resp);
    int rc2 = kuryr_auth_get_token(auth, &t2, &err);
    bool changed = t2 && strcmp(t1, t2) != 0;
    free(t1);
    free(t2);
    kuryr_auth_free(auth);
    assert_int_equal(revoked, 204);
    assert_int_equal(rc, 0);
    assert_int_equal(status, 200);
    assert_int_equal(rc2, 0);
    assert_true(changed);
}

static void test_application_credential_auth(void **state)
{
    (void)state;
    need_keystone();
    char *token = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_get_token(env.auth, &token, &err), 0);
    json_t *info = NULL;
    assert_int_equal(keystone_call("GET", "/auth/tokens", token, token, NULL, &info), 200);
    const char *user_id = json_string_value(json_object_get(json_object_get(json_object_get(info, "token"), "user"), "id"));
    assert_non_null(user_id);
    char path[256];
    snprintf(path, sizeof path, "/users/%s/application_credentials", user_id);
    char body[256];
    snprintf(body, sizeof body, "{\"application_credential\": {\"name\": \"%s\"}}", itest_name("kuryr-itest"));
    json_t *made = NULL;
    long created = keystone_call("POST", path, token, NULL, body, &made);
    json_t *cred = json_object_get(made, "application_credential");
    const char *cred_id = json_string_value(json_object_get(cred, "id"));
    const char *secret = json_string_value(json_object_get(cred, "secret"));

    int rc_token = -1, rc_req = -1;
    long status = 0;
    bool same_project = false;
    if (created == 201 && cred_id && secret) {
        kuryr_auth_opts opts = {
            .type = KURYR_AUTH_APPCRED,
            .auth_url = kuryr_config_get_str(env.cfg, "neutron", "auth_url"),
            .app_cred_id = cred_id,
            .app_cred_secret = secret,
            .region_name = "RegionOne",
        };
        kuryr_auth *auth = kuryr_auth_new(env.http, &opts);
        char *t = NULL;
        rc_token = kuryr_auth_get_token(auth, &t, &err);
        kuryr_http_response resp = {0};
        rc_req = kuryr_auth_request(auth, "GET", "/v2.0/networks?limit=1", NULL, &resp, &err);
        status = resp.status;
        kuryr_http_response_clear(&resp);
        same_project = strcmp(kuryr_auth_project_id(auth), kuryr_auth_project_id(env.auth)) == 0;
        free(t);
        kuryr_auth_free(auth);
        char del[384];
        snprintf(del, sizeof del, "%s/%s", path, cred_id);
        keystone_call("DELETE", del, token, NULL, NULL, NULL);
    }
    json_decref(made);
    json_decref(info);
    free(token);
    assert_int_equal(created, 201);
    assert_int_equal(rc_token, 0);
    assert_int_equal(rc_req, 0);
    assert_int_equal(status, 200);
    assert_true(same_project);
}

int main(void)
{
    int rc = itest_open(&env);
    if (rc != 0) {
        itest_close(&env);
        return rc == ITEST_SKIP ? ITEST_SKIP : 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_token_is_project_scoped),
        cmocka_unit_test(test_catalog_gives_the_neutron_endpoint),
        cmocka_unit_test(test_cached_token_is_reused),
        cmocka_unit_test(test_revoked_token_is_replaced),
        cmocka_unit_test(test_application_credential_auth),
    };
    int failed = cmocka_run_group_tests_name("keystone_integration", tests, NULL, NULL);
    itest_close(&env);
    return failed;
}
