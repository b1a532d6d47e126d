/* The keyed work queue: serial per key, parallel across keys up to the bound, coalescing, retries with
 * backoff, an add during a backoff running at once, no lost change under concurrent adds, and stop freeing
 * whatever is left; keys scheduled for later (also by their own handler), and a drain that finishes retries
 * before the stop. Waits are on condition variables, never on elapsed time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/workqueue.h"

#define NKEYS 16

/* Shared state of one test's handler. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int in_handler;          /* handlers running now */
    int max_in_handler;
    int per_key_now[NKEYS];  /* handlers running now, per key */
    int per_key_max[NKEYS];
    int runs[NKEYS];
    unsigned attempts[NKEYS][8];
    bool gate_open;          /* handlers block until it opens */
    int fail_first[NKEYS];   /* this many runs of the key ask for a retry */
    int poll_first[NKEYS];   /* then this many runs ask to be polled again */
    int done[NKEYS];
    atomic_int version[NKEYS];   /* bumped by the test before each add */
    int seen_version[NKEYS];     /* version read when the last run started */
} probe;

static probe P;

static void probe_reset(bool gate_open)
{
    memset(&P, 0, sizeof(P));
    pthread_mutex_init(&P.lock, NULL);
    pthread_cond_init(&P.changed, NULL);
    P.gate_open = gate_open;
}

static int key_index(const char *key)
{
    return atoi(key + 1); /* keys are "k0".."k15" */
}

static kuryr_work_result handler(const char *key, unsigned attempt, void *ud)
{
    (void)ud;
    int k = key_index(key);
    pthread_mutex_lock(&P.lock);
    int ver = atomic_load(&P.version[k]);
    P.in_handler++;
    if (P.in_handler > P.max_in_handler)
        P.max_in_handler = P.in_handler;
    P.per_key_now[k]++;
    if (P.per_key_now[k] > P.per_key_max[k])
        P.per_key_max[k] = P.per_key_now[k];
    if (P.runs[k] < 8)
        P.attempts[k][P.runs[k]] = attempt;
    P.runs[k]++;
    pthread_cond_broadcast(&P.changed);
    while (!P.gate_open)
        pthread_cond_wait(&P.changed, &P.lock);
    P.in_handler--;
    P.per_key_now[k]--;
    kuryr_work_result r = KURYR_WORK_DONE;
    if (P.fail_first[k] > 0) {
        P.fail_first[k]--;
        r = KURYR_WORK_RETRY;
    } else if (P.poll_first[k] > 0) {
        P.poll_first[k]--;
        r = KURYR_WORK_POLL;
    } else {
        P.done[k]++;
        P.seen_version[k] = ver;
    }
    pthread_cond_broadcast(&P.changed);
    pthread_mutex_unlock(&P.lock);
    return r;
}

static void add(kuryr_workqueue *q, int k)
{
    char key[16];
    snprintf(key, sizeof(key), "k%d", k);
    atomic_fetch_add(&P.version[k], 1);
    assert_int_equal(kuryr_workqueue_add(q, key), 0);
}

static void wait_in_handler(int n)
{
    pthread_mutex_lock(&P.lock);
    while (P.in_handler < n)
        pthread_cond_wait(&P.changed, &P.lock);
    pthread_mutex_unlock(&P.lock);
}

static void wait_done(int k, int n)
{
    pthread_mutex_lock(&P.lock);
    while (P.done[k] < n)
        pthread_cond_wait(&P.changed, &P.lock);
    pthread_mutex_unlock(&P.lock);
}

static void open_gate(void)
{
    pthread_mutex_lock(&P.lock);
    P.gate_open = true;
    pthread_cond_broadcast(&P.changed);
    pthread_mutex_unlock(&P.lock);
}

/* Waits until nothing runs or waits to run, and n keys wait for a retry. */
static void wait_backing_off(kuryr_workqueue *q, size_t n)
{
    kuryr_workqueue_stats st;
    do {
        kuryr_workqueue_wait_idle(q);
        kuryr_workqueue_get_stats(q, &st);
    } while (st.backing_off != n || st.queued || st.running);
}

