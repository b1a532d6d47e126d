/* Drives libkuryr's informer against the real kube-apiserver of the rig while it churns ConfigMaps, for
 * test_k8s_watch.sh, which disrupts the apiserver between the rounds' start and end.
 *
 *   k8s_watch_check NAMESPACE [OBJECTS]
 *
 * Protocol on stdout/stdin: before each round it prints "ROUND <n> START <what>", does the round's writes
 * (each retried until the apiserver takes it), prints "ROUND <n> END" and waits for a line on stdin. After the
 * last round it waits for the informer to match a fresh LIST, stops it, and checks what the handlers saw:
 *   - the cache equals the fresh LIST (same objects, same resourceVersions), and the writer's last writes;
 *   - per object, deliveries in strictly rising resourceVersion (nothing delivered twice), an add only when
 *     absent, update and delete only when present (no duplicate adds, no delete of an unknown object), and the
 *     last delivery is the final state (no missed update or delete);
 *   - the disruption happened: at least one watch restart and one relist after 410 Gone.
 * Prints "PASS: ..." / "FAIL: ..." lines and a STATS line; exit 0 pass, 1 fail, 2 setup failure. */
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/clock.h"
#include "kuryr/k8s_client.h"
#include "kuryr/k8s_informer.h"
#include "kuryr/k8s_write.h"
#include "kuryr/log.h"

#define LABEL "kuryr.openstack.org/test=watch"
#define MAX_OBJECTS 5000
#define WRITE_DEADLINE_S 240.0
#define CONVERGE_DEADLINE_S 240.0

typedef struct {
    char type;  /* 'A', 'U', 'D' */
    long rv;
    long gen;
} delivery;

typedef struct {
    delivery *d;
    size_t n, cap;
} history;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static history *seen;       /* per object index, what the handlers got */
static bool *exists;        /* per object, what the writer left */
static long *gen;
static int nobjects;
static const char *ns;
static unsigned long unknown_deliveries;
static int failures;

static int index_of(const json_t *obj)
{
    const char *name = kuryr_k8s_obj_name(obj);
    int i;
    if (!name || sscanf(name, "cm-%d", &i) != 1 || i < 0 || i >= nobjects)
        return -1;
    return i;
}

static long rv_of(const json_t *obj)
{
    const char *rv = kuryr_k8s_obj_resource_version(obj);
    return rv ? strtol(rv, NULL, 10) : -1;
}

static long gen_of(const json_t *obj)
{
    const char *g = json_string_value(json_object_get(json_object_get(obj, "data"), "gen"));
    return g ? strtol(g, NULL, 10) : -1;
}

/* The gate holds the informer's thread inside a handler, so that it reads nothing while the apiserver dies and
 * comes back and the writer goes on: when it is let go, its watch is gone and its resourceVersion is older than
 * the new apiserver's watch cache, and everything written meanwhile reaches it only through the relist. */
static pthread_cond_t gate_cond; /* on the monotonic clock, made in main */
static bool gate_closed, gate_holding;

static void gate_wait(void)
{
    pthread_mutex_lock(&lock);
    while (gate_closed) {
        gate_holding = true;
        pthread_cond_broadcast(&gate_cond);
        pthread_cond_wait(&gate_cond, &lock);
    }
    gate_holding = false;
    pthread_mutex_unlock(&lock);
}

static void gate_set(bool closed)
{
    pthread_mutex_lock(&lock);
    gate_closed = closed;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&lock);
}

/* Waits until a handler is held at the gate (the event the last write caused reached the informer). */
static void gate_wait_held(void)
{
    struct timespec until = kuryr_mono_deadline(120);
    pthread_mutex_lock(&lock);
    while (!gate_holding) {
        if (pthread_cond_timedwait(&gate_cond, &lock, &until) != 0) {
            pthread_mutex_unlock(&lock);
            fprintf(stderr, "the informer never reached the gate\n");
            exit(2);
        }
    }
    pthread_mutex_unlock(&lock);
}

static void record(char type, const json_t *obj)
{
    gate_wait();
    int i = index_of(obj);
    pthread_mutex_lock(&lock);
    if (i < 0) {
        unknown_deliveries++;
    } else {
        history *h = &seen[i];
        if (h->n == h->cap) {
            h->cap = h->cap ? h->cap * 2 : 8;
            h->d = realloc(h->d, h->cap * sizeof(*h->d));
        }
        h->d[h->n++] = (delivery){type, rv_of(obj), gen_of(obj)};
    }
    pthread_mutex_unlock(&lock);
}

static void on_add(const json_t *obj, void *ud)
{
    (void)ud;
    record('A', obj);
}

