/* The reconciliation pass against a scripted Docker and Neutron on 127.0.0.1, inside a private network
 * namespace (so that the tap sweep sees only the veths this test makes): which objects it calls orphans,
 * that a dry run changes nothing, and that objects without kuryr's markers, or too recent, are left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kuryr/config.h"
#include "kuryr/log.h"
#include "metrics.h"
#include "plugin.h"
#include "plugin_fixture.h"
#include "reconcile.h"
#include "test_httpd.h"

#define NET_LIVE "1111111111111111111111111111111122222222222222222222222222222222"
#define NET_GONE "3333333333333333333333333333333344444444444444444444444444444444"
#define NET_LIVE2 "7777777777777777777777777777777788888888888888888888888888888888"
#define NET_FOREIGN "99999999999999999999999999999999aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NET_UPSTREAM "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbcccccccccccccccccccccccccccccccc"
#define NET_SHARED "ddddddddddddddddddddddddddddddddeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define EP_LIVE "5555555555555555555555555555555555555555555555555555555555555555"
#define EP_GONE "6666666666666666666666666666666666666666666666666666666666666666"
#define NN_LIVE "a0000000-0000-4000-8000-000000000001"
#define NN_GONE "a0000000-0000-4000-8000-000000000002"
#define NN_OTHER "a0000000-0000-4000-8000-000000000003"
#define NN_FOREIGN "a0000000-0000-4000-8000-000000000004"
#define NN_UPSTREAM "a0000000-0000-4000-8000-000000000005"
#define NN_ADOPT "a0000000-0000-4000-8000-000000000006"
#define NN_SHARED "a0000000-0000-4000-8000-000000000007"
#define NN_MULTI "a0000000-0000-4000-8000-000000000008"
#define P_LIVE "b1111111-0000-4000-8000-000000000001"
#define P_GONE "b2222222-0000-4000-8000-000000000002"
#define P_NOVA "b3333333-0000-4000-8000-000000000003"
#define P_IPAM_GONE "b4444444-0000-4000-8000-000000000004"
#define P_IPAM_LIVE "b5555555-0000-4000-8000-000000000005"
#define P_EXISTING "b6666666-0000-4000-8000-000000000006"
#define P_YOUNG "b7777777-0000-4000-8000-000000000007"
#define P_IN_GONE_NET "b8888888-0000-4000-8000-000000000008"
#define P_LATE "b9999999-0000-4000-8000-000000000009"
#define P_LOOKALIKE "ba999999-0000-4000-8000-00000000000a"
#define P_OTHER_HOST "bb999999-0000-4000-8000-00000000000b"
#define P_OTHER_IPAM "bc999999-0000-4000-8000-00000000000c"
#define P_OTHER_LATE "bd999999-0000-4000-8000-00000000000d"
#define P_UPSTREAM_IPAM "be999999-0000-4000-8000-00000000000e"
#define P_POD "bf999999-0000-4000-8000-00000000000f"
#define P_NODE "c0999999-0000-4000-8000-000000000010"
#define P_MISSING "f0000000-0000-4000-8000-000000000001"
#define P_MISSING2 "f0000000-0000-4000-8000-000000000002"
#define P_MISSING3 "f0000000-0000-4000-8000-000000000003"
#define SG_GONE "c0000000-0000-4000-8000-000000000001"
#define SG_LIVE "c0000000-0000-4000-8000-000000000002"
#define SG_FOREIGN "c0000000-0000-4000-8000-000000000004"
#define SG_MINE_PORTLESS "c0000000-0000-4000-8000-000000000005"
#define SG_UPSTREAM "c0000000-0000-4000-8000-000000000006"
#define SG_OLD_OF_GONE "c0000000-0000-4000-8000-000000000007"
#define SUB_GONE "d0000000-0000-4000-8000-000000000001"
#define POOL_GONE "e0000000-0000-4000-8000-000000000001"
#define POOL_LIVE "e0000000-0000-4000-8000-000000000002"
#define POOL_FOREIGN "e0000000-0000-4000-8000-000000000004"
#define POOL_UPSTREAM "e0000000-0000-4000-8000-000000000005"
#define OLD "\"updated_at\": \"2020-01-01T00:00:00Z\""
#define FUTURE "\"updated_at\": \"2999-01-01T00:00:00Z\""
/* this host is node1 (plugin_fixture.h); node2 is another host on the same Neutron */
#define MINE "\"kuryr.host:node1\""
#define THEIRS "\"kuryr.host:node2\""

