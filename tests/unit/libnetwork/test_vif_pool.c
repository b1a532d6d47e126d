/* The port pool of [vif_pool] (vif_pool.h) against a scripted Neutron on 127.0.0.1: off means no pool at all;
 * the first take sweeps the unused ports an earlier run left and refills with one bulk create of ports bound
 * to this host plus a tag request per port, capped by ports_pool_max; a new network's pool seeded with one port,
 * which a take waits for; a released pool port gets its tags reset
 * and goes back into its pool, retried while Neutron is unreachable, dropped when Neutron says it is gone and
 * deleted when Neutron refuses; RequestAddress's wait for an address being recycled; a deleted network's ready
 * ports forgotten and a refill still in flight for it deleted; take_id; and stopping with ports ready (the ASan
 * build checks that nothing leaks).
 *
 * The tests make their own pool with kl_vif_pool_new once the fixture calls the host "node1" (the plugin's own
 * pool would describe its ports with the real host name), so every pool port is described kuryr-pool:node1.
 * The pool's thread works asynchronously: tests wait for its results with bounded polls, never on timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin_fixture.h"
#include "test_httpd.h"
#include "vif_pool.h"

#define NET "11111111-1111-4111-8111-111111111111"
#define NET2 "66666666-6666-4666-8666-666666666666"
#define SUBNET "33333333-3333-4333-8333-333333333333"
#define SUBNET2 "77777777-7777-4777-8777-777777777777"
#define RPORT "44444444-4444-4444-8444-444444444444" /* a pool port ReleaseAddress hands back */
#define RIP "10.0.0.50"
#define LEFT_FREE "99999999-9999-4999-8999-000000000001" /* ready ports an earlier run left: unused, */
#define LEFT_USED "99999999-9999-4999-8999-000000000002" /* handed to an endpoint (its tags say which), */
#define LEFT_DEV "99999999-9999-4999-8999-000000000003"  /* and one with a device (another owner's doing) */
#define LEFT_OTHER "99999999-9999-4999-8999-000000000004" /* another host's ready port */
#define DESC "kuryr-pool:node1"
#define KURYR_TAG "compute:kuryr"
#define EP_LH "kuryr.net.uuid.lh:fedcba9876543210fedcba9876543210"
#define EP_UH "kuryr.net.uuid.uh:0123456789abcdef0123456789abcdef"
#define MADE_PREFIX "aaaaaaaa-aaaa-4aaa-8aaa-" /* ids of the ports the scripted bulk creates answer */
#define WAIT_S 30                               /* bound of every poll: only a broken pool gets there */

typedef struct {
    plugin_fixture *pf;
    test_httpd *srv;
    kl_vif_pool *pool;
} fixture;

static int setup(void **state)
{
    void *pf = NULL;
    if (pf_setup(&pf, NULL, 0) < 0) {
        pf_close(pf);
        return -1;
    }
    fixture *f = calloc(1, sizeof(*f));
    if (!f) {
        pf_close(pf);
        return -1;
    }
    f->pf = pf;
    f->srv = f->pf->srv;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    kl_vif_pool_free(f->pool); /* before the Neutron client its thread uses */
    pf_close(f->pf);
    free(f);
    *state = NULL;
    return 0;
}

/* Update frequency 1 s: the thread looks for due retries every second instead of every RETRY_S. */
static kl_vif_pool *open_pool(fixture *f, long min, long max, long batch)
{
    const kl_vif_pool_cfg cfg = {.min = min, .max = max, .batch = batch, .update_frequency_s = 1};
    f->pool = kl_vif_pool_new(&f->pf->p, &cfg);
    assert_non_null(f->pool);
    return f->pool;
}

/* ---- the scripted Neutron ---------------------------------------------------------------------------- */

static void made_id(char *buf, size_t len, int i)
{
    snprintf(buf, len, MADE_PREFIX "%012d", i);
}

/* A port as Neutron describes it: bound to host, no device_id (a pool port keeps it empty even in use). */
static json_t *port_obj(const char *id, const char *net, const char *subnet, const char *ip, const char *name,
                        const char *desc, const char *host, json_t *tags)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:o,s:s,s:b,s:i}", "id", id, "name", name,
                     "description", desc, "network_id", net, "mac_address", "fa:16:3e:00:00:01", "device_owner",
                     KURYR_TAG, "device_id", "", "binding:host_id", host, "fixed_ips", "subnet_id", subnet,
                     "ip_address", ip, "tags", tags, "status", "ACTIVE", "admin_state_up", 1, "revision_number", 1);
}

