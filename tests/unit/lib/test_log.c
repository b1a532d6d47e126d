/* Logging: levels, the capture sink, per-thread context and request ids, and that secrets never reach a
 * line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kuryr/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINES 64

typedef struct {
    char *lines[MAX_LINES];
    kuryr_log_level levels[MAX_LINES];
    size_t count;
    size_t dropped;
} capture;

static capture cap;

static void capture_sink(kuryr_log_level level, const char *line, void *userdata)
{
    capture *c = userdata;
    if (c->count == MAX_LINES) {
        c->dropped++;
        return;
    }
    c->levels[c->count] = level;
    c->lines[c->count++] = strdup(line);
}

static void capture_reset(void)
{
    for (size_t i = 0; i < cap.count; i++)
        free(cap.lines[i]);
    memset(&cap, 0, sizeof(cap));
}

static int setup(void **state)
{
    (void)state;
    kuryr_log_init("kuryr-test", KURYR_LOG_INFO, false);
    kuryr_log_ctx_clear();
    kuryr_log_set_sink(capture_sink, &cap);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kuryr_log_set_sink(NULL, NULL);
    kuryr_log_ctx_clear();
    capture_reset();
    return 0;
}

static const char *last_line(void)
{
    assert_true(cap.count > 0);
    return cap.lines[cap.count - 1];
}

static void test_level_parse(void **state)
{
    (void)state;
    assert_int_equal(kuryr_log_level_parse("debug"), KURYR_LOG_DEBUG);
    assert_int_equal(kuryr_log_level_parse("INFO"), KURYR_LOG_INFO);
    assert_int_equal(kuryr_log_level_parse("warning"), KURYR_LOG_WARNING);
    assert_int_equal(kuryr_log_level_parse("warn"), KURYR_LOG_WARNING);
    assert_int_equal(kuryr_log_level_parse("Error"), KURYR_LOG_ERROR);
    assert_int_equal(kuryr_log_level_parse("critical"), -1);
    assert_int_equal(kuryr_log_level_parse(""), -1);
    assert_int_equal(kuryr_log_level_parse(NULL), -1);
}

static void test_level_filtering(void **state)
{
    (void)state;
    assert_int_equal(kuryr_log_get_level(), KURYR_LOG_INFO);
    assert_false(kuryr_log_enabled(KURYR_LOG_DEBUG));
    assert_true(kuryr_log_enabled(KURYR_LOG_ERROR));
    KLOG_DEBUG("hidden %d", 1);
    assert_int_equal(cap.count, 0);
    KLOG_INFO("shown %d", 2);
    KLOG_WARN("warned");
    KLOG_ERROR("failed");
    assert_int_equal(cap.count, 3);
    assert_int_equal(cap.levels[0], KURYR_LOG_INFO);
    assert_int_equal(cap.levels[1], KURYR_LOG_WARNING);
    assert_int_equal(cap.levels[2], KURYR_LOG_ERROR);

    kuryr_log_set_level(KURYR_LOG_DEBUG);
    KLOG_DEBUG("now visible");
    assert_int_equal(cap.count, 4);
    assert_non_null(strstr(last_line(), " DEBUG kuryr-test [-] now visible"));

    kuryr_log_set_level(KURYR_LOG_ERROR);
    KLOG_WARN("dropped");
    assert_int_equal(cap.count, 4);
    kuryr_log_set_level(KURYR_LOG_INFO);
}

static void test_line_shape(void **state)
{
    (void)state;
    KLOG_INFO("created network %s", "n1");
    const char *line = last_line();
    /* "YYYY-MM-DD HH:MM:SS.mmm <pid> INFO kuryr-test [-] created network n1" */
    assert_true(strlen(line) > 24);
    assert_true(line[4] == '-' && line[10] == ' ' && line[19] == '.');
    char expect[128];
    snprintf(expect, sizeof(expect), " %ld INFO kuryr-test [-] created network n1", (long)getpid());
    assert_non_null(strstr(line, expect));
    assert_null(strchr(line, '\n'));
}