static const char *DOCKER_NETS = "[{\"Id\": \"" NET_LIVE "\", \"Containers\": {}}, {\"Id\": \"" NET_LIVE2 "\"}]";
static const char *DOCKER_NET_LIVE =
    "{\"Id\": \"" NET_LIVE "\", \"IPAM\": {\"Config\": [{\"Subnet\": \"10.0.0.0/24\"}]}, \"Containers\": {\"c1\": "
    "{\"EndpointID\": \"" EP_LIVE "\", \"IPv4Address\": \"10.0.0.5/24\"}}}";
static const char *DOCKER_NET_LIVE2 = "{\"Id\": \"" NET_LIVE2 "\", \"Containers\": {}}";

#define KPORT_ON(id, net, name, dev, host, extra)                                                               \
    "{\"id\": \"" id "\", \"network_id\": \"" net "\", \"name\": \"" name "\", \"device_owner\": \"compute:kuryr\", " \
    "\"device_id\": \"" dev "\", \"binding:host_id\": \"" host "\", " extra "}"
#define KPORT(id, net, name, dev, extra) KPORT_ON(id, net, name, dev, "node1", extra)
#define IPAM_PORT(id, net, tags, desc, ip)                                                                      \
    "{\"id\": \"" id "\", \"network_id\": \"" net "\", \"name\": \"kuryr-unbound-port\", \"description\": \"" desc \
    "\", \"device_owner\": \"\", \"device_id\": \"\", \"binding:host_id\": \"\", \"tags\": [" tags "], "          \
    "\"fixed_ips\": [{\"subnet_id\": \"s\", \"ip_address\": \"" ip "\"}], " OLD "}"

static const char *PORTS =
    "{\"ports\": ["
    KPORT(P_LIVE, NN_LIVE, EP_LIVE "-port", EP_LIVE, OLD "") ","
    KPORT(P_GONE, NN_LIVE, EP_GONE "-port", EP_GONE, OLD) ","
    "{\"id\": \"" P_NOVA "\", \"network_id\": \"" NN_LIVE "\", \"name\": \"" EP_GONE "-port\", "
    "\"device_owner\": \"compute:nova\", \"device_id\": \"" EP_GONE "\", \"binding:host_id\": \"node1\", " OLD "},"
    IPAM_PORT(P_IPAM_GONE, NN_LIVE, "\"compute:kuryr\", " MINE, "", "10.0.0.9") ","
    IPAM_PORT(P_IPAM_LIVE, NN_LIVE, "\"compute:kuryr\", " MINE, "", "10.0.0.5") ","
    KPORT(P_EXISTING, NN_LIVE, "mine", EP_GONE, "\"tags\": [\"kuryr.port.existing\"], " OLD) ","
    KPORT(P_YOUNG, NN_LIVE, EP_GONE "-port", EP_GONE, FUTURE) ","
    IPAM_PORT(P_IN_GONE_NET, NN_GONE, "\"compute:kuryr\", " MINE, "", "10.1.0.9") ","
    /* made by Neutron after its create timed out and the daemon restarted: no tag, only the description marker */
    IPAM_PORT(P_LATE, NN_LIVE, "", "kuryr-create-00112233445566778899aabbccddeeff@node1", "10.0.0.11") ","
    /* the same name without the marker is not kuryr's to touch */
    IPAM_PORT(P_LOOKALIKE, NN_LIVE, "", "", "10.0.0.12") ","
    /* another host's: bound there, or unbound with its marker, or its late create */
    KPORT_ON(P_OTHER_HOST, NN_LIVE, EP_GONE "-port", EP_GONE, "node2", OLD) ","
    IPAM_PORT(P_OTHER_IPAM, NN_LIVE, "\"compute:kuryr\", " THEIRS, "", "10.0.0.13") ","
    IPAM_PORT(P_OTHER_LATE, NN_LIVE, "", "kuryr-create-00112233445566778899aabbccddeeff@node2", "10.0.0.14") ","
    /* upstream's unbound IPAM port: any host's, so no host's to delete */
    IPAM_PORT(P_UPSTREAM_IPAM, NN_LIVE, "\"compute:kuryr\"", "", "10.0.0.15") ","
    /* this host is also a Kubernetes node: a pod's port (its cluster's marker) and the node's own port, bound
     * here, on a network whose Docker network is gone (as when Docker used the pod network): not Docker's */
    KPORT(P_POD, NN_GONE, "default/pod-a", "0f0f0f0f-0000-4000-8000-000000000001",
          "\"tags\": [\"kuryr.cluster:kubernetes\"], " OLD) ","
    KPORT(P_NODE, NN_GONE, "kubelet-node1", "kubelet-node1", "\"tags\": [" MINE "], " OLD)
    "]}";

