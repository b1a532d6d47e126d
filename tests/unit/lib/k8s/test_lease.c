/* lib/k8s/lease.c: the decision step by step (expiry judged from the local observation time, never from the
 * Lease's timestamps), then the election thread against the scripted server: create when missing, lead,
 * renew with the resourceVersion, release on stop; wait behind another holder; bad timings refused. */
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
#include "kuryr/k8s_lease.h"
#include "k8s_fixture.h"

#define LEASE "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"

static void test_decide(void **state)
{
    (void)state;
    k8s_lease_record held = {.holder = "other", .duration_s = 15, .resource_version = "5"};
    k8s_lease_record mine = {.holder = "me", .duration_s = 15, .resource_version = "6"};
    k8s_lease_record released = {.holder = "", .duration_s = 1, .resource_version = "7"};
    assert_int_equal(k8s_lease_decide(NULL, "me", 0, 100), K8S_LEASE_ACQUIRE);     /* no Lease yet */
    assert_int_equal(k8s_lease_decide(&released, "me", 100, 100), K8S_LEASE_ACQUIRE); /* released */
    assert_int_equal(k8s_lease_decide(&mine, "me", 100, 200), K8S_LEASE_RENEW);
    /* Another holder: valid until 15 s after *we* first saw this version, whatever its renewTime says. */
    assert_int_equal(k8s_lease_decide(&held, "me", 100, 100), K8S_LEASE_WAIT);
    assert_int_equal(k8s_lease_decide(&held, "me", 100, 114.9), K8S_LEASE_WAIT);
    assert_int_equal(k8s_lease_decide(&held, "me", 100, 115), K8S_LEASE_ACQUIRE);
    held.duration_s = 3;
    assert_int_equal(k8s_lease_decide(&held, "me", 100, 102), K8S_LEASE_WAIT);
    assert_int_equal(k8s_lease_decide(&held, "me", 100, 103.5), K8S_LEASE_ACQUIRE);
}

typedef struct {
    pthread_mutex_t lock;
    int started, stopped;
    char leaders[256];
} recorder;

static void started(void *ud)
{
    recorder *r = ud;
    pthread_mutex_lock(&r->lock);
    r->started++;
    pthread_mutex_unlock(&r->lock);
}

static void stopped(void *ud)
{
    recorder *r = ud;
    pthread_mutex_lock(&r->lock);
    r->stopped++;
    pthread_mutex_unlock(&r->lock);
}

static void new_leader(const char *id, void *ud)
{
    recorder *r = ud;
    pthread_mutex_lock(&r->lock);
    size_t n = strlen(r->leaders);
    snprintf(r->leaders + n, sizeof(r->leaders) - n, "%s;", id ? id : "-");
    pthread_mutex_unlock(&r->lock);
}

typedef struct {
    test_httpd *srv;
    kuryr_k8s_client *c;
    recorder rec;
} fixture;

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
    k8s_fixture_stop(f->srv, f->c);
    pthread_mutex_destroy(&f->rec.lock);
    free(f);
    return 0;
}

static kuryr_k8s_lease_opts opts(fixture *f)
{
    return (kuryr_k8s_lease_opts){.namespace = "kube-system", .name = "kuryr", .identity = "me",
                                  .lease_duration_s = 3, .renew_deadline_s = 2, .retry_period_s = 0.2,
                                  .on_started_leading = started, .on_stopped_leading = stopped,
                                  .on_new_leader = new_leader, .ud = &f->rec};
}

#define HELD(holder, rv, transitions) "{\"metadata\":{\"name\":\"kuryr\",\"namespace\":\"kube-system\"," \
    "\"resourceVersion\":\"" rv "\"},\"spec\":{\"holderIdentity\":\"" holder "\",\"leaseDurationSeconds\":3," \
    "\"acquireTime\":\"2026-01-01T00:00:00.000000Z\",\"renewTime\":\"2026-01-01T00:00:00.000000Z\"," \
    "\"leaseTransitions\":" transitions "}}"

static const test_httpd_request *find(fixture *f, const char *method, size_t nth)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (strcmp(r->method, method) == 0 && nth-- == 0)
            return r;
    }
    return NULL;
}

static void wait_for(fixture *f, const char *method, size_t nth)
{
    for (int i = 0; i < 3000 && !find(f, method, nth); i++)
        usleep(10000);
    assert_non_null(find(f, method, nth));
}

