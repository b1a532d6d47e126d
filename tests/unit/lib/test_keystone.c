/* lib/keystone*.c: token parsing, request bodies, the token cache and re-authentication, against recorded
 * Keystone bodies (tests/unit/lib/data/keystone/) served by the scripted server, which also plays Neutron. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/keystone.h"
#include "kuryr/neutron.h"
#include "kuryr/log.h"
#include "test_httpd.h"

#define PASSWORD "s3cr3t-Pa55word-for-tests"
#define TOKEN_A "tok-a-7f3c2b1a09e8d7c6b5a4"
#define TOKEN_B "tok-b-0a1b2c3d4e5f60718293"
#define KEYSTONE_PATH "/identity/v3/auth/tokens"
#define NETWORKS_PATH "/network/v2.0/networks"

static char *load_data(const char *name)
{
    const char *dir = getenv("KURYR_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof(path), "%s/keystone/%s", dir ? dir : "tests/unit/lib/data", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* The recorded scoped token with its expiry and public RegionOne network URL replaced. */
static char *token_body(const char *network_url, const char *expires_at)
{
    char *text = load_data("token_project.json");
    json_t *root = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(root);
    json_t *token = json_object_get(root, "token");
    json_object_set_new(token, "expires_at", json_string(expires_at));
    size_t i, j;
    json_t *service, *ep;
    json_array_foreach(json_object_get(token, "catalog"), i, service) {
        if (strcmp(json_string_value(json_object_get(service, "type")), "network") != 0)
            continue;
        json_array_foreach(json_object_get(service, "endpoints"), j, ep) {
            if (strcmp(json_string_value(json_object_get(ep, "interface")), "public") == 0 &&
                strcmp(json_string_value(json_object_get(ep, "region_id")), "RegionOne") == 0)
                json_object_set_new(ep, "url", json_string(network_url));
        }
    }
    char *out = json_dumps(root, 0);
    json_decref(root);
    return out;
}

typedef struct {
    test_httpd *srv;
    kuryr_http *http;
    kuryr_auth *auth;
    kuryr_http_response resp;
    char auth_url[128], network_url[128];
    char *log;  /* every captured log line, for the secrets test */
    size_t log_len;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    *state = f;
    f->srv = test_httpd_start(false);
    f->http = kuryr_http_new(&(kuryr_http_opts){.retry_backoff_ms = 1});
    if (!f->srv || !f->http)
        return -1;
    snprintf(f->auth_url, sizeof(f->auth_url), "%s/identity", test_httpd_url(f->srv));
    snprintf(f->network_url, sizeof(f->network_url), "%s/network/", test_httpd_url(f->srv));
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kuryr_log_set_sink(NULL, NULL);
    kuryr_http_response_clear(&f->resp);
    kuryr_auth_free(f->auth);
    kuryr_http_free(f->http);
    test_httpd_stop(f->srv);
    free(f->log);
    free(f);
    return 0;
}

/* Keystone issues `token` (for `times` requests, 0 = always) with a far-off expiry. */
static void keystone_issues(fixture *f, const char *token, int times, const char *expires_at)
{
    char *body = token_body(f->network_url, expires_at ? expires_at : "2099-01-01T00:00:00.000000Z");
    char headers[128];
    snprintf(headers, sizeof(headers), "X-Subject-Token: %s", token);
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .path = KEYSTONE_PATH, .status = 201,
                                                .body = body, .headers = headers, .times = times});
    free(body);
}

static size_t count(fixture *f, const char *method, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (strcmp(r->method, method) == 0 && strncmp(r->path, prefix, strlen(prefix)) == 0)
            n++;
    }
    return n;
}

static const test_httpd_request *nth(fixture *f, const char *method, const char *prefix, size_t want)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (strcmp(r->method, method) == 0 && strncmp(r->path, prefix, strlen(prefix)) == 0 && want-- == 0)
            return r;
    }
    fail_msg("no request %s %s #%zu", method, prefix, want);
    return NULL;
}