static kuryr_workqueue *new_queue(unsigned workers, long backoff_ms)
{
    kuryr_workqueue_opts o = {.workers = workers, .backoff_initial_ms = backoff_ms, .backoff_max_ms = backoff_ms,
                              .name = "test"};
    kuryr_workqueue *q = kuryr_workqueue_new(&o, handler, NULL);
    assert_non_null(q);
    return q;
}

static void test_parallel_up_to_bound(void **state)
{
    (void)state;
    probe_reset(false);
    kuryr_workqueue *q = new_queue(3, 1);
    for (int k = 0; k < 5; k++)
        add(q, k);
    wait_in_handler(3);
    kuryr_workqueue_stats st;
    kuryr_workqueue_get_stats(q, &st);
    assert_int_equal(st.running, 3);
    assert_int_equal(st.queued, 2);
    open_gate();
    kuryr_workqueue_wait_idle(q);
    assert_int_equal(P.max_in_handler, 3);
    for (int k = 0; k < 5; k++)
        assert_int_equal(P.runs[k], 1);
    kuryr_workqueue_free(q);
}

static void test_adds_while_queued_coalesce(void **state)
{
    (void)state;
    probe_reset(false);
    kuryr_workqueue *q = new_queue(1, 1);
    add(q, 0);          /* the only worker blocks on k0 */
    wait_in_handler(1);
    for (int i = 0; i < 10; i++)
        add(q, 1);      /* k1 waits: nine of these add nothing */
    kuryr_workqueue_stats st;
    kuryr_workqueue_get_stats(q, &st);
    assert_int_equal(st.queued, 1);
    assert_int_equal(st.coalesced, 9);
    open_gate();
    kuryr_workqueue_wait_idle(q);
    assert_int_equal(P.runs[1], 1);
    assert_int_equal(P.seen_version[1], 10);
    kuryr_workqueue_free(q);
}

static void test_add_while_running_runs_again_once(void **state)
{
    (void)state;
    probe_reset(false);
    kuryr_workqueue *q = new_queue(4, 1);
    add(q, 2);
    wait_in_handler(1);
    for (int i = 0; i < 5; i++)
        add(q, 2);
    open_gate();
    wait_done(2, 2);
    kuryr_workqueue_wait_idle(q);
    /* once for the first add, once more for the five made while it ran; never two at once */
    assert_int_equal(P.runs[2], 2);
    assert_int_equal(P.per_key_max[2], 1);
    assert_int_equal(P.seen_version[2], 6);
    kuryr_workqueue_free(q);
}

