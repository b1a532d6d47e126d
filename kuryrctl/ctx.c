/* Clients for kuryrctl (see ctx.h). */
#include "ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kc_ctx_init(kc_ctx *c, kuryr_config *cfg, const kc_args *args)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->args = *args;
    const char *sock = args->plugin_socket ? args->plugin_socket : kuryr_config_get_str(cfg, "DEFAULT", "unix_socket");
    snprintf(c->plugin_socket, sizeof(c->plugin_socket), "%s", sock);
    if (args->driver)
        snprintf(c->driver, sizeof(c->driver), "%s", args->driver);
    else
        kc_driver_from_socket(c->plugin_socket, c->driver, sizeof(c->driver));
}

void kc_ctx_fini(kc_ctx *c)
{
    kuryr_neutron_free(c->kn);
    kuryr_auth_free(c->auth);
    kuryr_http_free(c->neutron_http);
    kuryr_http_free(c->docker_http);
    kuryr_http_free(c->plugin_http);
    memset(c, 0, sizeof(*c));
}

kuryr_auth *kc_auth(kc_ctx *c, kuryr_error *err)
{
    if (c->auth)
        return c->auth;
    kuryr_http_opts hopts;
    kuryr_http_opts_from_config(c->cfg, &hopts);
    /* an admin tool should answer quickly when something is down */
    hopts.max_retries = -1;
    kuryr_auth_opts aopts;
    if (kuryr_auth_opts_from_config(c->cfg, &aopts, err) < 0)
        return NULL;
    c->neutron_http = kuryr_http_new(&hopts);
    c->auth = c->neutron_http ? kuryr_auth_new(c->neutron_http, &aopts) : NULL;
    if (!c->auth)
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot create the Keystone client");
    return c->auth;
}

kuryr_neutron *kc_neutron(kc_ctx *c, kuryr_error *err)
{
    if (c->kn)
        return c->kn;
    kuryr_auth *a = kc_auth(c, err);
    c->kn = a ? kuryr_neutron_new(a) : NULL;
    if (a && !c->kn)
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot create the Neutron client");
    return c->kn;
}

static json_t *request(kuryr_http *http, const char *method, const char *url, const char *body, const char *what,
                       kuryr_error *err)
{
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json", NULL};
    kuryr_http_response resp;
    memset(&resp, 0, sizeof(resp));
    json_t *out = NULL;
    if (kuryr_http_request(http, method, url, headers, body, &resp, err) < 0) {
        char why[sizeof(err->message)];
        snprintf(why, sizeof(why), "%s", err->message);
        kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 0, NULL, "%s does not answer: %s", what, why);
    } else if (resp.status != 200) {
        kuryr_error_set(err, kuryr_err_kind_from_status(resp.status), resp.status, NULL, "%s answered %ld", what,
                        resp.status);
    } else if (!(out = json_loads(resp.body, JSON_DECODE_ANY, NULL))) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, resp.status, NULL, "%s sent invalid JSON", what);
    }
    kuryr_http_response_clear(&resp);
    return out;
}

/* "unix:///run/docker.sock" -> socket + http://docker; "http://host:port" -> as is. */
json_t *kc_docker_get(kc_ctx *c, const char *path, kuryr_error *err)
{
    const char *host = c->args.docker_host;
    if (!host)
        host = kuryr_config_get_str(c->cfg, "DEFAULT", "docker_host");
    bool unix_sock = !strncmp(host, "unix://", 7);
    if (!c->docker_http) {
        kuryr_http_opts o = {.unix_socket = unix_sock ? host + 7 : NULL, .max_retries = -1, .timeout_ms = 30000};
        c->docker_http = kuryr_http_new(&o);
        if (!c->docker_http) {
            kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot create the Docker client");
            return NULL;
        }
    }
    char url[512];
    snprintf(url, sizeof(url), "%s%s", unix_sock ? "http://docker" : host, path);
    return request(c->docker_http, "GET", url, NULL, "Docker", err);
}

json_t *kc_plugin_post(kc_ctx *c, const char *path, kuryr_error *err)
{
    if (!c->plugin_http) {
        kuryr_http_opts o = {.unix_socket = c->plugin_socket, .max_retries = -1, .timeout_ms = 30000};
        c->plugin_http = kuryr_http_new(&o);
        if (!c->plugin_http) {
            kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot create the plugin client");
            return NULL;
        }
    }
    char url[256];
    snprintf(url, sizeof(url), "http://plugin%s", path);
    return request(c->plugin_http, "POST", url, "{}", "the daemon", err);
}

bool kc_check(json_t *rows, const char *check, bool ok, const char *fix, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    json_array_append_new(rows, json_pack("{s:s, s:b, s:s, s:s?}", "check", check, "ok", ok, "detail", detail, "fix",
                                          ok ? NULL : fix));
    return ok;
}