static void on_update(const json_t *old_obj, const json_t *new_obj, void *ud)
{
    (void)ud, (void)old_obj;
    record('U', new_obj);
}

static void on_delete(const json_t *last, void *ud)
{
    (void)ud;
    record('D', last);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures++;
}

/* ---- the writer: every write retried through the outage until the apiserver answers it ---- */

typedef enum { CREATE, UPDATE, DELETE } op_kind;

static bool transient(const kuryr_error *err)
{
    return err->kind == KURYR_ERR_UNAVAILABLE || err->kind == KURYR_ERR_INTERNAL || err->http_status == 429;
}

static unsigned long write_retries;
static double write_max_s;

static void write_one(kuryr_k8s_client *c, op_kind op, int i, long g)
{
    char name[32], value[32];
    snprintf(name, sizeof(name), "cm-%03d", i);
    snprintf(value, sizeof(value), "%ld", g);
    double start = kuryr_mono_s(), deadline = start + WRITE_DEADLINE_S;
    for (;;) {
        kuryr_error err = {0};
        int rc;
        if (op == CREATE) {
            json_t *obj = json_pack("{s:{s:s, s:{s:s}}, s:{s:s}}", "metadata", "name", name, "labels",
                                    "kuryr.openstack.org/test", "watch", "data", "gen", value);
            rc = kuryr_k8s_create(c, &kuryr_k8s_configmaps, ns, obj, NULL, &err);
            json_decref(obj);
            /* An earlier attempt cut by the outage may have landed. */
            if (rc != 0 && err.kind == KURYR_ERR_CONFLICT && strcmp(err.type, "AlreadyExists") == 0)
                rc = 0;
        } else if (op == UPDATE) {
            json_t *patch = json_pack("{s:{s:s}}", "data", "gen", value);
            rc = kuryr_k8s_merge_patch(c, &kuryr_k8s_configmaps, ns, name, NULL, patch, NULL, NULL, &err);
            json_decref(patch);
        } else {
            rc = kuryr_k8s_delete(c, &kuryr_k8s_configmaps, ns, name, NULL, &err);
            if (rc != 0 && err.kind == KURYR_ERR_NOT_FOUND)
                rc = 0;
        }
        if (rc == 0)
            break;
        if (!transient(&err) || kuryr_mono_s() > deadline) {
            fprintf(stderr, "write of %s failed for good: %s\n", name, err.message);
            exit(2);
        }
        write_retries++;
        kuryr_sleep_ms(100);
    }
    double took = kuryr_mono_s() - start;
    write_max_s = took > write_max_s ? took : write_max_s;
    pthread_mutex_lock(&lock);
    exists[i] = op != DELETE;
    gen[i] = op == DELETE ? -1 : g;
    pthread_mutex_unlock(&lock);
}

/* Prints line and waits for the driver's answer on stdin. */
static void handshake(const char *fmt, int round)
{
    printf(fmt, round);
    printf("\n");
    fflush(stdout);
    char answer[64];
    if (!fgets(answer, sizeof(answer), stdin)) {
        fprintf(stderr, "stdin closed\n");
        exit(2);
    }
}

/* One round: the ops for objects [0, n) in two halves; between them the driver may disrupt the apiserver,
 * so the second half is written through the outage. */
typedef struct {
    op_kind op;
    long gen;
} step;

/* With gated, the informer is held (see gate_wait) from the middle of the round to its end. */
static void round_of(kuryr_k8s_client *c, int round, const char *what, step (*plan)(int i, int round), bool gated)
{
    printf("ROUND %d START %s\n", round, what);
    fflush(stdout);
    for (int i = 0; i < nobjects; i++) {
        step s = plan(i, round);
        if (i == nobjects / 2 && gated) {
            gate_set(true);
            write_one(c, s.gen >= 0 ? s.op : UPDATE, i, s.gen >= 0 ? s.gen : gen[i] + 1);
            gate_wait_held();
            handshake("ROUND %d MID", round);
            continue;
        }
        if (i == nobjects / 2)
            handshake("ROUND %d MID", round);
        if (s.gen >= 0)
            write_one(c, s.op, i, s.gen);
    }
    gate_set(false);
    handshake("ROUND %d END", round);
}

static step create_all(int i, int round)
{
    (void)i, (void)round;
    return (step){CREATE, 0};
}

/* The next generation of every object. */
static step update_once(int i, int round)
{
    (void)round;
    return (step){UPDATE, gen[i] + 1};
}

static step delete_thirds(int i, int round)
{
    return (step){i % 3 == 0 ? DELETE : UPDATE, round};
}