#define KNET(id, docker, tags) \
    "{\"id\": \"" id "\", \"name\": \"kuryr-net-" docker "\", \"tags\": [\"kuryr.net.uuid.lh:" docker "\", " \
    "\"kuryr.net.uuid.uh:" docker "\"" tags "], " OLD "}"

static const char *NETWORKS =
    "{\"networks\": ["
    "{\"id\": \"" NN_LIVE "\", \"name\": \"kuryr-net-11111111\", \"tags\": [\"kuryr.net.uuid.lh:11111111111111111111111111111111\", "
    "\"kuryr.net.uuid.uh:22222222222222222222222222222222\", " MINE "], " OLD "},"
    "{\"id\": \"" NN_GONE "\", \"name\": \"kuryr-net-33333333\", \"tags\": [\"kuryr.net.uuid.lh:33333333333333333333333333333333\", "
    "\"kuryr.net.uuid.uh:44444444444444444444444444444444\", " MINE "], " OLD "},"
    "{\"id\": \"" NN_OTHER "\", \"name\": \"public\", \"tags\": [], " OLD "},"
    /* another host's network, unknown to this host's Docker */
    "{\"id\": \"" NN_FOREIGN "\", \"name\": \"kuryr-net-99999999\", \"tags\": [\"kuryr.net.uuid.lh:99999999999999999999999999999999\", "
    "\"kuryr.net.uuid.uh:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", " THEIRS "], " OLD "},"
    /* upstream's network no host's Docker here knows: no one's provably */
    "{\"id\": \"" NN_UPSTREAM "\", \"name\": \"kuryr-net-bbbbbbbb\", \"tags\": [\"kuryr.net.uuid.lh:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\", "
    "\"kuryr.net.uuid.uh:cccccccccccccccccccccccccccccccc\"], " OLD "},"
    /* upstream's network this host's Docker uses: marked as this host's */
    "{\"id\": \"" NN_ADOPT "\", \"name\": \"kuryr-net-77777777\", \"tags\": [\"kuryr.net.uuid.lh:77777777777777777777777777777777\", "
    "\"kuryr.net.uuid.uh:88888888888888888888888888888888\"], " OLD "},"
    /* a global-scope network both hosts mark, that this host's Docker no longer has: only let go */
    "{\"id\": \"" NN_SHARED "\", \"name\": \"kuryr-net-dddddddd\", \"tags\": [\"kuryr.net.uuid.lh:dddddddddddddddddddddddddddddddd\", "
    "\"kuryr.net.uuid.uh:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\", " MINE ", " THEIRS "], " OLD "},"
    /* made by node2 for a Docker network of its own, and adopted by this host's (-o neutron.net.uuid): any of
     * its Docker ids known here keeps it */
    "{\"id\": \"" NN_MULTI "\", \"name\": \"kuryr-net-99999999\", \"tags\": [\"kuryr.net.existing:999999999999\", "
    "\"kuryr.net.uuid.lh:99999999999999999999999999999999\", \"kuryr.net.uuid.uh:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
    "\"kuryr.net.uuid.lh:11111111111111111111111111111111\", \"kuryr.net.uuid.uh:22222222222222222222222222222222\", "
    MINE ", " THEIRS "], " OLD "}"
    "]}";