static kuryr_auth_opts password_opts(fixture *f)
{
    return (kuryr_auth_opts){.type = KURYR_AUTH_PASSWORD, .auth_url = f->auth_url, .username = "kuryr",
                             .password = PASSWORD, .user_domain_name = "Default", .project_name = "service",
                             .project_domain_id = "default"};
}

/* ---- parsing ---- */

static void test_parse_token(void **state)
{
    (void)state;
    char *body = load_data("token_project.json");
    kuryr_token_info info;
    kuryr_error err = {0};
    struct tm tm = {.tm_year = 2026 - 1900, .tm_mon = 2, .tm_mday = 14, .tm_hour = 15, .tm_min = 9, .tm_sec = 26};

    assert_int_equal(kuryr_keystone_parse_token(body, "network", NULL, NULL, &info, &err), 0);
    assert_int_equal(info.expires_at, timegm(&tm));
    assert_string_equal(info.project_id, "8538a3f13f9541b28c2620eb19065e45");
    assert_string_equal(info.endpoint, "http://controller.example.test:9696");  /* trailing slash dropped */
    kuryr_token_info_clear(&info);

    assert_int_equal(kuryr_keystone_parse_token(body, "network", "internalURL", "RegionOne", &info, &err), 0);
    assert_string_equal(info.endpoint, "http://internal.example.test:9696");
    kuryr_token_info_clear(&info);
    assert_int_equal(kuryr_keystone_parse_token(body, NULL, "admin", "", &info, &err), 0);
    assert_string_equal(info.endpoint, "http://admin.example.test:9696");
    kuryr_token_info_clear(&info);
    assert_int_equal(kuryr_keystone_parse_token(body, "network", "public", "RegionTwo", &info, &err), 0);
    assert_string_equal(info.endpoint, "https://region-two.example.test:9696");
    kuryr_token_info_clear(&info);
    assert_int_equal(kuryr_keystone_parse_token(body, "compute", "publicURL", NULL, &info, &err), 0);
    assert_string_equal(info.endpoint, "http://controller.example.test:8774/v2.1");
    kuryr_token_info_clear(&info);

    /* No match is not an error here: the caller decides (kuryr_auth_get_endpoint says not found). */
    assert_int_equal(kuryr_keystone_parse_token(body, "network", "public", "Nowhere", &info, &err), 0);
    assert_null(info.endpoint);
    kuryr_token_info_clear(&info);
    assert_int_equal(kuryr_keystone_parse_token(body, "network", "internal", "RegionTwo", &info, &err), 0);
    assert_null(info.endpoint);
    kuryr_token_info_clear(&info);
    assert_int_equal(kuryr_keystone_parse_token(body, "volumev3", NULL, NULL, &info, &err), 0);
    assert_null(info.endpoint);
    kuryr_token_info_clear(&info);
    free(body);
}

static void test_parse_unscoped_token(void **state)
{
    (void)state;
    char *body = load_data("token_unscoped.json");
    kuryr_token_info info;
    kuryr_error err = {0};
    struct tm tm = {.tm_year = 2026 - 1900, .tm_mon = 2, .tm_mday = 14, .tm_hour = 15, .tm_min = 9, .tm_sec = 26};
    assert_int_equal(kuryr_keystone_parse_token(body, "network", NULL, NULL, &info, &err), 0);
    assert_int_equal(info.expires_at, timegm(&tm));  /* "+00:00" and microseconds */
    assert_null(info.project_id);
    assert_null(info.endpoint);
    kuryr_token_info_clear(&info);
    free(body);
}