static step recreate_sixths(int i, int round)
{
    if (i % 6 == 0)
        return (step){CREATE, round};
    if (i % 5 == 0)
        return (step){DELETE, round};
    return (step){UPDATE, -1}; /* untouched */
}

static void churn(kuryr_k8s_client *c)
{
    round_of(c, 1, "create all", create_all, false);
    round_of(c, 2, "update all", update_once, false);
    round_of(c, 3, "update all again; the driver kills kube-apiserver mid-round", update_once, false);
    round_of(c, 4, "delete every third, update the rest; mid-round the informer is held while the driver kills "
                   "kube-apiserver and moves etcd on (410 when it resumes)", delete_thirds, true);
    round_of(c, 5, "recreate every sixth, delete every fifth", recreate_sixths, false);
}

/* ---- checks ---- */

/* True when the cache holds exactly the objects of list, at the same versions. */
static bool cache_matches(kuryr_k8s_informer *inf, const json_t *list)
{
    json_t *cached = kuryr_k8s_informer_list(inf);
    bool same = json_array_size(cached) == json_array_size(list);
    size_t k;
    json_t *obj;
    json_array_foreach(list, k, obj) {
        if (!same)
            break;
        char *key = kuryr_k8s_obj_key(obj);
        json_t *mine = kuryr_k8s_informer_get(inf, key);
        same = mine && rv_of(mine) == rv_of(obj);
        json_decref(mine);
        free(key);
    }
    json_decref(cached);
    return same;
}

static json_t *fresh_list(kuryr_k8s_client *c, const kuryr_k8s_watch_opts *o)
{
    json_t *items = NULL;
    char *rv = NULL;
    kuryr_error err = {0};
    if (kuryr_k8s_list(c, o, &items, &rv, &err) != 0)
        fprintf(stderr, "LIST failed: %s\n", err.message);
    free(rv);
    return items;
}