#define SGROUP(id, port, desc) \
    "{\"id\": \"" id "\", \"name\": \"" port "-exposed_ports\", \"description\": \"" desc "\", " OLD "}"

static const char *SGS =
    "{\"security_groups\": ["
    SGROUP(SG_GONE, P_GONE, "kuryr.host:node1") ","
    SGROUP(SG_LIVE, P_LIVE, "kuryr.host:node1") ","
    "{\"id\": \"c0000000-0000-4000-8000-000000000003\", \"name\": \"default\", " OLD "},"
    SGROUP(SG_FOREIGN, P_MISSING, "kuryr.host:node2") ","
    SGROUP(SG_MINE_PORTLESS, P_MISSING2, "kuryr.host:node1") ","
    SGROUP(SG_UPSTREAM, P_MISSING3, "Docker exposed ports (kuryr)") ","
    SGROUP(SG_OLD_OF_GONE, P_IN_GONE_NET, "Docker exposed ports (kuryr)")
    "]}";

static const char *SUBNETS =
    "{\"subnets\": [{\"id\": \"" SUB_GONE "\", \"name\": \"kuryr-subnet-10.1.0.0/24\", \"network_id\": \"" NN_GONE
    "\", \"cidr\": \"10.1.0.0/24\", \"ip_version\": 4, \"subnetpool_id\": \"" POOL_GONE "\"}]}";

static const char *POOLS =
    "{\"subnetpools\": ["
    "{\"id\": \"" POOL_GONE "\", \"name\": \"kuryrPool-10.1.0.0/24\", \"prefixes\": [\"10.1.0.0/24\"], \"ip_version\": 4, \"tags\": [" MINE "], " OLD "},"
    "{\"id\": \"" POOL_LIVE "\", \"name\": \"kuryrPool-10.0.0.0/24\", \"prefixes\": [\"10.0.0.0/24\"], \"ip_version\": 4, \"tags\": [" MINE "], " OLD "},"
    "{\"id\": \"e0000000-0000-4000-8000-000000000003\", \"name\": \"kuryr\", \"prefixes\": [\"10.2.0.0/16\"], \"ip_version\": 4, " OLD "},"
    "{\"id\": \"" POOL_FOREIGN "\", \"name\": \"kuryrPool-10.3.0.0/24\", \"prefixes\": [\"10.3.0.0/24\"], \"ip_version\": 4, \"tags\": [" THEIRS "], " OLD "},"
    "{\"id\": \"" POOL_UPSTREAM "\", \"name\": \"kuryrPool-10.4.0.0/24\", \"prefixes\": [\"10.4.0.0/24\"], \"ip_version\": 4, \"tags\": [], " OLD "}"
    "]}";

typedef plugin_fixture fixture;

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

static void answer(fixture *f, const char *method, const char *path, int status, const char *body)
{
    test_httpd_answer(f->srv, method, path, status, body);
}

