/* libFuzzer target: the plugin request path, body to response, as the server runs it (kl_dispatch with the
 * daemon's routes). The first input byte picks the route (a few values pick unknown URLs and methods), the
 * rest is the request body. Neutron is an in-process scripted stub on 127.0.0.1 whose lists are empty and
 * whose creates and updates fail, so handlers run their lookups and error paths and never reach the host's
 * links; the process also moves into a private network namespace when it can, as a second guard. */
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/config.h"
#include "kuryr/log.h"
#include "plugin.h"
#include "router.h"
#include "test_httpd.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kl_plugin plugin;
static size_t n_routes;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    kuryr_log_set_level(KURYR_LOG_ERROR);
    if (unshare(CLONE_NEWNET) == 0 && system("ip link set lo up") != 0)
        abort();
    test_httpd *srv = test_httpd_start(false);  /* lives as long as the process */
    if (!srv)
        abort();
    test_httpd_answer(srv, "GET", "/v2.0/extensions", 200, "{\"extensions\": [{\"alias\": \"tag\"}]}");
    test_httpd_answer(srv, "GET", "/v2.0/networks", 200, "{\"networks\": []}");
    test_httpd_answer(srv, "GET", "/v2.0/subnets", 200, "{\"subnets\": []}");
    test_httpd_answer(srv, "GET", "/v2.0/subnetpools", 200,
                      "{\"subnetpools\": [{\"id\": \"55555555-5555-4555-8555-555555555555\", \"name\": \"kuryr\", "
                      "\"prefixes\": [\"10.0.0.0/8\"], \"ip_version\": 4, \"default_prefixlen\": 24}]}");
    test_httpd_answer(srv, "GET", "/v2.0/ports", 200, "{\"ports\": []}");
    test_httpd_answer(srv, "GET", "/v2.0/security-groups", 200, "{\"security_groups\": []}");
    test_httpd_answer(srv, NULL, NULL, 409,
                      "{\"NeutronError\": {\"type\": \"Conflict\", \"message\": \"stub\", \"detail\": \"\"}}");
    kuryr_config *cfg = kuryr_config_new();
    char msg[256];
    if (kuryr_config_set(cfg, "neutron", "auth_type", "none", msg, sizeof(msg)) < 0 ||
        kuryr_config_set(cfg, "neutron", "endpoint_override", test_httpd_url(srv), msg, sizeof(msg)) < 0)
        abort();
    kuryr_error err;
    if (kl_plugin_init(&plugin, cfg, &err) < 0)
        abort();
    snprintf(plugin.hostname, sizeof(plugin.hostname), "fuzzhost");
    while (kl_routes[n_routes].path)
        n_routes++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t pick = data[0] % (n_routes + 2);
    const char *url = pick < n_routes ? kl_routes[pick].path : pick == n_routes ? "/Nope.Nothing" : "/Plugin.Activate?x";
    const char *method = data[0] >= 250 ? "GET" : "POST";
    kl_reply reply;
    kl_dispatch(&plugin, kl_routes, method, url, (const char *)data + 1, size - 1, 1 << 20, &reply);
    if (reply.status < 200 || reply.status > 599 || !reply.body)
        abort();
    json_t *o = json_loads(reply.body, 0, NULL);  /* every answer must be JSON Docker can read */
    if (!o)
        abort();
    json_decref(o);
    kl_reply_clear(&reply);
    return 0;
}