/* The tags of a pool port an endpoint uses. */
static json_t *in_use_tags(void)
{
    return json_pack("[s,s,s]", KURYR_TAG, EP_LH, EP_UH);
}

static void answer_json(fixture *f, const char *method, const char *path, int status, json_t *body,
                        unsigned delay_ms, int times)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    test_httpd_add(f->srv, &(test_httpd_script){.method = method, .path = path, .status = status, .body = text,
                                                .delay_ms = delay_ms, .times = times});
    free(text);
}

/* The sweep's listing of an earlier run's ports: none. */
static void answer_no_leftovers(fixture *f)
{
    answer_json(f, "GET", "/v2.0/ports?", 200, json_pack("{s:[]}", "ports"), 0, 0);
}

/* A bulk create's answer (times: as test_httpd_script's): n ports made in net/subnet, with the ids
 * MADE_PREFIX first..first+n-1. */
static void answer_bulk_times(fixture *f, const char *net, const char *subnet, int first, int n, unsigned delay_ms,
                              int times)
{
    json_t *ports = json_array();
    for (int i = first; i < first + n; i++) {
        char id[64], ip[32];
        made_id(id, sizeof(id), i);
        snprintf(ip, sizeof(ip), "10.0.%d.%d", strcmp(subnet, SUBNET) == 0 ? 0 : 1, 10 + i);
        /* Neutron drops tags given at creation */
        json_array_append_new(ports, port_obj(id, net, subnet, ip, KL_POOL_PORT_NAME, DESC, "node1", json_array()));
    }
    answer_json(f, "POST", "/v2.0/ports", 201, json_pack("{s:o}", "ports", ports), delay_ms, times);
}

/* One bulk create's answer. */
static void answer_bulk(fixture *f, const char *net, const char *subnet, int first, int n, unsigned delay_ms)
{
    answer_bulk_times(f, net, subnet, first, n, delay_ms, 1);
}

/* Tagging any made port succeeds. */
static void answer_made_tags(fixture *f)
{
    answer_json(f, "PUT", "/v2.0/ports/" MADE_PREFIX, 200, json_pack("{s:[s]}", "tags", KURYR_TAG), 0, 0);
}

/* Resetting the released port's tags (the whole of a recycle). */
static void answer_rport_tags(fixture *f, int status, unsigned delay_ms, int times)
{
    json_t *body = status == 200 ? json_pack("{s:[s]}", "tags", KURYR_TAG) : NULL;
    answer_json(f, "PUT", "/v2.0/ports/" RPORT "/tags", status, body, delay_ms, times);
}

static kuryr_port *port_of(json_t *raw)
{
    kuryr_error err;
    kuryr_port *port = kuryr_port_from_json(raw, &err);
    json_decref(raw);
    assert_non_null(port);
    return port;
}

/* A pool port as ReleaseAddress finds it: still bound to this host and tagged with its endpoint. */
static kuryr_port *released(const char *id, const char *net, const char *subnet, const char *ip)
{
    return port_of(port_obj(id, net, subnet, ip, KL_POOL_PORT_NAME, DESC, "node1", in_use_tags()));
}

/* ReleaseAddress handing RPORT (RIP in NET/SUBNET) to the pool, which must accept it. */
static void give_released(fixture *f)
{
    kuryr_port *port = released(RPORT, NET, SUBNET, RIP);
    assert_true(kl_vif_pool_give(f->pool, port));
    kuryr_port_free(port);
}

/* ---- what Neutron received --------------------------------------------------------------------------- */

static void dump_requests(fixture *f)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        fprintf(stderr, "  #%zu %s %s %s\n", i, r->method, r->path, r->body);
    }
}

static bool matches(const test_httpd_request *r, const char *method, const char *path, bool exact)
{
    return strcmp(r->method, method) == 0 &&
           (exact ? strcmp(r->path, path) == 0 : strncmp(r->path, path, strlen(path)) == 0);
}

/* Index of the n-th (from 0) request with this method whose path starts with prefix (exact: equals it). */
static long find_req(fixture *f, const char *method, const char *path, bool exact, int n)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        if (matches(test_httpd_request_at(f->srv, i), method, path, exact) && n-- == 0)
            return (long)i;
    }
    return -1;
}

static const test_httpd_request *nth(fixture *f, const char *method, const char *path, bool exact, int n)
{
    long i = find_req(f, method, path, exact, n);
    if (i < 0) {
        dump_requests(f);
        fail_msg("no request %s %s #%d", method, path, n);
    }
    return test_httpd_request_at(f->srv, (size_t)i);
}

static size_t count(fixture *f, const char *method, const char *path, bool exact)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++)
        n += matches(test_httpd_request_at(f->srv, i), method, path, exact);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls until the pool holds want ready ports; fails (with the requests) after WAIT_S. */