static int setup(void **state)
{
    /* a private netns: the tap sweep then only sees the veths made below */
    if (unshare(CLONE_NEWNET) < 0) {
        fprintf(stderr, "no private network namespace (not root?): skipping\n");
        return -1;
    }
    /* the orphan port's tap (no alias: made before markers), the live port's and a portless one with this
     * host's alias, a portless one with none (a DHCP tap looks so) and one with another host's */
    if (sh("ip link set lo up") < 0 || sh("ip link add tapb2222222-00 type veth peer name xb2") < 0 ||
        sh("ip link add tapb1111111-00 type veth peer name xb1") < 0 ||
        sh("ip link set tapb1111111-00 alias kuryr.host:node1") < 0 ||
        sh("ip link add tapf0000000-00 type veth peer name xf0") < 0 ||
        sh("ip link set tapf0000000-00 alias kuryr.host:node1") < 0 ||
        sh("ip link add tapf1111111-00 type veth peer name xf1") < 0 ||
        sh("ip link add tapf2222222-00 type veth peer name xf2") < 0 ||
        sh("ip link set tapf2222222-00 alias kuryr.host:node2") < 0 ||
        sh("ip link add tapnotkuryr type veth peer name xnk") < 0)
        return -1;
    fixture *f = pf_open();
    *state = f;
    if (!f)
        return -1;
    answer(f, "GET", "/networks/" NET_LIVE2, 200, DOCKER_NET_LIVE2);
    answer(f, "GET", "/networks/" NET_LIVE, 200, DOCKER_NET_LIVE);
    answer(f, "GET", "/networks", 200, DOCKER_NETS);
    answer(f, "GET", "/v2.0/extensions", 200, "{\"extensions\": [{\"alias\": \"standard-attr-tag\"}, {\"alias\": \"tag\"}]}");
    answer(f, "GET", "/v2.0/ports/" P_LIVE, 200, "{\"port\": " KPORT(P_LIVE, NN_LIVE, "x", EP_LIVE, OLD) "}");
    answer(f, "GET", "/v2.0/ports/" P_MISSING, 404, "{\"NeutronError\": {\"type\": \"PortNotFound\"}}");
    answer(f, "GET", "/v2.0/ports/" P_MISSING2, 404, "{\"NeutronError\": {\"type\": \"PortNotFound\"}}");
    answer(f, "GET", "/v2.0/ports/" P_MISSING3, 404, "{\"NeutronError\": {\"type\": \"PortNotFound\"}}");
    answer(f, "GET", "/v2.0/ports", 200, PORTS);
    answer(f, "GET", "/v2.0/networks", 200, NETWORKS);
    answer(f, "GET", "/v2.0/security-groups", 200, SGS);
    answer(f, "GET", "/v2.0/subnets", 200, SUBNETS);
    answer(f, "GET", "/v2.0/subnetpools/" POOL_GONE, 200,
           "{\"subnetpool\": {\"id\": \"" POOL_GONE "\", \"name\": \"kuryrPool-10.1.0.0/24\", \"prefixes\": []}}");
    answer(f, "GET", "/v2.0/subnetpools", 200, POOLS);
    answer(f, "DELETE", NULL, 204, NULL);
    answer(f, "PUT", "/v2.0/networks/", 201, NULL);
    answer(f, "PUT", NULL, 200, "{\"port\": {\"id\": \"" P_EXISTING "\"}}");
    const pf_setting docker[] = {{"DEFAULT", "docker_host", test_httpd_url(f->srv)}};
    return pf_set(f, docker, 1) < 0 ? -1 : pf_plugin_up(f);
}

/* ids listed under report[kind], space-separated, in report order */
static void ids(json_t *report, const char *kind, char *out, size_t len)
{
    out[0] = '\0';
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(report, kind), i, o) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%s", n ? " " : "", json_string_value(json_object_get(o, "id")));
    }
}

static size_t count_method(fixture *f, const char *method)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++)
        n += strcmp(test_httpd_request_at(f->srv, i)->method, method) == 0;
    return n;
}

static bool requested(fixture *f, const char *method, const char *path)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && !strcmp(r->path, path))
            return true;
    }
    return false;
}

static bool requested_prefix(fixture *f, const char *method, const char *prefix)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && !strncmp(r->path, prefix, strlen(prefix)))
            return true;
    }
    return false;
}