static void test_retry_with_backoff_counts_attempts(void **state)
{
    (void)state;
    probe_reset(true);
    P.fail_first[3] = 3;
    kuryr_workqueue *q = new_queue(2, 1);
    add(q, 3);
    wait_done(3, 1);
    assert_int_equal(P.runs[3], 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(P.attempts[3][i], i + 1);
    kuryr_workqueue_stats st;
    kuryr_workqueue_get_stats(q, &st);
    assert_int_equal(st.retries, 3);
    kuryr_workqueue_free(q);
}

/* A poll runs again after the poll interval, not the backoff (a minute here: the test would hang on it), and its
 * attempts keep counting so that the handler can bound its polls; it is no failure. */
static void test_poll_runs_again_after_the_poll_interval(void **state)
{
    (void)state;
    probe_reset(true);
    P.poll_first[4] = 3;
    kuryr_workqueue_opts o = {.workers = 1, .backoff_initial_ms = 60000, .backoff_max_ms = 60000,
                              .poll_interval_ms = 1, .name = "test"};
    kuryr_workqueue *q = kuryr_workqueue_new(&o, handler, NULL);
    assert_non_null(q);
    add(q, 4);
    wait_done(4, 1);
    assert_int_equal(P.runs[4], 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(P.attempts[4][i], i + 1);
    kuryr_workqueue_stats st;
    kuryr_workqueue_get_stats(q, &st);
    assert_int_equal(st.retries, 0);
    kuryr_workqueue_free(q);
}

static void test_add_during_backoff_runs_at_once(void **state)
{
    (void)state;
    probe_reset(true);
    P.fail_first[4] = 1;
    kuryr_workqueue *q = new_queue(2, 3600 * 1000); /* an hour: only the new add can bring it back */
    add(q, 4);
    wait_backing_off(q, 1);
    add(q, 4);
    wait_done(4, 1);
    assert_int_equal(P.runs[4], 2);
    assert_int_equal(P.attempts[4][1], 2); /* still counted as a retry */
    kuryr_workqueue_free(q);
}

typedef struct {
    kuryr_workqueue *q;
    unsigned seed;
} adder_arg;

static void *adder(void *arg)
{
    adder_arg *a = arg;
    for (int i = 0; i < 2000; i++)
        add(a->q, (int)(rand_r(&a->seed) % NKEYS));
    return NULL;
}

/* Four threads add random keys while eight workers handle them, a third of the runs failing: in the end
 * every key's last successful run started after its last add, and no key ever ran on two threads. */
static void test_no_change_lost_under_concurrency(void **state)
{
    (void)state;
    probe_reset(true);
    kuryr_workqueue *q = new_queue(8, 1);
    pthread_t t[4];
    adder_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (adder_arg){q, (unsigned)i + 1};
        pthread_create(&t[i], NULL, adder, &args[i]);
    }
    for (int round = 0; round < 50; round++) {
        pthread_mutex_lock(&P.lock);
        for (int k = 0; k < NKEYS; k++)
            P.fail_first[k] = (round + k) % 3 == 0;
        pthread_mutex_unlock(&P.lock);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    pthread_mutex_lock(&P.lock);
    memset(P.fail_first, 0, sizeof(P.fail_first));
    pthread_mutex_unlock(&P.lock);
    wait_backing_off(q, 0);
    kuryr_workqueue_stats st;
    kuryr_workqueue_get_stats(q, &st);
    for (int k = 0; k < NKEYS; k++) {
        int v = atomic_load(&P.version[k]);
        if (v == 0)
            continue;
        assert_int_equal(P.seen_version[k], v);
        assert_int_equal(P.per_key_max[k], 1);
    }
    assert_int_equal(st.added, 8000);
    kuryr_workqueue_free(q);
}

static void test_stop_forgets_pending_and_refuses_adds(void **state)
{
    (void)state;
    probe_reset(true);
    P.fail_first[5] = 1;
    kuryr_workqueue *q = new_queue(1, 3600 * 1000);
    add(q, 5);
    wait_backing_off(q, 1);
    kuryr_workqueue_stop(q);
    kuryr_workqueue_stop(q);
    kuryr_workqueue_stats st;
    kuryr_workqueue_get_stats(q, &st);
    assert_int_equal(st.backing_off, 0);
    assert_int_equal(kuryr_workqueue_add(q, "k6"), -1);
    kuryr_workqueue_free(q);
    kuryr_workqueue_free(NULL);
}

/* Enough keys to grow the table several times; every one runs exactly once. */
static kuryr_work_result count_handler(const char *key, unsigned attempt, void *ud)
{
    (void)key;
    (void)attempt;
    atomic_fetch_add((atomic_int *)ud, 1);
    return KURYR_WORK_DONE;
}

static void test_many_keys(void **state)
{
    (void)state;
    atomic_int count = 0;
    kuryr_workqueue_opts o = {.workers = 2};
    kuryr_workqueue *q = kuryr_workqueue_new(&o, count_handler, &count);
    assert_non_null(q);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "ns-%d/pod-%d", i % 7, i);
        assert_int_equal(kuryr_workqueue_add(q, key), 0);
    }
    kuryr_workqueue_wait_idle(q);
    assert_int_equal(atomic_load(&count), 5000);
    kuryr_workqueue_free(q);
}

/* A key scheduled an hour ahead does not run (the queue goes idle with it still held); a plain add moves it
 * up and it runs once. */
