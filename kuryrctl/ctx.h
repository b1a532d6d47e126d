/* What every kuryrctl command works with: the configuration, the parsed arguments and the clients for the
 * daemon's socket, Docker's API and Neutron, each made on first use. */
#ifndef KC_CTX_H
#define KC_CTX_H

#include <jansson.h>

#include "cli.h"
#include "kuryr/config.h"
#include "kuryr/error.h"
#include "kuryr/http.h"
#include "kuryr/keystone.h"
#include "kuryr/neutron.h"

typedef struct {
    kuryr_config *cfg;
    kc_args args;
    const char *const *config_files;  /* as given on the command line; NULL-terminated */
    char plugin_socket[256];
    char driver[128];
    kuryr_http *plugin_http, *docker_http, *neutron_http;
    kuryr_auth *auth;
    kuryr_neutron *kn;
} kc_ctx;

void kc_ctx_init(kc_ctx *c, kuryr_config *cfg, const kc_args *args);
void kc_ctx_fini(kc_ctx *c);

/* The Neutron client (authenticated lazily by its first request). NULL with err for a bad [neutron] config. */
kuryr_neutron *kc_neutron(kc_ctx *c, kuryr_error *err);
kuryr_auth *kc_auth(kc_ctx *c, kuryr_error *err);
/* GET path from Docker's API as parsed JSON (new reference). NULL with err (UNAVAILABLE: no answer). */
json_t *kc_docker_get(kc_ctx *c, const char *path, kuryr_error *err);
/* POST path with body "{}" on the plugin socket, as the daemon's JSON answer; NULL with err. */
json_t *kc_plugin_post(kc_ctx *c, const char *path, kuryr_error *err);

/* One check's row: {"check", "ok", "detail", "fix"}; fix may be NULL. Appended to rows. Returns ok. */
bool kc_check(json_t *rows, const char *check, bool ok, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

int kc_cmd_status(kc_ctx *c);
int kc_cmd_networks(kc_ctx *c);
int kc_cmd_ports(kc_ctx *c);
int kc_cmd_gc(kc_ctx *c);
int kc_cmd_doctor(kc_ctx *c);

#endif