static void test_newlines_are_flattened(void **state)
{
    (void)state;
    KLOG_WARN("first\nINFO forged line\r\nend");
    assert_int_equal(cap.count, 1);
    assert_null(strchr(last_line(), '\n'));
    assert_null(strchr(last_line(), '\r'));
    assert_non_null(strstr(last_line(), "first INFO forged line  end"));
}

static void test_context_pairs(void **state)
{
    (void)state;
    kuryr_log_ctx_set("net", "abc123");
    kuryr_log_ctx_set("ep", "def456");
    KLOG_INFO("joined");
    assert_non_null(strstr(last_line(), "joined net=abc123 ep=def456"));

    kuryr_log_ctx_set("net", "other");
    KLOG_INFO("changed");
    assert_non_null(strstr(last_line(), "changed net=other ep=def456"));

    kuryr_log_ctx_set("net", NULL);
    KLOG_INFO("removed");
    assert_non_null(strstr(last_line(), "removed ep=def456"));
    assert_null(strstr(last_line(), "net="));

    kuryr_log_ctx_clear();
    KLOG_INFO("cleared");
    assert_null(strstr(last_line(), "ep="));
}

static void test_request_id(void **state)
{
    (void)state;
    assert_string_equal(kuryr_log_request_id(), "");
    kuryr_log_new_request_id();
    char first[64];
    snprintf(first, sizeof(first), "%s", kuryr_log_request_id());
    assert_int_equal(strlen(first), strlen("req-") + 36);
    assert_memory_equal(first, "req-", 4);
    assert_int_equal(strspn(first + 4, "0123456789abcdef-"), 36);

    KLOG_INFO("with id");
    char bracketed[80];
    snprintf(bracketed, sizeof(bracketed), "[%s] with id", first);
    assert_non_null(strstr(last_line(), bracketed));

    kuryr_log_new_request_id();
    assert_string_not_equal(kuryr_log_request_id(), first);
    kuryr_log_ctx_clear();
    assert_string_equal(kuryr_log_request_id(), "");
}

static void *other_thread(void *arg)
{
    char *seen = arg;
    snprintf(seen, 64, "%s", kuryr_log_request_id());
    kuryr_log_ctx_set("thread", "other");
    kuryr_log_new_request_id();
    return NULL;
}

static void test_context_is_per_thread(void **state)
{
    (void)state;
    kuryr_log_new_request_id();
    kuryr_log_ctx_set("net", "mine");
    char seen[64] = "unset";
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, seen), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_string_equal(seen, "");
    KLOG_INFO("after");
    assert_non_null(strstr(last_line(), "after net=mine"));
    assert_null(strstr(last_line(), "thread=other"));
}

#define THREADS 4
#define LINES_PER_THREAD 10

static void *log_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < LINES_PER_THREAD; i++)
        KLOG_INFO("line %d", i);
    return NULL;
}

static void test_concurrent_logging(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, log_many, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(cap.count + cap.dropped, THREADS * LINES_PER_THREAD);
}

static void test_log_file(void **state)
{
    (void)state;
    char path[] = "/tmp/kuryr-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    kuryr_log_set_sink(NULL, NULL);
    int rc = kuryr_log_set_file(path);
    KLOG_WARN("to the file password=hunter2");
    kuryr_log_set_file(NULL);
    kuryr_log_set_sink(capture_sink, &cap);
    char buf[512] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    unlink(path);
    assert_int_equal(rc, 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "WARNING kuryr-test [-] to the file password=***\n"));
    assert_null(strstr(buf, "hunter2"));
    assert_int_equal(kuryr_log_set_file("/nonexistent-dir/kuryr.log"), -1);
}