static void test_parse_errors(void **state)
{
    (void)state;
    kuryr_token_info info;
    kuryr_error err = {0};
    const char *bad[] = {
        "not json",
        "{}",
        "{\"token\": {\"project\": {\"id\": \"p\"}}}",
        "{\"token\": {\"expires_at\": \"tomorrow\"}}",
        "{\"token\": {\"expires_at\": 12}}",
        NULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kuryr_error_clear(&err);
        assert_int_equal(kuryr_keystone_parse_token(bad[i], "network", NULL, NULL, &info, &err), -1);
        assert_int_equal(err.kind, KURYR_ERR_INTERNAL);
        assert_null(info.endpoint);
        assert_null(info.project_id);
    }
    /* A timezone offset moves the instant. */
    assert_int_equal(kuryr_keystone_parse_token("{\"token\": {\"expires_at\": \"2026-01-01T02:00:00+02:00\"}}",
                                                "network", NULL, NULL, &info, &err), 0);
    struct tm tm = {.tm_year = 2026 - 1900, .tm_mon = 0, .tm_mday = 1};
    assert_int_equal(info.expires_at, timegm(&tm));
    kuryr_token_info_clear(&info);
}

static void test_needs_renewal(void **state)
{
    (void)state;
    const time_t now = 1800000000;
    assert_false(kuryr_token_needs_renewal(now + 3600, now));
    assert_false(kuryr_token_needs_renewal(now + 61, now));
    assert_true(kuryr_token_needs_renewal(now + 60, now));  /* the 60 s margin is inclusive */
    assert_true(kuryr_token_needs_renewal(now + 1, now));
    assert_true(kuryr_token_needs_renewal(now, now));
    assert_true(kuryr_token_needs_renewal(now - 1, now));
    assert_true(kuryr_token_needs_renewal(0, now));  /* unknown expiry */
    assert_false(kuryr_token_needs_renewal(now + 61, 0));
}

/* ---- request bodies ---- */

static json_t *sent_auth(fixture *f, size_t i)
{
    const test_httpd_request *r = nth(f, "POST", KEYSTONE_PATH, i);
    assert_string_equal(test_httpd_header(r, "Content-Type"), "application/json");
    json_t *root = json_loads(r->body, 0, NULL);
    assert_non_null(root);
    json_t *auth = json_incref(json_object_get(root, "auth"));
    json_decref(root);
    assert_non_null(auth);
    return auth;
}

static const char *str_at(json_t *root, const char *p1, const char *p2, const char *p3, const char *p4)
{
    json_t *j = json_object_get(root, p1);
    if (p2)
        j = json_object_get(j, p2);
    if (p3)
        j = json_object_get(j, p3);
    if (p4)
        j = json_object_get(j, p4);
    return json_string_value(j);
}

static void test_password_request_body(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 0, NULL);
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    char *token = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_get_token(f->auth, &token, &err), 0);
    assert_string_equal(token, TOKEN_A);
    free(token);
    assert_string_equal(kuryr_auth_project_id(f->auth), "8538a3f13f9541b28c2620eb19065e45");

    json_t *a = sent_auth(f, 0);  /* the auth_url had no /v3: it was added */
    json_t *methods = json_object_get(json_object_get(a, "identity"), "methods");
    assert_int_equal(json_array_size(methods), 1);
    assert_string_equal(json_string_value(json_array_get(methods, 0)), "password");
    assert_string_equal(str_at(a, "identity", "password", "user", "name"), "kuryr");
    assert_string_equal(str_at(a, "identity", "password", "user", "password"), PASSWORD);
    json_t *user = json_object_get(json_object_get(json_object_get(a, "identity"), "password"), "user");
    assert_string_equal(str_at(user, "domain", "name", NULL, NULL), "Default");
    assert_string_equal(str_at(a, "scope", "project", "name", NULL), "service");
    assert_string_equal(str_at(a, "scope", "project", "domain", "id"), "default");
    json_decref(a);
}

