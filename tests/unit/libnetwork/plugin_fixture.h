/* The fixture the kuryr-libnetwork handler tests share: a scripted Neutron (and Docker) on 127.0.0.1, a
 * config pointing the plugin at it without Keystone, and the plugin itself, calling itself host "node1". */
#ifndef KL_TEST_PLUGIN_FIXTURE_H
#define KL_TEST_PLUGIN_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kuryr/config.h"
#include "plugin.h"
#include "test_httpd.h"

typedef struct {
    test_httpd *srv;
    kuryr_config *cfg;
    kl_plugin p;
    bool up;  /* p is initialised */
} plugin_fixture;

typedef struct {
    const char *section, *key, *value;
} pf_setting;

/* Starts the scripted server and a config aimed at it (auth_type none, endpoint_override). The plugin is not
 * started yet, so answers and settings can be added first. NULL (with a message) on failure. */
plugin_fixture *pf_open(void);
/* Applies settings; -1 with the config's message on stderr. */
int pf_set(plugin_fixture *f, const pf_setting *settings, size_t n);
/* (Re)starts the plugin with the config as it now is. */
int pf_plugin_up(plugin_fixture *f);
/* pf_open + pf_set + pf_plugin_up, as cmocka's setup wants it: *state is the fixture, or NULL. */
int pf_setup(void **state, const pf_setting *settings, size_t n);
/* Stops the plugin and the server and frees everything; NULL is fine. */
void pf_close(plugin_fixture *f);
int pf_teardown(void **state);

/* One plugin call through the router: the parsed answer (never NULL; asserted) and its HTTP status. */
json_t *pf_call(plugin_fixture *f, const char *uri, const char *body, int *status);

/* The object under envelope in a recorded request's JSON body (a new reference); fails the test when the body
 * is not JSON or has no such member. */
json_t *pf_body_of(const test_httpd_request *r, const char *envelope);
/* Fails the test unless o's string member key equals want. */
void pf_assert_json_str(json_t *o, const char *key, const char *want);

#endif