static void test_syslog_facility(void **state)
{
    (void)state;
    assert_int_equal(kuryr_log_set_syslog_facility("LOG_USER"), 0);
    assert_int_equal(kuryr_log_set_syslog_facility("local3"), 0);
    assert_int_equal(kuryr_log_set_syslog_facility("LOG_DAEMON"), 0);
    assert_int_equal(kuryr_log_set_syslog_facility("LOG_NOPE"), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(kuryr_log_set_syslog_facility(NULL), -1);
    assert_int_equal(kuryr_log_set_syslog_facility("LOG_USER"), 0);
}

/* Each case is a line as code might log it by mistake, and the secret that must not survive. */
static const struct {
    const char *text;
    const char *secret;
    const char *kept;
} leaks[] = {
    {"auth body {\"auth\": {\"identity\": {\"password\": {\"user\": {\"name\": \"admin\", \"password\": "
     "\"s3cr3t-pw\"}}}}}",
     "s3cr3t-pw", "\"name\": \"admin\""},
    {"{\"password\":\"with \\\"escaped\\\" quote\"}", "escaped", "{\"password\":\"***\"}"},
    {"request headers: X-Auth-Token: abcdef0123456789 Accept: application/json", "abcdef0123456789",
     "Accept: application/json"},
    {"x-auth-token:tok-lowercase-header", "tok-lowercase-header", "x-auth-token:***"},
    {"response X-Subject-Token: subj-token-value\r\nContent-Type: x", "subj-token-value", "Content-Type"},
    {"{\"X-Auth-Token\": \"quoted-header-token\"}", "quoted-header-token", "{\"X-Auth-Token\": \"***\"}"},
    {"{\"token\": \"plain-json-token\", \"expires\": 1}", "plain-json-token", "\"expires\": 1"},
    {"{\"application_credential\": {\"id\": \"ac1\", \"secret\": \"ac-secret\"}}", "ac-secret", "\"id\": \"ac1\""},
    {"{'password': 'python-repr'}", "python-repr", "{'password': '***'}"},
    {"config password = hunter2 region=RegionOne", "hunter2", "region=RegionOne"},
    {"GET /v2.0/ports?token=url-token&name=x", "url-token", "&name=x"},
    {"re-auth with gAAAAABnZ0Xk3cT5ZQ7vYbJ1i6sLhQ9c2xA3HvOfPq_x-2R5n8w7bCdEfGhIjKlMnOpQrStUvWxYz0123456789abc now",
     "gAAAAABnZ0Xk3cT5", " now"},
    {"url=http://n/?x=gAAAAABnZ0Xk3cT5ZQ7vYbJ1i6sLhQ9c2xA3HvOfPq_x-2R5n8w7bCdEfGhIjKlMnOpQ", "ZQ7vYbJ1i6sL",
     "x=***"},
};

static void test_redact_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++) {
        char *r = kuryr_redact(leaks[i].text);
        assert_non_null(r);
        if (strstr(r, leaks[i].secret) || !strstr(r, leaks[i].kept))
            fail_msg("case %zu: \"%s\" redacted to \"%s\"", i, leaks[i].text, r);
        free(r);
    }
}

static void test_redact_leaves_prose(void **state)
{
    (void)state;
    const char *prose[] = {
        "",
        "token expired: re-authenticating",
        "token: expired, retrying",
        "created port 5f0e3a7c for endpoint e1 with mac fa:16:3e:00:00:01",
        "{\"token\": {\"expires_at\": \"2026-01-01T00:00:00Z\"}}",
        "gAAAAA is too short to be a token",
        "password=",
    };
    for (size_t i = 0; i < sizeof(prose) / sizeof(prose[0]); i++) {
        char *r = kuryr_redact(prose[i]);
        assert_non_null(r);
        assert_string_equal(r, prose[i]);
        free(r);
    }
    assert_null(kuryr_redact(NULL));
}

static void test_secrets_never_reach_a_line(void **state)
{
    (void)state;
    kuryr_log_set_level(KURYR_LOG_DEBUG);
    for (size_t i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++)
        KLOG_DEBUG("%s", leaks[i].text);
    kuryr_log_ctx_set("password", "ctx-password");
    KLOG_ERROR("context carries a secret");
    kuryr_log_set_level(KURYR_LOG_INFO);
    assert_int_equal(cap.count, sizeof(leaks) / sizeof(leaks[0]) + 1);
    for (size_t i = 0; i < cap.count; i++) {
        assert_null(strstr(cap.lines[i], "ctx-password"));
        if (i < sizeof(leaks) / sizeof(leaks[0]) && strstr(cap.lines[i], leaks[i].secret))
            fail_msg("secret leaked: %s", cap.lines[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_level_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filtering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newlines_are_flattened, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_pairs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_is_per_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_logging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syslog_facility, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redact_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redact_leaves_prose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_never_reach_a_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