static void wait_ready(fixture *f, size_t want)
{
    for (int i = 0; i < WAIT_S * 50 && kl_vif_pool_ready(f->pool) != want; i++)
        sleep_ms(20);
    size_t got = kl_vif_pool_ready(f->pool);
    if (got != want) {
        dump_requests(f);
        fail_msg("%zu ready ports, expected %zu", got, want);
    }
}

/* Polls until Neutron has received at least want such requests. */
static void wait_requests(fixture *f, const char *method, const char *path, bool exact, size_t want)
{
    for (int i = 0; i < WAIT_S * 50 && count(f, method, path, exact) < want; i++)
        sleep_ms(20);
    if (count(f, method, path, exact) < want) {
        dump_requests(f);
        fail_msg("fewer than %zu requests %s %s", want, method, path);
    }
}

/* Waits until the pool's thread has handled every wake-up and has nothing due: what it did not send by then,
 * it was not going to send now. */
static void assert_idle(fixture *f)
{
    if (!kl_vif_pool_wait_idle(f->pool, WAIT_S)) {
        dump_requests(f);
        fail_msg("the pool's thread kept working for %d s", WAIT_S);
    }
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}

/* The body of a tags request is exactly {"tags": ["compute:kuryr"]}. */
static void assert_kuryr_tag_only(const test_httpd_request *r)
{
    json_t *tags = pf_body_of(r, "tags");
    const char *tag = json_string_value(json_array_get(tags, 0));
    if (json_array_size(tags) != 1 || !tag || strcmp(tag, KURYR_TAG) != 0)
        fail_msg("%s %s sets tags %s, expected only " KURYR_TAG, r->method, r->path, r->body);
    json_decref(tags);
}

/* ---- 1. pool off ------------------------------------------------------------------------------------- */

static void test_off_means_no_pool(void **state)
{
    fixture *f = *state;
    /* the default is off, and so is an explicit false */
    assert_null(f->pf->p.vif_pool);
    const pf_setting off[] = {{"vif_pool", "enabled", "false"}};
    assert_int_equal(pf_set(f->pf, off, 1), 0);
    assert_int_equal(pf_plugin_up(f->pf), 0);
    assert_null(f->pf->p.vif_pool);

    /* every call is then a no-op the handlers can make unconditionally */
    kuryr_port *port = released(RPORT, NET, SUBNET, RIP);
    assert_null(kl_vif_pool_take(NULL, NET, SUBNET));
    assert_false(kl_vif_pool_take_id(NULL, RPORT));
    assert_false(kl_vif_pool_give(NULL, port));
    assert_int_equal(kl_vif_pool_ready(NULL), 0);
    assert_true(kl_vif_pool_wait_ip(NULL, NET, RIP, 10));
    kl_vif_pool_close_net(NULL, NET, 10);
    kl_vif_pool_free(NULL);
    kuryr_port_free(port);
    assert_int_equal(test_httpd_request_count(f->srv), 0);

    /* the same config with the pool on does make one: the NULL above came from the setting */
    const pf_setting on[] = {{"vif_pool", "enabled", "true"}};
    assert_int_equal(pf_set(f->pf, on, 1), 0);
    assert_int_equal(pf_plugin_up(f->pf), 0);
    assert_non_null(f->pf->p.vif_pool);
}

/* ---- 2. first take: sweep, then one bulk refill -------------------------------------------------------- */

