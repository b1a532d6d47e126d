/* lib/k8s/watch_stream.c: watch events split at every possible byte, several per chunk, blank lines,
 * malformed and over-long events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_internal.h"

typedef struct {
    char log[4096];  /* "TYPE name rv;" per event */
    int stop_after;  /* return 1 from the callback after this many events; 0 = never */
    int seen;
} recorder;

static int record(kuryr_k8s_event_type type, json_t *obj, void *ud)
{
    recorder *r = ud;
    const char *name = kuryr_k8s_obj_name(obj), *rv = kuryr_k8s_obj_resource_version(obj);
    size_t n = strlen(r->log);
    snprintf(r->log + n, sizeof(r->log) - n, "%s %s %s;", kuryr_k8s_event_type_name(type), name ? name : "-",
             rv ? rv : "-");
    r->seen++;
    return r->stop_after && r->seen >= r->stop_after ? 1 : 0;
}

static const char stream[] =
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}}\n"
    "\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"2\",\"x\":\"caf\xc3\xa9\"}}}\r\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"3\"}}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"4\"}}}\n";
static const char expected[] = "ADDED a 1;MODIFIED a 2;BOOKMARK - 3;DELETED a 4;";

static void test_whole_stream_in_one_chunk(void **state)
{
    (void)state;
    recorder r = {0};
    k8s_watch_parser *p = k8s_watch_parser_new(0, record, &r);
    kuryr_error err = {0};
    assert_int_equal(k8s_watch_parser_feed(p, stream, strlen(stream), &err), 0);
    assert_string_equal(r.log, expected);
    assert_int_equal(k8s_watch_parser_pending(p), 0);
    assert_int_equal(k8s_watch_parser_events(p), 4);
    k8s_watch_parser_free(p);
}

/* Every way of cutting the stream in two, and byte by byte: the same events, whatever the chunks. */
static void test_every_split(void **state)
{
    (void)state;
    size_t len = strlen(stream);
    for (size_t cut = 0; cut <= len; cut++) {
        recorder r = {0};
        k8s_watch_parser *p = k8s_watch_parser_new(0, record, &r);
        kuryr_error err = {0};
        assert_int_equal(k8s_watch_parser_feed(p, stream, cut, &err), 0);
        assert_int_equal(k8s_watch_parser_feed(p, stream + cut, len - cut, &err), 0);
        assert_string_equal(r.log, expected);
        k8s_watch_parser_free(p);
    }
    recorder r = {0};
    k8s_watch_parser *p = k8s_watch_parser_new(0, record, &r);
    kuryr_error err = {0};
    for (size_t i = 0; i < len; i++)
        assert_int_equal(k8s_watch_parser_feed(p, stream + i, 1, &err), 0);
    assert_string_equal(r.log, expected);
    k8s_watch_parser_free(p);
}

static void test_unfinished_event_stays_pending(void **state)
{
    (void)state;
    recorder r = {0};
    k8s_watch_parser *p = k8s_watch_parser_new(0, record, &r);
    kuryr_error err = {0};
    const char *half = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\"";
    assert_int_equal(k8s_watch_parser_feed(p, half, strlen(half), &err), 0);
    assert_string_equal(r.log, "");
    assert_int_equal(k8s_watch_parser_pending(p), strlen(half));
    k8s_watch_parser_free(p);
}

static void expect_error(const char *line, size_t max_line, const char *words)
{
    recorder r = {0};
    k8s_watch_parser *p = k8s_watch_parser_new(max_line, record, &r);
    kuryr_error err = {0};
    assert_int_equal(k8s_watch_parser_feed(p, line, strlen(line), &err), -1);
    if (!strstr(err.message, words))
        fail_msg("'%s' does not say '%s'", err.message, words);
    assert_int_equal(r.seen, 0);
    /* A broken parser refuses more input rather than resynchronising in the middle of garbage. */
    assert_int_equal(k8s_watch_parser_feed(p, "\n", 1, &err), -1);
    k8s_watch_parser_free(p);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_error("not json\n", 0, "not JSON");
    expect_error("{\"type\":\"ADDED\"}\n", 0, "no object");
    expect_error("{\"type\":\"ADDED\",\"object\":[1]}\n", 0, "no object");
    expect_error("{\"type\":\"UPSERTED\",\"object\":{}}\n", 0, "no known type");
    expect_error("{\"type\":7,\"object\":{}}\n", 0, "no known type");
    expect_error("[\"ADDED\"]\n", 0, "no known type");
    expect_error("{\"type\":\"ADDED\",\"type\":\"DELETED\",\"object\":{}}\n", 0, "not JSON");
    expect_error("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"toolong\"}}}", 16, "longer than the limit");
}

static void test_callback_stops_the_parse(void **state)
{
    (void)state;
    recorder r = {.stop_after = 2};
    k8s_watch_parser *p = k8s_watch_parser_new(0, record, &r);
    kuryr_error err = {0};
    assert_int_equal(k8s_watch_parser_feed(p, stream, strlen(stream), &err), 1);
    assert_string_equal(r.log, "ADDED a 1;MODIFIED a 2;");
    k8s_watch_parser_free(p);
}

static void test_error_event_is_delivered(void **state)
{
    (void)state;
    recorder r = {0};
    k8s_watch_parser *p = k8s_watch_parser_new(0, record, &r);
    kuryr_error err = {0};
    const char *gone = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\","
                       "\"message\":\"too old resource version: 1 (5)\"}}\n";
    assert_int_equal(k8s_watch_parser_feed(p, gone, strlen(gone), &err), 0);
    assert_string_equal(r.log, "ERROR - -;");
    k8s_watch_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_stream_in_one_chunk),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_unfinished_event_stays_pending),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_callback_stops_the_parse),
        cmocka_unit_test(test_error_event_is_delivered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