static void check_findings(json_t *report)
{
    char buf[1024];
    ids(report, "ports", buf, sizeof(buf));
    /* the orphaned endpoint's port, the IPAM port of a released address, the user's port (unbound), the port
     * in the gone network, this host's late-created port; not the live endpoint's, not nova's, not the young
     * one, not the live address's, not an unmarked port that only shares the name, and none of another host's
     * or upstream's unbound one */
    assert_string_equal(buf, P_GONE " " P_IPAM_GONE " " P_EXISTING " " P_IN_GONE_NET " " P_LATE);
    ids(report, "security_groups", buf, sizeof(buf));
    /* this host's groups of a gone port, and an unmarked one of a port this pass orphaned; not another host's,
     * nor an unmarked one whose port is simply gone */
    assert_string_equal(buf, SG_GONE " " SG_MINE_PORTLESS " " SG_OLD_OF_GONE);
    ids(report, "networks", buf, sizeof(buf));
    /* this host's orphan, and the shared one let go; not another host's, not upstream's unknown one */
    assert_string_equal(buf, NN_GONE " " NN_SHARED);
    ids(report, "adopted", buf, sizeof(buf));
    assert_string_equal(buf, NN_ADOPT);
    ids(report, "subnets", buf, sizeof(buf));
    assert_string_equal(buf, SUB_GONE);
    ids(report, "subnetpools", buf, sizeof(buf));
    assert_string_equal(buf, POOL_GONE);
    ids(report, "taps", buf, sizeof(buf));
    /* the orphan port's tap and a portless one with this host's alias; the live port's, an unmarked portless
     * one, another host's and a non-kuryr name stay */
    assert_string_equal(buf, "tapb2222222-00 tapf0000000-00");
    assert_int_equal(json_array_size(json_object_get(report, "errors")), 0);
}

static void test_dry_run_changes_nothing(void **state)
{
    fixture *f = *state;
    json_t *report = NULL;
    kuryr_error err;
    kuryr_error_clear(&err);
    assert_int_equal(kuryr_reconcile(&f->p, true, &report, &err), 0);
    assert_true(json_is_true(json_object_get(report, "dry_run")));
    check_findings(report);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(report, "ports"), 0), "action")),
                        "would delete");
    assert_int_equal(count_method(f, "DELETE") + count_method(f, "PUT") + count_method(f, "POST"), 0);
    assert_true(if_nametoindex("tapb2222222-00") > 0 && if_nametoindex("tapf0000000-00") > 0);
    json_decref(report);
    /* the lists are this host's: Neutron filters them by its name and marker */
    assert_true(requested_prefix(f, "GET", "/v2.0/ports?binding:host_id=node1"));
    assert_true(requested_prefix(f, "GET", "/v2.0/ports?tags=kuryr.host:node1"));
    assert_true(requested_prefix(f, "GET", "/v2.0/subnetpools?tags=kuryr.host:node1"));
    assert_true(requested_prefix(f, "GET", "/v2.0/security-groups?description=kuryr.host:node1"));
}