static void test_first_take_sweeps_then_refills_in_bulk(void **state)
{
    fixture *f = *state;
    json_t *left = json_array();
    json_array_append_new(left, port_obj(LEFT_FREE, NET, SUBNET, "10.0.0.7", KL_POOL_PORT_NAME, DESC, "node1",
                                         json_pack("[s]", KURYR_TAG)));
    json_array_append_new(left, port_obj(LEFT_USED, NET, SUBNET, "10.0.0.8", KL_POOL_PORT_NAME, DESC, "node1",
                                         in_use_tags()));
    json_t *dev = port_obj(LEFT_DEV, NET, SUBNET, "10.0.0.9", KL_POOL_PORT_NAME, DESC, "node1",
                           json_pack("[s]", KURYR_TAG));
    json_object_set_new(dev, "device_id", json_string("some-device"));
    json_array_append_new(left, dev);
    /* another host's ready port, should Neutron ever answer more than the filter asked for: never this host's */
    json_array_append_new(left, port_obj(LEFT_OTHER, NET, SUBNET, "10.0.0.10", KL_POOL_PORT_NAME, "kuryr-pool:node2",
                                         "node2", json_pack("[s]", KURYR_TAG)));
    /* a host-side unplug of a deleted leftover fails at its vnic_type, before any netlink work */
    for (size_t i = 0; i < json_array_size(left); i++)
        json_object_set_new(json_array_get(left, i), "binding:vnic_type", json_string("direct"));
    answer_json(f, "GET", "/v2.0/ports?", 200, json_pack("{s:o}", "ports", left), 0, 0);
    answer_json(f, "DELETE", "/v2.0/ports/" LEFT_FREE, 204, NULL, 0, 0);
    answer_bulk(f, NET, SUBNET, 0, 3, 0);
    answer_made_tags(f);
    /* min 1: the 3 made cover it, so nothing refills again after the take below */
    open_pool(f, 1, 0, 3);

    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    wait_ready(f, 3);

    /* the sweep looks for this host's pool ports only, and deletes the one no endpoint uses */
    const test_httpd_request *get = nth(f, "GET", "/v2.0/ports?", false, 0);
    assert_contains(get->path, "name=" KL_POOL_PORT_NAME);
    assert_contains(get->path, "description=" DESC);
    /* Neutron answers only the fields a list asks for, if it names any: the sweep reads these */
    const char *fields[] = {"id", "device_id", "name", "description", "tags"};
    for (size_t i = 0; strstr(get->path, "fields=") && i < sizeof(fields) / sizeof(*fields); i++) {
        char field[32];
        snprintf(field, sizeof(field), "fields=%s", fields[i]);
        assert_contains(get->path, field);
    }
    assert_int_equal(count(f, "GET", "/v2.0/ports", false), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/" LEFT_FREE, true), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/", false), 1); /* containers may still use the others */

    /* one request makes the whole batch */
    assert_int_equal(count(f, "POST", "/v2.0/ports", true), 1);
    long post_at = find_req(f, "POST", "/v2.0/ports", true, 0);
    assert_true(find_req(f, "DELETE", "/v2.0/ports/" LEFT_FREE, true, 0) < post_at);
    json_t *items = pf_body_of(nth(f, "POST", "/v2.0/ports", true, 0), "ports");
    assert_int_equal(json_array_size(items), 3);
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *item = json_array_get(items, i);
        pf_assert_json_str(item, "network_id", NET);
        pf_assert_json_str(item, "name", KL_POOL_PORT_NAME);
        pf_assert_json_str(item, "description", DESC);
        /* made bound to this host: a container start then needs no binding */
        pf_assert_json_str(item, "binding:host_id", "node1");
        pf_assert_json_str(item, "device_owner", KURYR_TAG);
        json_t *ips = json_object_get(item, "fixed_ips");
        assert_int_equal(json_array_size(ips), 1);
        pf_assert_json_str(json_array_get(ips, 0), "subnet_id", SUBNET);
    }
    json_decref(items);

    /* Neutron drops tags given at creation: one tags request per made port follows the create */
    assert_int_equal(count(f, "PUT", "/v2.0/ports/", false), 3);
    for (int i = 0; i < 3; i++) {
        char path[128], id[64];
        made_id(id, sizeof(id), i);
        snprintf(path, sizeof(path), "/v2.0/ports/%s/tags", id);
        assert_int_equal(count(f, "PUT", path, true), 1);
        assert_true(find_req(f, "PUT", path, true, 0) > post_at);
        assert_kuryr_tag_only(nth(f, "PUT", path, true, 0));
    }

    /* the handlers' copy carries the tag, or CreateEndpoint's tag update would drop it */
    kuryr_port *port = kl_vif_pool_take(f->pool, NET, SUBNET);
    assert_non_null(port);
    assert_int_equal(strncmp(port->id, MADE_PREFIX, strlen(MADE_PREFIX)), 0);
    assert_int_equal(port->n_fixed_ips, 1);
    assert_string_equal(port->fixed_ips[0].subnet_id, SUBNET);
    assert_true(kuryr_strv_contains(&port->tags, KURYR_TAG));
    assert_true(kl_vif_pool_port_is_pooled(port)); /* CreateEndpoint renames it by this */
    kuryr_port_free(port);
    assert_int_equal(kl_vif_pool_ready(f->pool), 2);
}

/* Without the tag extension every made port is deleted again: the refill waits before it tries again rather
 * than making and deleting ports in a loop. */
