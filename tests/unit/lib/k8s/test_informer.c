/* lib/k8s/list_watch.c and informer.c against the scripted server: paged LIST, watch events with replays,
 * bookmarks moving the resume point, 410 (as an ERROR event and as a status) answered by a relist whose
 * differences become events, 429 Retry-After, a stalled watch cut, and selectors in the URLs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s_internal.h"
#include "kuryr/k8s_informer.h"
#include "k8s_fixture.h"

#define CM "/api/v1/namespaces/ns/configmaps"

typedef struct {
    pthread_mutex_t lock;
    char log[8192];
    int synced;
} recorder;

typedef struct {
    test_httpd *srv;
    kuryr_k8s_client *c;
    kuryr_k8s_informer *inf;
    recorder rec;
} fixture;

static void note(recorder *r, const char *fmt, const char *a, const char *b, const char *c)
{
    pthread_mutex_lock(&r->lock);
    size_t n = strlen(r->log);
    snprintf(r->log + n, sizeof(r->log) - n, fmt, a, b, c);
    pthread_mutex_unlock(&r->lock);
}

static void on_add(const json_t *o, void *ud)
{
    note(ud, "add %s@%s;%s", kuryr_k8s_obj_name(o), kuryr_k8s_obj_resource_version(o), "");
}

static void on_update(const json_t *old_obj, const json_t *new_obj, void *ud)
{
    note(ud, "update %s %s->%s;", kuryr_k8s_obj_name(new_obj), kuryr_k8s_obj_resource_version(old_obj),
         kuryr_k8s_obj_resource_version(new_obj));
}

static void on_delete(const json_t *o, void *ud)
{
    note(ud, "delete %s@%s;%s", kuryr_k8s_obj_name(o), kuryr_k8s_obj_resource_version(o), "");
}

static void on_synced(void *ud)
{
    recorder *r = ud;
    note(r, "synced;%s%s%s", "", "", "");
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    pthread_mutex_init(&f->rec.lock, NULL);
    *state = f;
    return k8s_fixture_start(&f->srv, &f->c);
}

static int teardown(void **state)
{
    fixture *f = *state;
    kuryr_k8s_informer_free(f->inf);
    k8s_fixture_stop(f->srv, f->c);
    pthread_mutex_destroy(&f->rec.lock);
    free(f);
    return 0;
}

static void start(fixture *f, const kuryr_k8s_watch_opts *extra)
{
    kuryr_k8s_watch_opts o = {.resource = &kuryr_k8s_configmaps, .namespace = "ns", .page_size = 2,
                              .backoff_initial_ms = 1, .backoff_max_ms = 5};
    if (extra) {
        o.label_selector = extra->label_selector;
        o.field_selector = extra->field_selector;
        o.stall_s = extra->stall_s;
    }
    kuryr_k8s_handlers h = {on_add, on_update, on_delete, on_synced, &f->rec};
    kuryr_error err = {0};
    f->inf = kuryr_k8s_informer_new(f->c, &o, &h, &err);
    assert_non_null(f->inf);
    assert_int_equal(kuryr_k8s_informer_start(f->inf, &err), 0);
}

/* Waits (without a time assertion: the limit only ends a hung test) until the log holds want. */
static void wait_log(fixture *f, const char *want)
{
    for (int i = 0; i < 3000; i++) {
        pthread_mutex_lock(&f->rec.lock);
        bool done = strcmp(f->rec.log, want) == 0;
        pthread_mutex_unlock(&f->rec.lock);
        if (done)
            return;
        usleep(10000);
    }
    fail_msg("handlers saw '%s', want '%s'", f->rec.log, want);
}

static void wait_requests(fixture *f, const char *path_prefix, size_t n)
{
    for (int i = 0; i < 3000; i++) {
        size_t seen = 0;
        for (size_t j = 0; j < test_httpd_request_count(f->srv); j++) {
            if (strncmp(test_httpd_request_at(f->srv, j)->path, path_prefix, strlen(path_prefix)) == 0)
                seen++;
        }
        if (seen >= n)
            return;
        usleep(10000);
    }
    fail_msg("fewer than %zu requests to %s", n, path_prefix);
}