static void test_removes_only_orphans(void **state)
{
    fixture *f = *state;
    json_t *report = NULL;
    kuryr_error err;
    kuryr_error_clear(&err);
    kl_metrics_reset();
    assert_int_equal(kuryr_reconcile(&f->p, false, &report, &err), 0);
    check_findings(report);
    size_t found = 0;
    const char *kinds[] = {"ports", "security_groups", "subnets", "subnetpools", "networks", "taps"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        found += json_array_size(json_object_get(report, kinds[i]));
    assert_true(found > 0);
    char *metrics = kl_metrics_render(), line[64];
    snprintf(line, sizeof(line), "kuryr_orphans_found_total %zu\n", found);
    assert_non_null(strstr(metrics, line));
    free(metrics);
    assert_true(requested(f, "DELETE", "/v2.0/ports/" P_GONE));
    assert_true(requested(f, "DELETE", "/v2.0/ports/" P_IPAM_GONE));
    assert_true(requested(f, "DELETE", "/v2.0/ports/" P_IN_GONE_NET));
    assert_true(requested(f, "DELETE", "/v2.0/ports/" P_LATE));
    assert_false(requested(f, "DELETE", "/v2.0/ports/" P_LOOKALIKE));
    assert_false(requested(f, "DELETE", "/v2.0/ports/" P_POD));
    assert_false(requested(f, "DELETE", "/v2.0/ports/" P_NODE));
    assert_true(requested(f, "PUT", "/v2.0/ports/" P_EXISTING));
    assert_true(requested(f, "DELETE", "/v2.0/security-groups/" SG_GONE));
    assert_true(requested(f, "DELETE", "/v2.0/security-groups/" SG_MINE_PORTLESS));
    assert_true(requested(f, "DELETE", "/v2.0/security-groups/" SG_OLD_OF_GONE));
    assert_true(requested(f, "DELETE", "/v2.0/networks/" NN_GONE));
    assert_true(requested(f, "DELETE", "/v2.0/networks/" NN_SHARED "/tags/kuryr.host:node1"));
    assert_true(requested(f, "PUT", "/v2.0/networks/" NN_ADOPT "/tags/kuryr.host:node1"));
    assert_true(requested(f, "DELETE", "/v2.0/subnetpools/" POOL_GONE));
    /* nothing else: no other host's port, network, group or pool, and nothing upstream made that no host
     * can be proved to own */
    assert_int_equal(count_method(f, "DELETE"), 10);
    assert_int_equal(count_method(f, "PUT"), 2);
    assert_int_equal(if_nametoindex("tapb2222222-00"), 0);
    assert_int_equal(if_nametoindex("tapf0000000-00"), 0);
    assert_true(if_nametoindex("tapb1111111-00") > 0 && if_nametoindex("tapnotkuryr") > 0);
    assert_true(if_nametoindex("tapf1111111-00") > 0 && if_nametoindex("tapf2222222-00") > 0);
    json_decref(report);
}

static void test_docker_down_removes_nothing(void **state)
{
    fixture *f = *state;
    char msg[256];
    assert_int_equal(kuryr_config_set(f->cfg, "DEFAULT", "docker_host", "unix:///nonexistent/docker.sock", msg,
                                      sizeof(msg)), 0);
    json_t *report = NULL;
    kuryr_error err;
    kuryr_error_clear(&err);
    assert_int_equal(kuryr_reconcile(&f->p, false, &report, &err), -1);
    assert_null(report);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_int_equal(test_httpd_request_count(f->srv), 0);
}

/* The periodic loop runs passes on its own: the orphan goes without anyone calling kuryr_reconcile. */
static void test_periodic_pass_removes_orphans(void **state)
{
    fixture *f = *state;
    char msg[256];
    assert_int_equal(kuryr_config_set(f->cfg, "DEFAULT", "reconcile_interval", "1", msg, sizeof(msg)), 0);
    kl_reconciler *r = kl_reconciler_start(&f->p);
    assert_non_null(r);
    assert_true(kl_reconciler_wait_passes(r, 1) >= 1);
    kl_reconciler_stop(r);
    assert_true(requested(f, "DELETE", "/v2.0/ports/" P_GONE));
    assert_false(requested(f, "DELETE", "/v2.0/ports/" P_OTHER_HOST));
    assert_int_equal(if_nametoindex("tapf0000000-00"), 0);
}

static void test_periodic_off(void **state)
{
    fixture *f = *state;
    char msg[256];
    assert_int_equal(kuryr_config_set(f->cfg, "DEFAULT", "reconcile_interval", "0", msg, sizeof(msg)), 0);
    assert_null(kl_reconciler_start(&f->p));
    kl_reconciler_stop(NULL);
    assert_int_equal(test_httpd_request_count(f->srv), 0);
}

int main(void)
{
    kuryr_log_set_level(KURYR_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dry_run_changes_nothing, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_removes_only_orphans, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_docker_down_removes_nothing, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_periodic_pass_removes_orphans, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_periodic_off, setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