static void test_refill_of_untaggable_ports_waits(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_bulk_times(f, NET, SUBNET, 0, 2, 0, 0);
    answer_json(f, "PUT", "/v2.0/ports/" MADE_PREFIX, 404, NULL, 0, 0);
    answer_json(f, "DELETE", "/v2.0/ports/" MADE_PREFIX, 204, NULL, 0, 0);
    open_pool(f, 1, 0, 2);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    wait_requests(f, "DELETE", "/v2.0/ports/" MADE_PREFIX, false, 2);
    /* the next attempt is RETRY_S (5 s) away: the thread waits for it rather than sending another create */
    assert_idle(f);
    assert_int_equal(count(f, "POST", "/v2.0/ports", true), 1);
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
}

/* Ports Neutron could not bind to this host (no live L2 agent for its name) are no use to a container: they
 * are deleted at once, untagged, and the pool stays empty. */
static void test_ports_neutron_could_not_bind_are_deleted(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    json_t *ports = json_array();
    for (int i = 0; i < 2; i++) {
        char id[64], ip[32];
        made_id(id, sizeof(id), i);
        snprintf(ip, sizeof(ip), "10.0.0.%d", 10 + i);
        json_t *port = port_obj(id, NET, SUBNET, ip, KL_POOL_PORT_NAME, DESC, "node1", json_array());
        json_object_set_new(port, "binding:vif_type", json_string("binding_failed"));
        json_array_append_new(ports, port);
    }
    answer_json(f, "POST", "/v2.0/ports", 201, json_pack("{s:o}", "ports", ports), 0, 0);
    answer_json(f, "DELETE", "/v2.0/ports/" MADE_PREFIX, 204, NULL, 0, 0);
    open_pool(f, 1, 0, 2);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    wait_requests(f, "DELETE", "/v2.0/ports/" MADE_PREFIX, false, 2);
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" MADE_PREFIX, false), 0);
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
}

/* ---- 2b. a new network's seed ------------------------------------------------------------------------- */

/* A pool (min, batch) that CreateNetwork seeded for NET/SUBNET: Neutron answers the seed's one-port create
 * after seed_ms, and the batch that follows (ids from 1 on) after batch_ms. */
static void seed_pool(fixture *f, long min, long batch, unsigned seed_ms, unsigned batch_ms)
{
    answer_no_leftovers(f);
    answer_bulk(f, NET, SUBNET, 0, 1, seed_ms);
    answer_bulk(f, NET, SUBNET, 1, (int)batch, batch_ms);
    answer_made_tags(f);
    open_pool(f, min, 0, batch);
    kl_vif_pool_seed(f->pool, NET, SUBNET);
}

/* CreateNetwork seeds its subnet's pool: one port at once, and no more until a container takes it; then,
 * after FIRST_FILL_DELAY_S, the pool fills to ports_pool_min in batches as before. */
static void test_seed_makes_one_port_then_fills_at_first_take(void **state)
{
    fixture *f = *state;
    seed_pool(f, 3, 3, 0, 0);
    wait_ready(f, 1);
    json_t *items = pf_body_of(nth(f, "POST", "/v2.0/ports", true, 0), "ports");
    assert_int_equal(json_array_size(items), 1);
    pf_assert_json_str(json_array_get(items, 0), "binding:host_id", "node1");
    json_decref(items);
    /* seeding an open pool again changes nothing, and the seed alone does not fill to the minimum */
    kl_vif_pool_seed(f->pool, NET, SUBNET);
    assert_idle(f);
    assert_int_equal(count(f, "POST", "/v2.0/ports", true), 1);
    assert_int_equal(kl_vif_pool_ready(f->pool), 1);

    char first[64];
    made_id(first, sizeof(first), 0);
    kuryr_port *port = kl_vif_pool_take(f->pool, NET, SUBNET);
    assert_non_null(port);
    assert_string_equal(port->id, first);
    kuryr_port_free(port);
    /* in use now: one batch brings it to ports_pool_min, but not while this first container starts (the take
     * wakes the thread, which finds the fill not due yet) */
    assert_idle(f);
    assert_int_equal(count(f, "POST", "/v2.0/ports", true), 1);
    wait_ready(f, 3);
    assert_int_equal(count(f, "POST", "/v2.0/ports", true), 2);
    items = pf_body_of(nth(f, "POST", "/v2.0/ports", true, 1), "ports");
    assert_int_equal(json_array_size(items), 3);
    json_decref(items);
}

/* A take while the seed's one port is being made waits for it rather than making a port of its own; a take
 * while a batch is being made does not wait (a batch takes seconds). */
