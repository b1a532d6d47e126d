/* lib/k8s/store.c: watch events into the cache (replays and unknown deletes are not changes) and the relist
 * diff (adds, updates by resourceVersion, deletes with the last known state). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_internal.h"

typedef struct {
    char log[2048];
} recorder;

/* "add ns/a@1;" / "update ns/a 1->2;" / "delete ns/a@2;" */
static void record(const json_t *old_obj, const json_t *new_obj, void *ud)
{
    recorder *r = ud;
    size_t n = strlen(r->log);
    const json_t *any = new_obj ? new_obj : old_obj;
    char *key = kuryr_k8s_obj_key(any);
    if (!old_obj)
        snprintf(r->log + n, sizeof(r->log) - n, "add %s@%s;", key, kuryr_k8s_obj_resource_version(new_obj));
    else if (!new_obj)
        snprintf(r->log + n, sizeof(r->log) - n, "delete %s@%s;", key, kuryr_k8s_obj_resource_version(old_obj));
    else
        snprintf(r->log + n, sizeof(r->log) - n, "update %s %s->%s;", key, kuryr_k8s_obj_resource_version(old_obj),
                 kuryr_k8s_obj_resource_version(new_obj));
    free(key);
}

static json_t *obj(const char *ns, const char *name, const char *rv)
{
    json_t *meta = json_pack("{s:s, s:s}", "name", name, "resourceVersion", rv);
    if (ns)
        json_object_set_new(meta, "namespace", json_string(ns));
    return json_pack("{s:o}", "metadata", meta);
}

static int apply(k8s_store *s, kuryr_k8s_event_type t, json_t *o, recorder *r)
{
    int rc = k8s_store_apply(s, t, o, record, r);
    json_decref(o);
    return rc;
}

static void test_events(void **state)
{
    (void)state;
    k8s_store *s = k8s_store_new();
    recorder r = {0};
    assert_int_equal(apply(s, KURYR_K8S_ADDED, obj("ns", "a", "1"), &r), 1);
    assert_int_equal(apply(s, KURYR_K8S_ADDED, obj("ns", "a", "1"), &r), 0);     /* replayed */
    assert_int_equal(apply(s, KURYR_K8S_MODIFIED, obj("ns", "a", "2"), &r), 1);
    assert_int_equal(apply(s, KURYR_K8S_MODIFIED, obj("ns", "a", "2"), &r), 0);  /* replayed */
    assert_int_equal(apply(s, KURYR_K8S_ADDED, obj("ns", "a", "3"), &r), 1);     /* add of a known one */
    assert_int_equal(apply(s, KURYR_K8S_MODIFIED, obj(NULL, "node1", "4"), &r), 1); /* modify of an unknown */
    assert_int_equal(apply(s, KURYR_K8S_DELETED, obj("ns", "ghost", "5"), &r), 0);  /* never known */
    assert_int_equal(apply(s, KURYR_K8S_BOOKMARK, obj(NULL, "x", "6"), &r), 0);
    assert_int_equal(apply(s, KURYR_K8S_DELETED, obj("ns", "a", "7"), &r), 1);
    assert_int_equal(apply(s, KURYR_K8S_DELETED, obj("ns", "a", "7"), &r), 0);   /* already gone */
    json_t *nameless = json_pack("{s:{}}", "metadata");
    assert_int_equal(k8s_store_apply(s, KURYR_K8S_ADDED, nameless, record, &r), -1);
    json_decref(nameless);
    /* The delete reports the last state the cache knew (3), not the tombstone's version. */
    assert_string_equal(r.log, "add ns/a@1;update ns/a 1->2;update ns/a 2->3;add node1@4;delete ns/a@3;");
    assert_int_equal(k8s_store_count(s), 1);
    json_t *n = k8s_store_get(s, "node1");
    assert_string_equal(kuryr_k8s_obj_resource_version(n), "4");
    json_decref(n);
    assert_null(k8s_store_get(s, "ns/a"));
    k8s_store_free(s);
}

static void test_relist_diff(void **state)
{
    (void)state;
    k8s_store *s = k8s_store_new();
    recorder r = {0};
    json_t *first = json_pack("[ooo]", obj("ns", "keep", "1"), obj("ns", "change", "1"), obj("ns", "vanish", "1"));
    assert_int_equal(k8s_store_replace(s, first, record, &r), 3);
    assert_string_equal(r.log, "add ns/keep@1;add ns/change@1;add ns/vanish@1;");
    json_decref(first);

    r.log[0] = '\0';
    json_t *second = json_pack("[ooo]", obj("ns", "keep", "1"), obj("ns", "change", "9"), obj("ns", "new", "9"));
    assert_int_equal(k8s_store_replace(s, second, record, &r), 3);
    assert_string_equal(r.log, "update ns/change 1->9;add ns/new@9;delete ns/vanish@1;");
    json_decref(second);
    assert_int_equal(k8s_store_count(s), 3);

    /* The same list again: nothing happened, nothing is delivered. */
    r.log[0] = '\0';
    json_t *same = k8s_store_list(s);
    assert_int_equal(k8s_store_replace(s, same, record, &r), 0);
    assert_string_equal(r.log, "");
    json_decref(same);

    /* A list with a nameless item is refused whole: the cache stays as it was. */
    json_t *bad = json_pack("[o{s:{}}]", obj("ns", "other", "1"), "metadata");
    assert_int_equal(k8s_store_replace(s, bad, record, &r), -1);
    json_decref(bad);
    assert_int_equal(k8s_store_count(s), 3);

    /* An empty list deletes everything. */
    r.log[0] = '\0';
    json_t *none = json_array();
    assert_int_equal(k8s_store_replace(s, none, record, &r), 3);
    json_decref(none);
    assert_int_equal(k8s_store_count(s), 0);
    k8s_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_relist_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