static void test_password_by_ids(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 0, NULL);
    char url[160];
    snprintf(url, sizeof(url), "%s/v3/", f->auth_url);
    kuryr_auth_opts o = {.type = KURYR_AUTH_PASSWORD, .auth_url = url, .user_id = "u-1", .password = PASSWORD,
                         .project_id = "p-1"};
    f->auth = kuryr_auth_new(f->http, &o);
    char *token = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_get_token(f->auth, &token, &err), 0);
    free(token);
    json_t *a = sent_auth(f, 0);
    assert_string_equal(str_at(a, "identity", "password", "user", "id"), "u-1");
    assert_null(str_at(a, "identity", "password", "user", "name"));
    assert_string_equal(str_at(a, "scope", "project", "id", NULL), "p-1");
    json_decref(a);
}

static void test_appcred_request_bodies(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 0, NULL);
    kuryr_auth_opts by_id = {.type = KURYR_AUTH_APPCRED, .auth_url = f->auth_url, .app_cred_id = "ac-1",
                             .app_cred_secret = PASSWORD};
    f->auth = kuryr_auth_new(f->http, &by_id);
    char *token = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_get_token(f->auth, &token, &err), 0);
    free(token);
    kuryr_auth_free(f->auth);

    kuryr_auth_opts by_name = {.type = KURYR_AUTH_APPCRED, .auth_url = f->auth_url, .app_cred_name = "kuryr-ac",
                               .username = "kuryr", .user_domain_id = "default", .app_cred_secret = PASSWORD};
    f->auth = kuryr_auth_new(f->http, &by_name);
    assert_int_equal(kuryr_auth_get_token(f->auth, &token, &err), 0);
    free(token);

    json_t *a = sent_auth(f, 0);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(a, "identity"), "methods"), 0)),
                        "application_credential");
    assert_string_equal(str_at(a, "identity", "application_credential", "id", NULL), "ac-1");
    assert_string_equal(str_at(a, "identity", "application_credential", "secret", NULL), PASSWORD);
    assert_null(json_object_get(a, "scope"));  /* Keystone refuses a scope with an application credential */
    json_decref(a);

    a = sent_auth(f, 1);
    json_t *cred = json_object_get(json_object_get(a, "identity"), "application_credential");
    assert_string_equal(str_at(cred, "name", NULL, NULL, NULL), "kuryr-ac");
    assert_string_equal(str_at(cred, "user", "name", NULL, NULL), "kuryr");
    assert_string_equal(str_at(cred, "user", "domain", "id", NULL), "default");
    assert_string_equal(str_at(cred, "secret", NULL, NULL, NULL), PASSWORD);
    json_decref(a);
}

/* ---- the token cache and authenticated requests ---- */

static void test_token_cached_across_requests(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 0, NULL);
    test_httpd_answer(f->srv, "GET", NETWORKS_PATH, 200, "{\"networks\": []}");
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    for (int i = 0; i < 3; i++) {
        kuryr_http_response_clear(&f->resp);
        assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks?name=x", NULL, &f->resp, &err), 0);
        assert_int_equal(f->resp.status, 200);
    }
    assert_int_equal(count(f, "POST", KEYSTONE_PATH), 1);
    assert_int_equal(count(f, "GET", NETWORKS_PATH), 3);
    for (size_t i = 0; i < 3; i++) {
        const test_httpd_request *r = nth(f, "GET", NETWORKS_PATH, i);
        assert_string_equal(test_httpd_header(r, "X-Auth-Token"), TOKEN_A);
        assert_string_equal(r->path, NETWORKS_PATH "?name=x");
    }
    char *endpoint = NULL;
    assert_int_equal(kuryr_auth_get_endpoint(f->auth, &endpoint, &err), 0);
    char want[160];
    snprintf(want, sizeof(want), "%s/network", test_httpd_url(f->srv));
    assert_string_equal(endpoint, want);
    free(endpoint);
}

typedef struct {
    kuryr_auth *auth;
    int failures;
} thread_args;