static void test_take_waits_for_the_seed_only(void **state)
{
    fixture *f = *state;
    seed_pool(f, 2, 2, 800, 3000);
    wait_requests(f, "POST", "/v2.0/ports", true, 1);
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
    char first[64];
    made_id(first, sizeof(first), 0);
    kuryr_port *port = kl_vif_pool_take(f->pool, NET, SUBNET);
    if (!port) {
        dump_requests(f);
        fail_msg("the take did not wait for the seed's port");
    }
    assert_string_equal(port->id, first);
    kuryr_port_free(port);

    /* had this take waited for the batch now in flight, it would have got one of its ports */
    wait_requests(f, "POST", "/v2.0/ports", true, 2);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    wait_ready(f, 2);
}

/* With ports_pool_min 0 there is nothing to seed. */
static void test_no_seed_without_a_minimum(void **state)
{
    fixture *f = *state;
    open_pool(f, 0, 0, 2);
    kl_vif_pool_seed(f->pool, NET, SUBNET);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    assert_idle(f);
    assert_int_equal(test_httpd_request_count(f->srv), 0);
}

/* ---- 3. ports_pool_max --------------------------------------------------------------------------------- */

static void test_max_caps_a_refill(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_bulk(f, NET, SUBNET, 0, 3, 0);
    answer_made_tags(f);
    open_pool(f, 3, 3, 10);

    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    wait_ready(f, 3);
    assert_int_equal(count(f, "POST", "/v2.0/ports", true), 1);
    json_t *items = pf_body_of(nth(f, "POST", "/v2.0/ports", true, 0), "ports");
    assert_int_equal(json_array_size(items), 3);
    json_decref(items);

    /* a full pool takes no released port: ReleaseAddress deletes it instead */
    kuryr_port *port = released(RPORT, NET, SUBNET, RIP);
    assert_false(kl_vif_pool_give(f->pool, port));
    kuryr_port_free(port);
    assert_true(kl_vif_pool_wait_ip(f->pool, NET, RIP, 10));
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" RPORT, false), 0);
    assert_int_equal(kl_vif_pool_ready(f->pool), 3);
}

/* ---- 4. give: a released port back into its pool ----------------------------------------------------- */

static void test_give_recycles_a_released_port(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_rport_tags(f, 200, 0, 0);
    /* min 0: the take only opens the subnet's pool, without a refill */
    open_pool(f, 0, 0, 1);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));

    kuryr_port *port = released(RPORT, NET, SUBNET, RIP);
    assert_true(kl_vif_pool_give(f->pool, port));
    /* Docker releasing it again, while it is on its way back or once it is back, is not a second port */
    assert_true(kl_vif_pool_give(f->pool, port));
    assert_true(kl_vif_pool_wait_ip(f->pool, NET, RIP, WAIT_S));
    wait_ready(f, 1);
    assert_true(kl_vif_pool_give(f->pool, port));
    assert_true(kl_vif_pool_wait_ip(f->pool, NET, RIP, WAIT_S));
    kuryr_port_free(port);
    assert_int_equal(kl_vif_pool_ready(f->pool), 1);

    /* one request: the old endpoint's tags go; the port stays bound, so it is not updated otherwise */
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" RPORT "/tags", true), 1);
    assert_kuryr_tag_only(nth(f, "PUT", "/v2.0/ports/" RPORT "/tags", true, 0));
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" RPORT, true), 0);
    assert_int_equal(test_httpd_request_count(f->srv), 2); /* with the sweep's listing */

    /* a recycled port may rest a while before it is handed out again (a tap of the same name must be seen
     * gone first): poll; min 0 keeps these takes from asking for a refill */
    port = NULL;
    for (int i = 0; i < WAIT_S * 50 && !(port = kl_vif_pool_take(f->pool, NET, SUBNET)); i++)
        sleep_ms(20);
    assert_non_null(port);
    assert_string_equal(port->id, RPORT);
    assert_string_equal(port->fixed_ips[0].ip_address, RIP);
    assert_string_equal(port->binding_host_id, "node1");
    assert_int_equal(port->tags.n, 1);
    assert_string_equal(port->tags.items[0], KURYR_TAG);
    assert_true(kl_vif_pool_port_is_pooled(port));
    kuryr_port_free(port);
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
}