#define OBJ(name, rv) "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"ns\",\"resourceVersion\":\"" rv "\"}}"
#define EV(type, name, rv) "{\"type\":\"" type "\",\"object\":" OBJ(name, rv) "}\n"
/* items: OBJ(...) "," OBJ(...) */
#define LIST(rv, cont, items) "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" rv \
    "\",\"continue\":\"" cont "\"},\"items\":[" items "]}"
/* The last watch: hangs until the informer is stopped. */
#define PARK(prefix) test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = prefix, .status = 200, \
                                                               .delay_ms = 60000})

static void test_list_pages_then_watch_with_bookmark(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", CM "?limit=2&continue=page2", 200, LIST("10", "", OBJ("c", "3")));
    test_httpd_answer(f->srv, "GET", CM "?limit=2", 200, LIST("10", "page2", OBJ("a", "1") "," OBJ("b", "2")));
    test_httpd_answer(f->srv, "GET", CM "?watch=1&allowWatchBookmarks=true&resourceVersion=10&", 200,
                      EV("ADDED", "c", "3")       /* replayed: already listed */
                      EV("MODIFIED", "a", "11")
                      EV("DELETED", "b", "12")
                      EV("ADDED", "d", "13")
                      "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"20\"}}}\n");
    PARK(CM "?watch=1&allowWatchBookmarks=true&resourceVersion=20&");
    start(f, NULL);
    wait_log(f, "add a@1;add b@2;add c@3;synced;update a 1->11;delete b@2;add d@13;");
    /* The next watch resumed from the bookmark, not from the last object event. */
    wait_requests(f, CM "?watch=1&allowWatchBookmarks=true&resourceVersion=20&timeoutSeconds=", 1);
    kuryr_k8s_informer_stats st;
    kuryr_k8s_informer_get_stats(f->inf, &st);
    assert_int_equal(st.objects, 3);
    assert_int_equal(st.lists, 1);
    assert_int_equal(st.events, 6);
    assert_true(st.synced);
    json_t *a = kuryr_k8s_informer_get(f->inf, "ns/a");
    assert_string_equal(kuryr_k8s_obj_resource_version(a), "11");
    /* Listed items get their kind back. */
    json_t *c = kuryr_k8s_informer_get(f->inf, "ns/c");
    assert_string_equal(json_string_value(json_object_get(c, "kind")), "ConfigMap");
    json_decref(a);
    json_decref(c);
    kuryr_k8s_informer_stop(f->inf);
    kuryr_k8s_informer_stop(f->inf); /* twice is fine */
}

/* A 410 as an ERROR event, and one as the watch's status: both relist, and the relist's differences come as
 * events exactly once. */
static void test_gone_relists_and_diffs(void **state)
{
    fixture *f = *state;
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = CM "?limit=2", .status = 200, .times = 1,
                                                .body = LIST("10", "", OBJ("keep", "1") "," OBJ("change", "1"))});
    test_httpd_answer(f->srv, "GET", CM "?watch=1&allowWatchBookmarks=true&resourceVersion=10&", 200,
                      EV("ADDED", "vanish", "11")
                      "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\","
                      "\"message\":\"too old resource version\"}}\n");
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = CM "?limit=2", .status = 200, .times = 1,
                                                .body = LIST("30", "", OBJ("keep", "1") "," OBJ("change", "25") ","
                                                             OBJ("new", "26"))});
    test_httpd_answer(f->srv, "GET", CM "?watch=1&allowWatchBookmarks=true&resourceVersion=30&", 410,
                      "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Gone\"}");
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = CM "?limit=2", .status = 200, .times = 1,
                                                .body = LIST("40", "", OBJ("keep", "1") "," OBJ("new", "26"))});
    PARK(CM "?watch=1&allowWatchBookmarks=true&resourceVersion=40&");
    start(f, NULL);
    wait_log(f, "add keep@1;add change@1;synced;add vanish@11;"
                "update change 1->25;add new@26;delete vanish@11;"
                "delete change@25;");
    wait_requests(f, CM "?watch=1&allowWatchBookmarks=true&resourceVersion=40&", 1);
    kuryr_k8s_informer_stats st;
    kuryr_k8s_informer_get_stats(f->inf, &st);
    assert_int_equal(st.lists, 3);
    assert_int_equal(st.relists_gone, 2);
    assert_int_equal(st.objects, 2);
}