static void check_histories(const json_t *list)
{
    long final_rv[MAX_OBJECTS], final_gen[MAX_OBJECTS];
    for (int i = 0; i < nobjects; i++)
        final_rv[i] = final_gen[i] = -1;
    size_t k;
    json_t *obj;
    json_array_foreach(list, k, obj) {
        int i = index_of(obj);
        if (i >= 0) {
            final_rv[i] = rv_of(obj);
            final_gen[i] = gen_of(obj);
        }
    }
    int bad_order = 0, bad_kind = 0, bad_last = 0, bad_writer = 0, unseen_deleted = 0;
    unsigned long deliveries = 0;
    for (int i = 0; i < nobjects; i++) {
        history *h = &seen[i];
        bool present = false;
        long last_rv = 0;
        for (size_t j = 0; j < h->n; j++) {
            delivery d = h->d[j];
            deliveries++;
            /* A delete hands over the last state delivered, so its version is that one's; every other delivery
             * is a newer state than the one before. */
            bool in_order = d.type == 'D' ? d.rv == last_rv : d.rv > last_rv;
            if (!in_order && bad_order++ < 5)
                fail("cm-%03d: delivery %zu (%c rv %ld) after rv %ld: delivered twice, out of order or not the last "
                     "state", i, j, d.type, d.rv, last_rv);
            if (((d.type == 'A') == present) && bad_kind++ < 5)
                fail("cm-%03d: %s while %s", i, d.type == 'A' ? "add" : d.type == 'U' ? "update" : "delete",
                     present ? "present (duplicate add)" : "absent");
            last_rv = d.rv > last_rv ? d.rv : last_rv;
            present = d.type != 'D';
        }
        const delivery *last = h->n ? &h->d[h->n - 1] : NULL;
        if (final_rv[i] >= 0) {
            if ((!last || last->type == 'D' || last->rv != final_rv[i] || last->gen != final_gen[i]) && bad_last++ < 5)
                fail("cm-%03d: exists at rv %ld gen %ld, but the last delivery was %c rv %ld gen %ld", i, final_rv[i],
                     final_gen[i], last ? last->type : '-', last ? last->rv : -1, last ? last->gen : -1);
        } else if (last && last->type != 'D' && bad_last++ < 5) {
            fail("cm-%03d: deleted, but the last delivery was %c rv %ld (missed delete)", i, last->type, last->rv);
        } else if (!last) {
            unseen_deleted++; /* created and deleted inside one gap: never seen, never to be deleted */
        }
        if ((exists[i] != (final_rv[i] >= 0) || (exists[i] && gen[i] != final_gen[i])) && bad_writer++ < 5)
            fail("cm-%03d: the writer left %s gen %ld, the LIST says %s gen %ld", i, exists[i] ? "it" : "no object",
                 gen[i], final_rv[i] >= 0 ? "present" : "absent", final_gen[i]);
    }
    if (!bad_order)
        printf("PASS: every object's deliveries in rising resourceVersion, deletes with the last state (%lu "
               "deliveries, none twice)\n",
               deliveries);
    if (!bad_kind)
        printf("PASS: no duplicate add, no update or delete of an object the handler did not have\n");
    if (!bad_last)
        printf("PASS: each object's last delivery is its final state (%zu present, deletes all delivered%s)\n",
               json_array_size(list), unseen_deleted ? "" : "");
    if (!bad_writer)
        printf("PASS: the final LIST is what the writer wrote\n");
    if (unknown_deliveries)
        fail("%lu deliveries of objects the test did not make (the label selector leaked)", unknown_deliveries);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s NAMESPACE [OBJECTS]\n", argv[0]);
        return 2;
    }
    ns = argv[1];
    nobjects = argc > 2 ? atoi(argv[2]) : 500;
    if (nobjects < 6 || nobjects > MAX_OBJECTS)
        return 2;
    kuryr_log_init("k8s_watch_check", KURYR_LOG_WARNING, false);
    if (kuryr_cond_init_mono(&gate_cond) != 0)
        return 2;
    seen = calloc((size_t)nobjects, sizeof(*seen));
    exists = calloc((size_t)nobjects, sizeof(*exists));
    gen = calloc((size_t)nobjects, sizeof(*gen));
    kuryr_k8s_config cfg;
    kuryr_error err = {0};
    if (kuryr_k8s_config_default(&cfg, &err) != 0) {
        fprintf(stderr, "config: %s\n", err.message);
        return 2;
    }
    kuryr_k8s_client *c = kuryr_k8s_client_new(&cfg, NULL, &err);
    kuryr_k8s_config_clear(&cfg);
    if (!c) {
        fprintf(stderr, "client: %s\n", err.message);
        return 2;
    }
    kuryr_k8s_watch_opts o = {.resource = &kuryr_k8s_configmaps, .namespace = ns, .label_selector = LABEL,
                              .page_size = 100, .stall_s = 30, .backoff_initial_ms = 100, .backoff_max_ms = 2000};
    kuryr_k8s_handlers h = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete};
    kuryr_k8s_informer *inf = kuryr_k8s_informer_new(c, &o, &h, &err);
    if (!inf || kuryr_k8s_informer_start(inf, &err) != 0 || !kuryr_k8s_informer_wait_synced(inf, 60)) {
        fprintf(stderr, "informer: %s\n", err.message[0] ? err.message : "did not sync");
        return 2;
    }
    double t0 = kuryr_mono_s();
    churn(c);
    double churn_s = kuryr_mono_s() - t0;

    /* Converged when the cache equals a fresh LIST; the deadline only ends a hung run. */
    json_t *list = NULL;
    bool converged = false;
    double deadline = kuryr_mono_s() + CONVERGE_DEADLINE_S;
    while (!converged && kuryr_mono_s() < deadline) {
        json_decref(list);
        list = fresh_list(c, &o);
        converged = list && cache_matches(inf, list);
        if (!converged)
            kuryr_sleep_ms(500);
    }
    kuryr_k8s_informer_stats st;
    kuryr_k8s_informer_get_stats(inf, &st);
    kuryr_k8s_informer_stop(inf);
    if (converged)
        printf("PASS: the informer's cache equals a fresh LIST (%zu objects)\n", json_array_size(list));
    else
        fail("the informer's cache never matched a fresh LIST (%zu cached)", st.objects);
    if (list)
        check_histories(list);
    printf("STATS objects=%d churn_s=%.1f write_retries=%lu write_max_s=%.1f lists=%lu relists_gone=%lu watches=%lu restarts=%lu "
           "stalls=%lu throttled=%lu events=%lu requests=%lu\n",
           nobjects, churn_s, write_retries, write_max_s, st.lists, st.relists_gone, st.watches, st.restarts, st.stalls,
           st.throttled, st.events, kuryr_k8s_client_requests(c));
    if (st.relists_gone >= 1)
        printf("PASS: a 410 Gone was met and answered by a relist (%lu)\n", st.relists_gone);
    else
        fail("no 410 Gone happened: the test did not exercise the relist");
    if (st.restarts >= 1)
        printf("PASS: the watch was broken and resumed (%lu restarts)\n", st.restarts);
    else
        fail("the watch was never broken: the apiserver restart did not reach the informer");
    json_decref(list);
    kuryr_k8s_informer_free(inf);
    kuryr_k8s_client_free(c);
    for (int i = 0; i < nobjects; i++)
        free(seen[i].d);
    free(seen);
    free(exists);
    free(gen);
    return failures ? 1 : 0;
}