static void test_give_refuses_what_it_cannot_pool(void **state)
{
    fixture *f = *state;
    open_pool(f, 0, 0, 1);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));

    /* no pool open for its subnet */
    kuryr_port *other = released(RPORT, NET2, SUBNET2, "10.0.1.50");
    assert_false(kl_vif_pool_give(f->pool, other));
    kuryr_port_free(other);

    /* a port with two addresses belongs to no single subnet's pool */
    json_t *raw = port_obj(RPORT, NET, SUBNET, RIP, KL_POOL_PORT_NAME, DESC, "node1", in_use_tags());
    json_array_append_new(json_object_get(raw, "fixed_ips"),
                          json_pack("{s:s,s:s}", "subnet_id", SUBNET, "ip_address", "10.0.0.51"));
    kuryr_port *two = port_of(raw);
    assert_int_equal(two->n_fixed_ips, 2);
    assert_false(kl_vif_pool_give(f->pool, two));
    kuryr_port_free(two);

    /* only a pool port of this host: not one RequestAddress made itself (bound here by CreateEndpoint), nor a
     * pool port another host made */
    kuryr_port *own = port_of(port_obj(RPORT, NET, SUBNET, RIP, "kuryr-unbound-port", "", "node1", in_use_tags()));
    assert_false(kl_vif_pool_give(f->pool, own));
    kuryr_port_free(own);
    kuryr_port *elsewhere =
        port_of(port_obj(RPORT, NET, SUBNET, RIP, KL_POOL_PORT_NAME, "kuryr-pool:node2", "node2", in_use_tags()));
    assert_false(kl_vif_pool_give(f->pool, elsewhere));
    kuryr_port_free(elsewhere);

    /* nothing was queued: no wait, and not one request (min 0: the take started no thread either) */
    assert_true(kl_vif_pool_wait_ip(f->pool, NET, RIP, 0));
    assert_true(kl_vif_pool_wait_ip(f->pool, NET2, "10.0.1.50", 0));
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
    assert_int_equal(test_httpd_request_count(f->srv), 0);
}

/* ---- 5. Neutron unreachable or the port gone ------------------------------------------------------------ */

static void test_recycle_retried_while_neutron_unreachable(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    /* the HTTP client's own attempts (4) all meet the outage; the pool tries again later */
    answer_rport_tags(f, 503, 0, 4);
    answer_rport_tags(f, 200, 0, 0);
    open_pool(f, 0, 0, 1);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));

    give_released(f);
    wait_ready(f, 1);
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" RPORT "/tags", true), 5);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/", false), 0);
}

static void test_recycle_of_a_gone_port_drops_it(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_rport_tags(f, 404, 0, 0);
    open_pool(f, 0, 0, 1);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));

    give_released(f);
    assert_true(kl_vif_pool_wait_ip(f->pool, NET, RIP, WAIT_S));
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" RPORT "/tags", true), 1); /* a 404 is not retried */
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/", false), 0);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
}

/* A port whose endpoint tags cannot be reset would mislead whoever reads them: it goes. */
static void test_recycle_refused_deletes_the_port(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_rport_tags(f, 409, 0, 0);
    answer_json(f, "DELETE", "/v2.0/ports/" RPORT, 204, NULL, 0, 0);
    open_pool(f, 0, 0, 1);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));

    give_released(f);
    wait_requests(f, "DELETE", "/v2.0/ports/" RPORT, true, 1);
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" RPORT "/tags", true), 1);
}

/* ---- 6. waiting for an address on its way back --------------------------------------------------------- */

static void test_wait_ip_waits_for_its_recycle_only(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_rport_tags(f, 200, 4000, 0);
    open_pool(f, 0, 0, 1);
    /* nothing being recycled, not even a thread */
    assert_true(kl_vif_pool_wait_ip(f->pool, NET, RIP, 0));
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));

    give_released(f);
    /* another address, or the same one in another network, is not held up by the slow reset */
    assert_true(kl_vif_pool_wait_ip(f->pool, NET, "10.0.0.51", 0));
    assert_true(kl_vif_pool_wait_ip(f->pool, NET2, RIP, 0));
    assert_false(kl_vif_pool_wait_ip(f->pool, NET, RIP, 0));
    assert_true(kl_vif_pool_wait_ip(f->pool, NET, RIP, WAIT_S));
    /* it returned because the port is back, not at a timeout */
    assert_int_equal(kl_vif_pool_ready(f->pool), 1);
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" RPORT "/tags", true), 1);
}

/* ---- 7. DeleteNetwork ---------------------------------------------------------------------------------- */

static void test_close_net_forgets_its_ready_ports(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_bulk(f, NET, SUBNET, 0, 2, 0);
    answer_bulk(f, NET2, SUBNET2, 2, 2, 0);
    answer_made_tags(f);
    open_pool(f, 2, 0, 2);
    /* one subnet after the other, so that each bulk answer goes to its own subnet */
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    wait_ready(f, 2);
    assert_null(kl_vif_pool_take(f->pool, NET2, SUBNET2));
    wait_ready(f, 4);
    size_t before = test_httpd_request_count(f->srv);

    kl_vif_pool_close_net(f->pool, NET, 10);
    assert_int_equal(kl_vif_pool_ready(f->pool), 2);
    /* DeleteNetwork deletes them with the network's other unused ports: the pool itself sends nothing */
    assert_int_equal(test_httpd_request_count(f->srv), before);
    char id[64];
    made_id(id, sizeof(id), 0);
    assert_false(kl_vif_pool_take_id(f->pool, id));
    made_id(id, sizeof(id), 2);
    assert_true(kl_vif_pool_take_id(f->pool, id));
    kl_vif_pool_close_net(f->pool, NET2, 10);
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
}