static void *authenticated_get(void *p)
{
    thread_args *a = p;
    for (int i = 0; i < 3; i++) {
        kuryr_http_response resp;
        kuryr_error err;
        if (kuryr_auth_request(a->auth, "GET", "/v2.0/networks", NULL, &resp, &err) != 0 || resp.status != 200)
            a->failures++;
        kuryr_http_response_clear(&resp);
    }
    return NULL;
}

/* Threads that all start without a token wait for one authentication instead of each sending their own. */
static void test_token_shared_by_threads(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 0, NULL);
    test_httpd_answer(f->srv, "GET", NETWORKS_PATH, 200, "{\"networks\": []}");
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    thread_args args[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_args){.auth = f->auth};
        assert_int_equal(pthread_create(&threads[i], NULL, authenticated_get, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    assert_int_equal(count(f, "POST", KEYSTONE_PATH), 1);
    assert_int_equal(count(f, "GET", NETWORKS_PATH), 12);
}

/* A project id handed out stays what it was when a re-authentication scopes the token to another project
 * (another thread may be reading it meanwhile); the next call gives the new one. */
static void test_project_id_kept_across_reauth(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 1, NULL);
    char *body = token_body(f->network_url, "2099-01-01T00:00:00.000000Z");
    char *at = strstr(body, "8538a3f13f9541b28c2620eb19065e45");
    assert_non_null(at);
    memcpy(at, "0000000000000000000000000000beef", 32);
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .path = KEYSTONE_PATH, .status = 201,
                                                .body = body, .headers = "X-Subject-Token: " TOKEN_B});
    free(body);
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    const char *first = kuryr_auth_project_id(f->auth);
    assert_string_equal(first, "8538a3f13f9541b28c2620eb19065e45");
    kuryr_auth_invalidate(f->auth, TOKEN_A);
    char *token = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_get_token(f->auth, &token, &err), 0);
    assert_string_equal(token, TOKEN_B);
    free(token);
    assert_string_equal(first, "8538a3f13f9541b28c2620eb19065e45");
    assert_string_equal(kuryr_auth_project_id(f->auth), "0000000000000000000000000000beef");
}

static void test_token_near_expiry_is_renewed(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 0, "2000-01-01T00:00:00Z");  /* already expired when issued */
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    char *token = NULL;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(kuryr_auth_get_token(f->auth, &token, &err), 0);
        free(token);
    }
    assert_int_equal(count(f, "POST", KEYSTONE_PATH), 2);
}

static void test_reauth_once_on_401(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 1, NULL);
    keystone_issues(f, TOKEN_B, 0, NULL);
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = NETWORKS_PATH, .status = 401, .times = 1});
    test_httpd_answer(f->srv, "GET", NETWORKS_PATH, 200, "{\"networks\": []}");
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks", NULL, &f->resp, &err), 0);
    assert_int_equal(f->resp.status, 200);
    assert_int_equal(count(f, "POST", KEYSTONE_PATH), 2);
    assert_int_equal(count(f, "GET", NETWORKS_PATH), 2);
    assert_string_equal(test_httpd_header(nth(f, "GET", NETWORKS_PATH, 0), "X-Auth-Token"), TOKEN_A);
    assert_string_equal(test_httpd_header(nth(f, "GET", NETWORKS_PATH, 1), "X-Auth-Token"), TOKEN_B);
    /* An invalidation with a token that is no longer the cached one changes nothing. */
    kuryr_auth_invalidate(f->auth, TOKEN_A);
    char *token = NULL;
    assert_int_equal(kuryr_auth_get_token(f->auth, &token, &err), 0);
    assert_string_equal(token, TOKEN_B);
    free(token);
    assert_int_equal(count(f, "POST", KEYSTONE_PATH), 2);
}

static void test_second_401_is_unauthorized(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 0, NULL);
    test_httpd_answer(f->srv, "GET", NETWORKS_PATH, 401, "{\"error\": \"nope\"}");
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks", NULL, &f->resp, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAUTHORIZED);
    assert_int_equal(err.http_status, 401);
    assert_int_equal(f->resp.status, 401);
    assert_int_equal(count(f, "POST", KEYSTONE_PATH), 2);  /* exactly one re-authentication */
    assert_int_equal(count(f, "GET", NETWORKS_PATH), 2);
}