static void test_add_after_waits_until_moved_up(void **state)
{
    (void)state;
    probe_reset(true);
    kuryr_workqueue *q = new_queue(2, 1);
    assert_int_equal(kuryr_workqueue_add_after(q, "k7", 3600), 0);
    assert_int_equal(kuryr_workqueue_add_after(q, "k7", 7200), 0); /* the earlier time stays */
    wait_backing_off(q, 1);
    assert_int_equal(P.runs[7], 0);
    assert_int_equal(kuryr_workqueue_pending(q), 1);
    add(q, 7);
    wait_done(7, 1);
    kuryr_workqueue_wait_idle(q);
    assert_int_equal(P.runs[7], 1);
    assert_int_equal(kuryr_workqueue_pending(q), 0);
    kuryr_workqueue_free(q);
}

/* A handler that re-schedules its own key for later: it ran once, and the key waits. */
static kuryr_work_result periodic_handler(const char *key, unsigned attempt, void *ud)
{
    (void)attempt;
    kuryr_workqueue **q = ud;
    pthread_mutex_lock(&P.lock);
    P.runs[0]++;
    pthread_mutex_unlock(&P.lock);
    kuryr_workqueue_add_after(*q, key, 3600);
    return KURYR_WORK_DONE;
}

static void test_handler_reschedules_itself(void **state)
{
    (void)state;
    probe_reset(true);
    kuryr_workqueue *q = NULL;
    kuryr_workqueue_opts o = {.workers = 1};
    q = kuryr_workqueue_new(&o, periodic_handler, &q);
    assert_non_null(q);
    assert_int_equal(kuryr_workqueue_add(q, "tick"), 0);
    wait_backing_off(q, 1);
    assert_int_equal(P.runs[0], 1);
    assert_int_equal(kuryr_workqueue_pending(q), 1);
    assert_int_equal(kuryr_workqueue_add(q, "tick"), 0); /* a wake-up runs it now */
    kuryr_workqueue_wait_idle(q);
    wait_backing_off(q, 1);
    assert_int_equal(P.runs[0], 2);
    kuryr_workqueue_free(q);
}

/* Drain waits for retries to finish (0 left); a key that keeps failing is reported as left. */
static void test_drain_finishes_retries_then_stops(void **state)
{
    (void)state;
    probe_reset(true);
    P.fail_first[8] = 2;
    kuryr_workqueue *q = new_queue(1, 1);
    add(q, 8);
    assert_int_equal(kuryr_workqueue_drain(q, 3600), 0);
    assert_int_equal(P.done[8], 1);
    assert_int_equal(P.runs[8], 3);
    assert_int_equal(kuryr_workqueue_add(q, "k8"), -1); /* stopped */
    kuryr_workqueue_free(q);

    probe_reset(true);
    P.fail_first[9] = 1;
    q = new_queue(1, 3600 * 1000);
    add(q, 9);
    wait_backing_off(q, 1);
    assert_int_equal(kuryr_workqueue_drain(q, 0.05), 1);
    assert_int_equal(P.done[9], 0);
    kuryr_workqueue_free(q);
}

/* wait_idle_for gives up while a handler runs. */
static void test_wait_idle_for_times_out(void **state)
{
    (void)state;
    probe_reset(false);
    kuryr_workqueue *q = new_queue(1, 1);
    add(q, 10);
    wait_in_handler(1);
    assert_false(kuryr_workqueue_wait_idle_for(q, 0.05));
    open_gate();
    assert_true(kuryr_workqueue_wait_idle_for(q, 3600));
    kuryr_workqueue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_up_to_bound),
        cmocka_unit_test(test_adds_while_queued_coalesce),
        cmocka_unit_test(test_add_while_running_runs_again_once),
        cmocka_unit_test(test_retry_with_backoff_counts_attempts),
        cmocka_unit_test(test_poll_runs_again_after_the_poll_interval),
        cmocka_unit_test(test_add_during_backoff_runs_at_once),
        cmocka_unit_test(test_no_change_lost_under_concurrency),
        cmocka_unit_test(test_stop_forgets_pending_and_refuses_adds),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_add_after_waits_until_moved_up),
        cmocka_unit_test(test_handler_reschedules_itself),
        cmocka_unit_test(test_drain_finishes_retries_then_stops),
        cmocka_unit_test(test_wait_idle_for_times_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