static void test_close_net_waits_for_a_recycle(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_rport_tags(f, 200, 1500, 0);
    open_pool(f, 0, 0, 1);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    give_released(f);

    /* DeleteNetwork deletes the network's unused ports next: this one must be done with by then */
    kl_vif_pool_close_net(f->pool, NET, WAIT_S);
    assert_true(kl_vif_pool_wait_ip(f->pool, NET, RIP, 0));
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" RPORT "/tags", true), 1);
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/", false), 0); /* DeleteNetwork's to delete, not the pool's */
}

static void test_close_net_deletes_a_refill_in_flight(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    /* the create answers long after DeleteNetwork stopped waiting for it */
    answer_bulk(f, NET, SUBNET, 0, 2, 4000);
    answer_made_tags(f);
    answer_json(f, "DELETE", "/v2.0/ports/" MADE_PREFIX, 204, NULL, 0, 0);
    open_pool(f, 1, 0, 2);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    wait_requests(f, "POST", "/v2.0/ports", true, 1);

    kl_vif_pool_close_net(f->pool, NET, 1);
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
    /* DeleteNetwork has listed the network's ports already: the pool deletes the late ones itself */
    wait_requests(f, "DELETE", "/v2.0/ports/" MADE_PREFIX, false, 2);
    for (int i = 0; i < 2; i++) {
        char path[128], id[64];
        made_id(id, sizeof(id), i);
        snprintf(path, sizeof(path), "/v2.0/ports/%s", id);
        assert_int_equal(count(f, "DELETE", path, true), 1);
    }
    assert_int_equal(kl_vif_pool_ready(f->pool), 0);
    assert_int_equal(count(f, "POST", "/v2.0/ports", true), 1); /* and does not refill a closed pool */
}

/* ---- 8. take_id ---------------------------------------------------------------------------------------- */

static void test_take_id_removes_that_port(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_bulk(f, NET, SUBNET, 0, 2, 0);
    answer_made_tags(f);
    open_pool(f, 1, 0, 2);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    wait_ready(f, 2);

    char first[64], second[64];
    made_id(first, sizeof(first), 0);
    made_id(second, sizeof(second), 1);
    assert_true(kl_vif_pool_take_id(f->pool, first));
    assert_int_equal(kl_vif_pool_ready(f->pool), 1);
    assert_false(kl_vif_pool_take_id(f->pool, first));
    assert_false(kl_vif_pool_take_id(f->pool, RPORT));
    assert_int_equal(kl_vif_pool_ready(f->pool), 1);
    /* the other one is what a take now hands out */
    kuryr_port *port = kl_vif_pool_take(f->pool, NET, SUBNET);
    assert_non_null(port);
    assert_string_equal(port->id, second);
    kuryr_port_free(port);
}

/* ---- 9. stopping ----------------------------------------------------------------------------------------- */

static void test_free_with_ports_ready_and_queued(void **state)
{
    fixture *f = *state;
    answer_no_leftovers(f);
    answer_bulk(f, NET, SUBNET, 0, 2, 0);
    answer_made_tags(f);
    answer_rport_tags(f, 503, 0, 0);
    open_pool(f, 1, 0, 2);
    assert_null(kl_vif_pool_take(f->pool, NET, SUBNET));
    wait_ready(f, 2);
    give_released(f);
    wait_requests(f, "PUT", "/v2.0/ports/" RPORT "/tags", true, 1);

    kl_vif_pool_free(f->pool);
    f->pool = NULL;
    /* ready ports stay in Neutron for the next start's sweep */
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/", false), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_off_means_no_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_take_sweeps_then_refills_in_bulk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ports_neutron_could_not_bind_are_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refill_of_untaggable_ports_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_makes_one_port_then_fills_at_first_take, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_waits_for_the_seed_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_seed_without_a_minimum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_caps_a_refill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_give_recycles_a_released_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_give_refuses_what_it_cannot_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recycle_retried_while_neutron_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recycle_of_a_gone_port_drops_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recycle_refused_deletes_the_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_ip_waits_for_its_recycle_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_net_forgets_its_ready_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_net_waits_for_a_recycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_net_deletes_a_refill_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_id_removes_that_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_with_ports_ready_and_queued, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