static void test_keystone_rejects_password(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "POST", KEYSTONE_PATH, 401,
                      "{\"error\": {\"message\": \"The request you have made requires authentication.\", "
                      "\"code\": 401, \"title\": \"Unauthorized\"}}");
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    char *token = NULL;
    assert_int_equal(kuryr_auth_get_token(f->auth, &token, &err), -1);
    assert_null(token);
    assert_int_equal(err.kind, KURYR_ERR_UNAUTHORIZED);
    assert_non_null(strstr(err.message, "requires authentication"));
    assert_null(strstr(err.message, PASSWORD));
    assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks", NULL, &f->resp, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAUTHORIZED);
    assert_int_equal(count(f, "GET", NETWORKS_PATH), 0);
}

/* Keystone accepts the connection and never answers (a paused process): the error names Keystone, not the
 * Neutron call that needed the token, and Neutron is never asked. */
static void test_keystone_silent_is_named(void **state)
{
    fixture *f = *state;
    kuryr_http_free(f->http);
    f->http = kuryr_http_new(&(kuryr_http_opts){.timeout_ms = 300, .retry_backoff_ms = 1});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .path = KEYSTONE_PATH, .status = 201,
                                                .body = "{}", .delay_ms = 5000});
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks", NULL, &f->resp, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_true(strncmp(err.message, "Keystone unreachable: ", 22) == 0);
    assert_null(strstr(err.message, PASSWORD));
    /* through the Neutron client, which names Neutron in failures without an answer: still Keystone */
    kuryr_neutron *kn = kuryr_neutron_new(f->auth);
    kuryr_network_list nets = {0};
    assert_int_equal(kuryr_neutron_network_list(kn, NULL, &nets, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_true(strncmp(err.message, "Keystone unreachable: ", 22) == 0);
    kuryr_network_list_clear(&nets);
    kuryr_neutron_free(kn);
    assert_int_equal(count(f, "GET", NETWORKS_PATH), 0);
}

static void test_none_with_endpoint_override(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", NETWORKS_PATH, 200, "{\"networks\": []}");
    kuryr_auth_opts o = {.type = KURYR_AUTH_NONE, .endpoint_override = f->network_url};
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    char *token = (char *)"unset";
    assert_int_equal(kuryr_auth_get_token(f->auth, &token, &err), 0);
    assert_null(token);
    assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks", NULL, &f->resp, &err), 0);
    assert_int_equal(f->resp.status, 200);
    assert_null(test_httpd_header(nth(f, "GET", NETWORKS_PATH, 0), "X-Auth-Token"));
    assert_int_equal(count(f, "POST", "/"), 0);
    assert_string_equal(kuryr_auth_project_id(f->auth), "");
    kuryr_auth_free(f->auth);

    kuryr_auth_opts bare = {.type = KURYR_AUTH_NONE};
    f->auth = kuryr_auth_new(f->http, &bare);
    char *url = NULL;
    assert_int_equal(kuryr_auth_get_endpoint(f->auth, &url, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_null(url);
}

static void test_missing_endpoint_in_catalog(void **state)
{
    fixture *f = *state;
    keystone_issues(f, TOKEN_A, 0, NULL);
    kuryr_auth_opts o = password_opts(f);
    o.region_name = "Nowhere";
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks", NULL, &f->resp, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "Nowhere"));
}

static void test_given_token_is_validated_and_used(void **state)
{
    fixture *f = *state;
    char *body = token_body(f->network_url, "2099-01-01T00:00:00Z");
    test_httpd_answer(f->srv, "GET", KEYSTONE_PATH, 200, body);
    free(body);
    test_httpd_answer(f->srv, "GET", NETWORKS_PATH, 200, "{\"networks\": []}");
    kuryr_auth_opts o = {.type = KURYR_AUTH_TOKEN, .auth_url = f->auth_url, .token = TOKEN_A,
                         .interface = "publicURL"};
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks", NULL, &f->resp, &err), 0);
    assert_int_equal(f->resp.status, 200);
    const test_httpd_request *check = nth(f, "GET", KEYSTONE_PATH, 0);
    assert_string_equal(test_httpd_header(check, "X-Auth-Token"), TOKEN_A);
    assert_string_equal(test_httpd_header(check, "X-Subject-Token"), TOKEN_A);
    assert_string_equal(test_httpd_header(nth(f, "GET", NETWORKS_PATH, 0), "X-Auth-Token"), TOKEN_A);
    assert_int_equal(count(f, "POST", "/"), 0);
}

/* ---- secrets stay out of the logs ---- */

static void capture(kuryr_log_level level, const char *line, void *userdata)
{
    (void)level;
    fixture *f = userdata;
    size_t n = strlen(line);
    f->log = realloc(f->log, f->log_len + n + 2);
    memcpy(f->log + f->log_len, line, n);
    f->log_len += n;
    f->log[f->log_len++] = '\n';
    f->log[f->log_len] = '\0';
}

static void test_secrets_never_logged(void **state)
{
    fixture *f = *state;
    kuryr_log_level saved = kuryr_log_get_level();
    kuryr_log_set_level(KURYR_LOG_DEBUG);
    kuryr_log_set_sink(capture, f);
    kuryr_log_new_request_id();
    keystone_issues(f, TOKEN_A, 1, NULL);
    keystone_issues(f, TOKEN_B, 1, NULL);
    test_httpd_answer(f->srv, "POST", KEYSTONE_PATH, 401,
                      "{\"error\": {\"message\": \"Invalid password\", \"code\": 401}}");
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = NETWORKS_PATH, .status = 401, .times = 1});
    test_httpd_answer(f->srv, "GET", NETWORKS_PATH, 401, "{}");
    kuryr_auth_opts o = password_opts(f);
    f->auth = kuryr_auth_new(f->http, &o);
    kuryr_error err = {0};
    /* token A rejected, re-auth gives B, B rejected, then the next re-auth is refused by Keystone */
    assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks", NULL, &f->resp, &err), -1);
    assert_null(strstr(err.message, TOKEN_A));
    assert_null(strstr(err.message, TOKEN_B));
    kuryr_http_response_clear(&f->resp);
    assert_int_equal(kuryr_auth_request(f->auth, "GET", "/v2.0/networks", NULL, &f->resp, &err), -1);
    assert_null(strstr(err.message, PASSWORD));
    kuryr_log_set_sink(NULL, NULL);
    kuryr_log_set_level(saved);

    assert_int_equal(count(f, "POST", KEYSTONE_PATH), 3);
    assert_non_null(f->log);
    assert_non_null(strstr(f->log, "POST"));  /* the requests were logged... */
    assert_non_null(strstr(f->log, KEYSTONE_PATH));
    assert_non_null(strstr(f->log, NETWORKS_PATH));
    assert_non_null(strstr(f->log, "-> 401"));
    assert_non_null(strstr(f->log, kuryr_log_request_id()));
    assert_null(strstr(f->log, PASSWORD));    /* ...and no secret with them */
    assert_null(strstr(f->log, TOKEN_A));
    assert_null(strstr(f->log, TOKEN_B));
}

/* ---- kuryr.conf mapping ---- */

static kuryr_config *config_with(const char *const *pairs)
{
    kuryr_config *cfg = kuryr_config_new();
    char msg[256];
    for (; *pairs; pairs += 2)
        assert_int_equal(kuryr_config_set(cfg, "neutron", pairs[0], pairs[1], msg, sizeof(msg)), 0);
    return cfg;
}

static void test_opts_from_config(void **state)
{
    (void)state;
    kuryr_auth_opts o;
    kuryr_error err = {0};
    kuryr_config *cfg = config_with((const char *const[]){
        "auth_url", "http://127.0.0.1:5000/v3", "username", "kuryr", "password", PASSWORD, "project_name",
        "service", "user_domain_name", "Default", "project_domain_id", "default", "region_name", "RegionOne",
        "endpoint_type", "internal", NULL});
    assert_int_equal(kuryr_auth_opts_from_config(cfg, &o, &err), 0);
    assert_int_equal(o.type, KURYR_AUTH_PASSWORD);  /* the default auth_type */
    assert_string_equal(o.auth_url, "http://127.0.0.1:5000/v3");
    assert_string_equal(o.username, "kuryr");
    assert_string_equal(o.password, PASSWORD);
    assert_string_equal(o.project_name, "service");
    assert_string_equal(o.user_domain_name, "Default");
    assert_string_equal(o.project_domain_id, "default");
    assert_string_equal(o.region_name, "RegionOne");
    assert_string_equal(o.interface, "internal");
    assert_string_equal(o.service_type, "network");
    assert_null(o.user_id);
    assert_null(o.endpoint_override);
    kuryr_config_free(cfg);

    const struct {
        const char *type;
        kuryr_auth_type want;
    } types[] = {{"v3password", KURYR_AUTH_PASSWORD}, {"v3applicationcredential", KURYR_AUTH_APPCRED},
                 {"applicationcredential", KURYR_AUTH_APPCRED}, {"token", KURYR_AUTH_TOKEN},
                 {"v3token", KURYR_AUTH_TOKEN}, {"none", KURYR_AUTH_NONE}, {"noauth", KURYR_AUTH_NONE}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        cfg = config_with((const char *const[]){
            "auth_type", types[i].type, "auth_url", "http://127.0.0.1:5000", "application_credential_id", "ac",
            "application_credential_secret", "s", "token", "t", "endpoint_override", "http://127.0.0.1:9696",
            "username", "kuryr", "password", PASSWORD, NULL});
        assert_int_equal(kuryr_auth_opts_from_config(cfg, &o, &err), 0);
        assert_int_equal(o.type, types[i].want);
        kuryr_config_free(cfg);
    }

    /* Missing fields name what is missing. */
    cfg = config_with((const char *const[]){"auth_type", "none", NULL});
    assert_int_equal(kuryr_auth_opts_from_config(cfg, &o, &err), -1);
    assert_non_null(strstr(err.message, "endpoint_override"));
    kuryr_config_free(cfg);
    cfg = config_with((const char *const[]){"auth_url", "http://127.0.0.1:5000", "username", "kuryr", NULL});
    assert_int_equal(kuryr_auth_opts_from_config(cfg, &o, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_non_null(strstr(err.message, "password"));
    kuryr_config_free(cfg);

    kuryr_http_opts h;
    cfg = config_with((const char *const[]){"cafile", "/etc/ssl/ca.pem", "insecure", "true", "timeout", "5", NULL});
    kuryr_http_opts_from_config(cfg, &h);
    assert_string_equal(h.cafile, "/etc/ssl/ca.pem");
    assert_null(h.certfile);
    assert_true(h.insecure);
    assert_int_equal(h.timeout_ms, 5000);
    kuryr_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_token),
        cmocka_unit_test(test_parse_unscoped_token),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_needs_renewal),
        cmocka_unit_test_setup_teardown(test_password_request_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_by_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_appcred_request_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_cached_across_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_shared_by_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_project_id_kept_across_reauth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_near_expiry_is_renewed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reauth_once_on_401, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_401_is_unauthorized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keystone_rejects_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keystone_silent_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none_with_endpoint_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_endpoint_in_catalog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_given_token_is_validated_and_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_never_logged, setup, teardown),
        cmocka_unit_test(test_opts_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