/* Throttled, a failing watch (500), and a malformed stream: each retried from the same version, no relist. */
static void test_throttle_and_failures_resume(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", CM "?limit=2", 200, LIST("10", "", OBJ("a", "1")));
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = CM "?watch=1", .status = 429, .times = 1,
                                                .headers = "Retry-After: 0", .body = "{\"code\":429}"});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = CM "?watch=1", .status = 500, .times = 1,
                                                .body = "{\"code\":500}"});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = CM "?watch=1", .status = 200, .times = 1,
                                                .body = "garbage\n"});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = CM "?watch=1", .status = 200, .times = 1,
                                                .body = EV("MODIFIED", "a", "12")});
    PARK(CM "?watch=1&allowWatchBookmarks=true&resourceVersion=12&");
    start(f, NULL);
    wait_log(f, "add a@1;synced;update a 1->12;");
    wait_requests(f, CM "?watch=1&allowWatchBookmarks=true&resourceVersion=12&", 1);
    kuryr_k8s_informer_stats st;
    kuryr_k8s_informer_get_stats(f->inf, &st);
    assert_int_equal(st.lists, 1);
    assert_int_equal(st.throttled, 1);
    assert_int_equal(st.restarts, 2);
    /* Every failed watch resumed from 10, the list's version. */
    size_t from10 = 0;
    for (size_t j = 0; j < test_httpd_request_count(f->srv); j++)
        from10 += strstr(test_httpd_request_at(f->srv, j)->path, "resourceVersion=10&") != NULL;
    assert_int_equal(from10, 4);
}

static void test_stalled_watch_is_cut(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", CM "?labelSelector=app=x&fieldSelector=metadata.name=a&limit=2", 200,
                      LIST("10", "", OBJ("a", "1")));
    /* (The scripted server records queries decoded.) Silent for far longer than stall_s: the informer must give
     * up on it and watch again. */
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET",
                                                .path = CM "?labelSelector=app=x&fieldSelector=metadata.name=a"
                                                           "&watch=1&allowWatchBookmarks=true&resourceVersion=10&",
                                                .status = 200, .times = 1, .delay_ms = 60000});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET",
                                                .path = CM "?labelSelector=app=x&fieldSelector=metadata.name=a"
                                                           "&watch=1&allowWatchBookmarks=true&resourceVersion=10&",
                                                .status = 200, .times = 1, .body = EV("MODIFIED", "a", "11")});
    PARK(CM "?labelSelector=app=x&fieldSelector=metadata.name=a&watch=1&allowWatchBookmarks=true"
            "&resourceVersion=11&");
    kuryr_k8s_watch_opts o = {.label_selector = "app=x", .field_selector = "metadata.name=a", .stall_s = 1};
    start(f, &o);
    wait_log(f, "add a@1;synced;update a 1->11;");
    kuryr_k8s_informer_stats st;
    kuryr_k8s_informer_get_stats(f->inf, &st);
    assert_int_equal(st.stalls, 1);
}

static void test_list_fails_until_it_works(void **state)
{
    fixture *f = *state;
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = CM "?limit=2", .status = 403, .times = 2,
                                                .body = "{\"code\":403,\"reason\":\"Forbidden\"}"});
    test_httpd_answer(f->srv, "GET", CM "?limit=2", 200, LIST("10", "", OBJ("a", "1")));
    PARK(CM "?watch=1");
    start(f, NULL);
    assert_true(kuryr_k8s_informer_wait_synced(f->inf, 60));
    wait_log(f, "add a@1;synced;");
    json_t *all = kuryr_k8s_informer_list(f->inf);
    assert_int_equal(json_array_size(all), 1);
    json_decref(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_pages_then_watch_with_bookmark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_relists_and_diffs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_and_failures_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stalled_watch_is_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_fails_until_it_works, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