static void test_create_lead_renew_release(void **state)
{
    fixture *f = *state;
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = LEASE "/kuryr", .status = 404, .times = 1,
                                                .body = "{\"code\":404,\"reason\":\"NotFound\"}"});
    test_httpd_answer(f->srv, "POST", LEASE, 201, HELD("me", "1", "0"));
    test_httpd_answer(f->srv, "GET", LEASE "/kuryr", 200, HELD("me", "1", "0"));
    test_httpd_answer(f->srv, "PUT", LEASE "/kuryr", 200, HELD("me", "1", "0"));
    kuryr_k8s_lease_opts o = opts(f);
    kuryr_error err = {0};
    kuryr_k8s_lease *l = kuryr_k8s_lease_start(f->c, &o, &err);
    assert_non_null(l);
    wait_for(f, "PUT", 1); /* created, then renewed twice */
    assert_true(kuryr_k8s_lease_is_leader(l));
    assert_int_equal(kuryr_k8s_lease_acquisitions(l), 1);
    char *holder = kuryr_k8s_lease_holder(l);
    assert_string_equal(holder, "me");
    free(holder);

    /* The create: us, our duration, no transition yet. */
    json_t *created = json_loads(find(f, "POST", 0)->body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(created, "spec"), "holderIdentity")), "me");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(created, "spec"), "leaseDurationSeconds")), 3);
    json_decref(created);
    /* A renewal: guarded by the version read, same holder, transitions unchanged, acquireTime kept. */
    json_t *renew = json_loads(find(f, "PUT", 0)->body, 0, NULL);
    json_t *spec = json_object_get(renew, "spec");
    assert_string_equal(kuryr_k8s_obj_resource_version(renew), "1");
    assert_string_equal(json_string_value(json_object_get(spec, "holderIdentity")), "me");
    assert_int_equal(json_integer_value(json_object_get(spec, "leaseTransitions")), 0);
    assert_string_equal(json_string_value(json_object_get(spec, "acquireTime")), "2026-01-01T00:00:00.000000Z");
    json_decref(renew);

    size_t puts_before = 0;
    while (find(f, "PUT", puts_before))
        puts_before++;
    kuryr_k8s_lease_stop(l);
    /* Released: the last PUT empties the holder. */
    size_t puts = 0;
    while (find(f, "PUT", puts))
        puts++;
    assert_true(puts > puts_before);
    json_t *rel = json_loads(find(f, "PUT", puts - 1)->body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(rel, "spec"), "holderIdentity")), "");
    json_decref(rel);
    assert_int_equal(f->rec.started, 1);
    assert_int_equal(f->rec.stopped, 1);
    assert_string_equal(f->rec.leaders, "me;");
}

static void test_waits_behind_another_holder(void **state)
{
    fixture *f = *state;
    /* Every read shows a new version (the other holder renews), so it never expires. */
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = LEASE "/kuryr", .status = 200, .times = 1,
                                                .body = HELD("other", "10", "4")});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = LEASE "/kuryr", .status = 200, .times = 1,
                                                .body = HELD("other", "11", "4")});
    test_httpd_answer(f->srv, "GET", LEASE "/kuryr", 200, HELD("other", "12", "4"));
    kuryr_k8s_lease_opts o = opts(f);
    kuryr_error err = {0};
    kuryr_k8s_lease *l = kuryr_k8s_lease_start(f->c, &o, &err);
    wait_for(f, "GET", 4);
    assert_false(kuryr_k8s_lease_is_leader(l));
    assert_null(find(f, "PUT", 0));
    assert_null(find(f, "POST", 0));
    kuryr_k8s_lease_stop(l); /* not leading: nothing to release */
    assert_null(find(f, "PUT", 0));
    assert_int_equal(f->rec.started, 0);
    assert_string_equal(f->rec.leaders, "other;");
}

static void test_takes_over_expired_and_counts_transition(void **state)
{
    fixture *f = *state;
    /* The same version on every read: the holder stopped renewing. After 3 s of our own observation it is ours. */
    test_httpd_answer(f->srv, "GET", LEASE "/kuryr", 200, HELD("dead", "20", "4"));
    test_httpd_answer(f->srv, "PUT", LEASE "/kuryr", 200, HELD("me", "21", "5"));
    kuryr_k8s_lease_opts o = opts(f);
    kuryr_error err = {0};
    kuryr_k8s_lease *l = kuryr_k8s_lease_start(f->c, &o, &err);
    wait_for(f, "PUT", 0);
    json_t *take = json_loads(find(f, "PUT", 0)->body, 0, NULL);
    json_t *spec = json_object_get(take, "spec");
    assert_string_equal(kuryr_k8s_obj_resource_version(take), "20");
    assert_string_equal(json_string_value(json_object_get(spec, "holderIdentity")), "me");
    assert_int_equal(json_integer_value(json_object_get(spec, "leaseTransitions")), 5);
    json_decref(take);
    /* Three or more reads of version 20 came before the takeover: it waited the duration out. */
    const test_httpd_request *put = find(f, "PUT", 0);
    size_t gets_before = 0;
    for (size_t i = 0; test_httpd_request_at(f->srv, i) != put; i++)
        gets_before++;
    assert_true(gets_before >= 3);
    kuryr_k8s_lease_stop(l);
}

static void test_bad_timings_refused(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    kuryr_k8s_lease_opts o = opts(f);
    o.renew_deadline_s = 5; /* not below the duration (3) */
    assert_null(kuryr_k8s_lease_start(f->c, &o, &err));
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    o = opts(f);
    o.identity = "";
    assert_null(kuryr_k8s_lease_start(f->c, &o, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide),
        cmocka_unit_test_setup_teardown(test_create_lead_renew_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waits_behind_another_holder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_takes_over_expired_and_counts_transition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_timings_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
